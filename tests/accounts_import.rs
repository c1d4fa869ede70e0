//! CRM exports import as they come out of the CRM: HubSpot, amoCRM and Bitrix24 company exports
//! (fixtures written after each CRM's documented layout), bad rows named, nothing half-written,
//! re-imports update by CRM id.

mod common;

use std::path::Path;
use trigger_radar::accounts::import::ImportOptions;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/crm")
        .join(name)
}

#[tokio::test]
async fn three_crm_exports_import_with_their_bad_rows_named() {
    let (_dir, app, _) = common::one_feed_instance().await;

    let hs = app
        .import_accounts(&fixture("hubspot_companies.csv"))
        .await
        .unwrap();
    assert_eq!(hs.crm, "hubspot");
    assert_eq!((hs.inserted, hs.updated), (4, 0));
    let errs: Vec<String> = hs.rejected.iter().map(|e| e.to_string()).collect();
    assert_eq!(errs, vec!["row 5: INN 7707083894 fails its checksum"]);

    let amo = app
        .import_accounts(&fixture("amocrm_companies.csv"))
        .await
        .unwrap();
    assert_eq!(amo.crm, "amocrm");
    // Five companies, one with a bad INN; the contact row of the mixed export is skipped.
    assert_eq!(amo.inserted, 4, "{amo:?}");
    assert_eq!(amo.rejected.len(), 1);
    assert!(
        amo.rejected[0]
            .to_string()
            .starts_with("row 5: INN 7707083894")
    );

    let bx = app
        .import_accounts(&fixture("bitrix24_companies.csv"))
        .await
        .unwrap();
    assert_eq!(bx.crm, "bitrix24");
    assert_eq!(bx.inserted, 4, "{bx:?}");
    assert!(
        bx.rejected[0]
            .to_string()
            .starts_with("row 5: INN 7707083894")
    );

    let all = app.store.accounts().await.unwrap();
    assert_eq!(all.len(), 12);
    let get = |crm_id: &str| all.iter().find(|a| a.crm_id == crm_id).unwrap();

    let k = get("18234567012");
    assert_eq!(k.crm, "hubspot");
    assert_eq!(k.inn.as_deref(), Some("7725418366"));
    assert_eq!(k.domains, vec!["kedrlog.ru"]);
    assert_eq!(k.employees, Some(240));
    assert_eq!(
        k.contract_end.map(|d| d.to_string()).as_deref(),
        Some("2026-06-30")
    );
    assert!((k.usage_ratio.unwrap() - 0.875).abs() < 1e-6);

    let v = get("31204567");
    assert_eq!(v.name, "ООО «Вектор Сибирь»");
    assert_eq!(v.owner.as_deref(), Some("Елена Смирнова"));
    assert_eq!(v.kpp.as_deref(), Some("540601001"));
    assert_eq!(v.region.as_deref(), Some("Новосибирск"));
    assert_eq!(
        v.last_purchase.map(|d| d.to_string()).as_deref(),
        Some("2025-12-03")
    );
    assert_eq!(v.domains, vec!["vektor-sib.ru"]);

    let n = get("1042");
    assert_eq!(n.crm, "bitrix24");
    assert_eq!(n.inn.as_deref(), Some("7802156340"));
    assert_eq!(n.domains, vec!["nevaprint.ru", "nevaprint.com"]);
    assert_eq!(n.size.as_deref(), Some("50-250"));
    assert_eq!(get("1043").size.as_deref(), Some("более 500"));
    assert_eq!(
        n.go_live.map(|d| d.to_string()).as_deref(),
        Some("2023-04-01")
    );

    // Re-importing updates by CRM id: no duplicates.
    let again = app
        .import_accounts(&fixture("bitrix24_companies.csv"))
        .await
        .unwrap();
    assert_eq!((again.inserted, again.updated), (0, 4));
    assert_eq!(app.store.accounts().await.unwrap().len(), 12);
}

#[tokio::test]
async fn partial_reimport_keeps_what_it_does_not_mention_and_map_renames_columns() {
    let (dir, app, _) = common::one_feed_instance().await;
    let full = dir.path().join("full.csv");
    std::fs::write(
        &full,
        "crm_id,name,inn,owner,technologies\nk1,ООО «Кедрон»,7707083893,Анна,1С:ERP\n",
    )
    .unwrap();
    app.import_accounts(&full).await.unwrap();
    let partial = dir.path().join("partial.csv");
    std::fs::write(
        &partial,
        "Код;Клиент;Ответственный\nk1;ООО «Кедрон»;Борис\n",
    )
    .unwrap();
    let opts = ImportOptions::default()
        .with_maps(&["Код=crm_id".into(), "Клиент=name".into()])
        .unwrap();
    let r = app.import_accounts_with(&partial, &opts).await.unwrap();
    assert_eq!((r.inserted, r.updated), (0, 1));
    let a = &app.store.accounts().await.unwrap()[0];
    assert_eq!(a.owner.as_deref(), Some("Борис"));
    assert_eq!(
        a.inn.as_deref(),
        Some("7707083893"),
        "not in the partial file: kept"
    );
    assert_eq!(a.technologies, vec!["1с:erp"]);
}

#[tokio::test]
async fn a_file_without_good_rows_writes_nothing() {
    let (dir, app, _) = common::one_feed_instance().await;
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"[{"id": "x1", "name": "Bad One", "ogrn": "1027700132194"},
            {"id": "x2", "name": "", "inn": "7707083893"}]"#,
    )
    .unwrap();
    let r = app.import_accounts(&bad).await.unwrap();
    assert_eq!(r.inserted, 0);
    let errs: Vec<String> = r.rejected.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        errs,
        vec![
            "record 1: OGRN 1027700132194 fails its checksum",
            "record 2: the company name is empty"
        ]
    );
    assert!(app.store.accounts().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_record_without_crm_id_stays_one_account_when_its_inn_arrives() {
    let (dir, app, _) = common::one_feed_instance().await;
    let first = dir.path().join("first.csv");
    std::fs::write(&first, "name,region\nООО «Кедрон»,Пермь\n").unwrap();
    app.import_accounts(&first).await.unwrap();
    let second = dir.path().join("second.csv");
    std::fs::write(&second, "name,inn\nООО «Кедрон»,7707083893\n").unwrap();
    let r = app.import_accounts(&second).await.unwrap();
    assert_eq!((r.inserted, r.updated), (0, 1));
    let all = app.store.accounts().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].inn.as_deref(), Some("7707083893"));
    assert_eq!(all[0].region.as_deref(), Some("Пермь"));
}
