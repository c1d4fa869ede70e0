//! The API connectors against local servers that answer in each service's documented shape:
//! hh.ru vacancies (pagination, `HH-User-Agent`, details once per vacancy), SEC EDGAR current
//! 8-K filings (items → events, CIK → account, filing index → main document, pacing, the
//! contact e-mail SEC asks for) and UK Companies House (Basic auth with the key, officers and
//! filing history → events, the missing key told clearly).

mod common;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use trigger_radar::App;
use trigger_radar::model::TriggerKind;

async fn instance(dir: &std::path::Path, sources: &[(&str, String)], accounts: &str) -> App {
    let src = dir.join("sources");
    std::fs::create_dir_all(&src).unwrap();
    for (name, toml) in sources {
        std::fs::write(src.join(format!("{name}.toml")), toml).unwrap();
    }
    let mut cfg = common::config(&dir.join("data"));
    cfg.sources_dirs = vec![src];
    cfg.fetch.min_host_delay_ms = 0;
    cfg.fetch.contact = "Acme Sales Ops ops@acme.example".into();
    let app = App::open(cfg).await.unwrap();
    std::fs::write(dir.join("accounts.csv"), accounts).unwrap();
    app.import_accounts(&dir.join("accounts.csv"))
        .await
        .unwrap();
    app
}

// ---------------------------------------------------------------- hh.ru

const VACANCIES: &[(&str, &str)] = &[
    ("101", "Программист 1С"),
    ("102", "Аналитик BI (Power BI)"),
    ("103", "DevOps-инженер (Kubernetes)"),
    ("104", "Java-разработчик"),
    ("105", "Инженер данных"),
];

fn hh_server(details: Arc<AtomicUsize>) -> Router {
    Router::new()
        .route(
            "/vacancies",
            get(
                |q: Query<HashMap<String, String>>, h: HeaderMap| async move {
                    if !h.contains_key("hh-user-agent") {
                        return (
                            StatusCode::BAD_REQUEST,
                            axum::Json(json!({"errors": [{"type": "bad_user_agent"}]})),
                        )
                            .into_response();
                    }
                    assert_eq!(q.get("employer_id").map(String::as_str), Some("4181"));
                    let per: usize = q["per_page"].parse().unwrap();
                    let page: usize = q["page"].parse().unwrap();
                    let base = q.get("base").cloned().unwrap_or_default();
                    let items: Vec<_> = VACANCIES
                        .iter()
                        .skip(page * per)
                        .take(per)
                        .map(|(id, name)| {
                            json!({"id": id, "name": name,
                                "url": format!("{base}/vacancies/{id}"),
                                "alternate_url": format!("https://hh.ru/vacancy/{id}"),
                                "published_at": "2026-11-30T10:00:00+0300",
                                "employer": {"id": "4181", "name": "ООО «Кедрон»"},
                                "area": {"id": "1", "name": "Москва"},
                                "snippet": {"requirement": "Опыт от 3 лет.", "responsibility": "Разработка и поддержка."}})
                        })
                        .collect();
                    let pages = VACANCIES.len().div_ceil(per);
                    axum::Json(json!({"items": items, "found": VACANCIES.len(), "pages": pages,
                        "page": page, "per_page": per}))
                    .into_response()
                },
            ),
        )
        .route(
            "/vacancies/{id}",
            get(move |Path(id): Path<String>| {
                let details = details.clone();
                async move {
                    details.fetch_add(1, Ordering::SeqCst);
                    let skills = match id.as_str() {
                        "101" => json!([{"name": "1С:ERP"}, {"name": "SQL"}]),
                        "102" => json!([{"name": "Power BI"}, {"name": "ClickHouse"}]),
                        "103" => json!([{"name": "Kubernetes"}, {"name": "Terraform"}]),
                        _ => json!([{"name": "PostgreSQL"}]),
                    };
                    axum::Json(json!({"id": id, "name": "x",
                        "description": "<p>Мы переводим учёт на новую платформу и ищем сильного специалиста.</p>",
                        "key_skills": skills,
                        "employer": {"id": "4181", "name": "ООО «Кедрон»"}, "area": {"name": "Москва"}}))
                }
            }),
        )
}

#[tokio::test]
async fn hh_vacancies_are_paginated_detailed_once_and_kept_as_postings() {
    let details = Arc::new(AtomicUsize::new(0));
    let base = common::serve(hh_server(details.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    // `base` passes the server's address into the answers' detail URLs.
    let app = instance(
        dir.path(),
        &[(
            "kedron-hh",
            format!(
                "name = \"kedron-hh\"\nkind = \"hh\"\nurl = \"{base}/vacancies?base={base}\"\naccount = \"k1\"\n\
                 [hh]\nemployer_id = \"4181\"\nper_page = 2\n"
            ),
        )],
        "crm_id,name\nk1,ООО «Кедрон»\n",
    )
    .await;
    let r = app.crawl(None, false, false).await.unwrap();
    let s = &r.sources[0];
    assert_eq!(s.error, None, "{s:?}");
    assert_eq!(s.items, 5, "three pages of two, two and one");
    assert_eq!(details.load(Ordering::SeqCst), 5);
    let k1 = app.store.account_by_crm_id("k1").await.unwrap().unwrap();
    let postings = app
        .store
        .postings_of(k1.id, chrono::Utc::now() - chrono::Duration::days(30))
        .await
        .unwrap();
    assert_eq!(postings.len(), 5);
    let tech: Vec<String> = app
        .store
        .technographics(k1.id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    for t in ["kubernetes", "power bi", "clickhouse"] {
        assert!(tech.iter().any(|x| x == t), "{t} in {tech:?}");
    }
    // The stored vacancy has the description and key skills, not the listing's snippet.
    let id = app
        .store
        .document_id_by_url("https://hh.ru/vacancy/103")
        .await
        .unwrap();
    assert!(id.is_some());

    // Again: nothing new, no details fetched twice.
    let r = app.crawl(None, false, false).await.unwrap();
    assert_eq!(r.sources[0].error, None);
    assert_eq!(r.sources[0].new_or_changed, 0, "{:?}", r.sources[0]);
    assert_eq!(details.load(Ordering::SeqCst), 5);
    app.close_indexer().unwrap();
}

#[tokio::test]
async fn hh_without_its_header_fails_clearly_for_that_source() {
    // A server that refuses the query: the error names the source's URL and the status.
    let app = Router::new().route(
        "/vacancies",
        get(|| async { (StatusCode::BAD_REQUEST, "bad_user_agent") }),
    );
    let base = common::serve(app).await;
    let dir = tempfile::tempdir().unwrap();
    let app = instance(
        dir.path(),
        &[(
            "hh",
            format!(
                "name = \"hh\"\nkind = \"hh\"\nurl = \"{base}/vacancies\"\n[hh]\ntext = \"1С\"\n"
            ),
        )],
        "crm_id,name\nk1,ООО «Кедрон»\n",
    )
    .await;
    let r = app.crawl(None, false, false).await.unwrap();
    let e = r.sources[0].error.clone().unwrap();
    assert!(e.contains("HTTP 400") && e.contains("/vacancies"), "{e}");
    app.close_indexer().unwrap();
}

// ---------------------------------------------------------------- SEC EDGAR

type Log = Arc<Mutex<Vec<(Instant, String, String)>>>;

fn edgar_server(log: Log) -> Router {
    let record = move |path: String, h: &HeaderMap| {
        let ua = h
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        log.lock().unwrap().push((Instant::now(), path, ua));
    };
    let r1 = record.clone();
    let r2 = record.clone();
    let r3 = record;
    Router::new()
        .route(
            "/cgi-bin/browse-edgar",
            get(move |q: Query<HashMap<String, String>>, h: HeaderMap| {
                r1("/feed".into(), &h);
                let base = q.get("base").cloned().unwrap_or_default();
                async move {
                    let entry = |form: &str, company: &str, cik: &str, acc: &str, items: &str| {
                        format!(
                            "<entry><title>{form} - {company} ({cik}) (Filer)</title>\
                             <link rel=\"alternate\" type=\"text/html\" href=\"{base}/Archives/edgar/data/{cik}/{acc}-index.htm\"/>\
                             <summary type=\"html\"> &lt;b&gt;Filed:&lt;/b&gt; 2026-11-30 &lt;b&gt;AccNo:&lt;/b&gt; {acc} &lt;b&gt;Size:&lt;/b&gt; 200 KB{items}</summary>\
                             <updated>2026-11-30T16:05:00-05:00</updated><category scheme=\"https://www.sec.gov/\" label=\"form type\" term=\"{form}\"/>\
                             <id>urn:tag:sec.gov,2008:accession-number={acc}</id></entry>"
                        )
                    };
                    let body = format!(
                        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Latest Filings</title>{}{}{}</feed>",
                        entry("8-K", "Brightwater Logistics Inc.", "0000711001", "0000711001-26-000101",
                            "&lt;br&gt;Item 2.01: Completion of Acquisition or Disposition of Assets&lt;br&gt;Item 9.01: Financial Statements and Exhibits"),
                        entry("8-K", "Zentrix Corp", "0000722002", "0000722002-26-000055",
                            "&lt;br&gt;Item 5.02: Departure of Directors or Certain Officers; Election of Directors; Appointment of Certain Officers"),
                        entry("4", "Doe Jane", "0000999999", "0000999999-26-000001", ""),
                    );
                    ([("content-type", "application/atom+xml")], body)
                }
            }),
        )
        .route(
            "/Archives/edgar/data/{cik}/{file}",
            get(move |Path((cik, file)): Path<(String, String)>, h: HeaderMap| {
                r2(format!("/{file}"), &h);
                async move {
                    if file.ends_with("-index.htm") {
                        let doc = if cik == "0000711001" { "bw-8k.htm" } else { "zx-8k.htm" };
                        return axum::response::Html(format!(
                            "<html><body><div class=\"formGrouping\"><div class=\"infoHead\">Items</div></div>\
                             <table class=\"tableFile\" summary=\"Document Format Files\">\
                             <tr><th>Seq</th><th>Description</th><th>Document</th><th>Type</th><th>Size</th></tr>\
                             <tr><td>1</td><td>8-K</td><td><a href=\"/ix?doc=/Archives/edgar/data/{cik}/{doc}\">{doc}</a></td><td>8-K</td><td>30000</td></tr>\
                             <tr><td>2</td><td>EX-99.1</td><td><a href=\"/Archives/edgar/data/{cik}/ex99.htm\">ex99.htm</a></td><td>EX-99.1</td><td>9000</td></tr>\
                             </table></body></html>"
                        ))
                        .into_response();
                    }
                    let text = if file == "bw-8k.htm" {
                        "<p>Item 2.01 Completion of Acquisition or Disposition of Assets.</p>\
                         <p>On November 28, 2026, Brightwater Logistics Inc. completed its previously announced acquisition of Kelvane Freight LLC for $420 million in cash.</p>"
                    } else {
                        "<p>Item 5.02 Departure of Directors or Certain Officers; Election of Directors; Appointment of Certain Officers.</p>\
                         <p>On November 27, 2026, the Board of Directors of Zentrix Corp appointed Maria Lopez as Chief Financial Officer, effective December 1, 2026.</p>"
                    };
                    axum::response::Html(format!("<html><body>{text}</body></html>")).into_response()
                }
            }),
        )
        .route(
            "/robots.txt",
            get(move |h: HeaderMap| {
                r3("/robots.txt".into(), &h);
                async { (StatusCode::NOT_FOUND, "") }
            }),
        )
}

#[tokio::test]
async fn edgar_items_become_events_on_the_filers_accounts_at_secs_pace() {
    let log: Log = Arc::default();
    let base = common::serve(edgar_server(log.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    let app = instance(
        dir.path(),
        &[(
            "sec",
            format!(
                "name = \"sec\"\nkind = \"edgar\"\nurl = \"{base}/cgi-bin/browse-edgar?action=getcurrent&type=8-K&output=atom&base={base}\"\n"
            ),
        )],
        "crm_id,name,cik\nbw,Brightwater Logistics Inc.,711001\nzx,Zentrix Corp,722002\n",
    )
    .await;
    let r = app.crawl(None, false, false).await.unwrap();
    let s = &r.sources[0];
    assert_eq!(s.error, None, "{s:?}");
    assert_eq!(s.items, 2, "the Form 4 is not an 8-K");
    let events = app.store.account_events(None).await.unwrap();
    let on = |crm: &str| -> Vec<(TriggerKind, String)> {
        events
            .iter()
            .filter(|e| {
                e.matched_as.starts_with("cik:")
                    && e.event.url.contains(match crm {
                        "bw" => "0000711001",
                        _ => "0000722002",
                    })
            })
            .map(|e| (e.event.kind, e.event.evidence.clone()))
            .collect()
    };
    let bw = on("bw");
    assert_eq!(bw.len(), 1, "{bw:?}");
    assert_eq!(bw[0].0, TriggerKind::Acquisition);
    assert!(
        bw[0].1.contains("Kelvane Freight"),
        "evidence from the document: {}",
        bw[0].1
    );
    let zx = on("zx");
    assert_eq!(
        zx.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        [TriggerKind::ExecutiveHire],
        "the document says appointed: {zx:?}"
    );
    // Every request named a contact e-mail, and SEC's host never saw two within 100 ms.
    let log = log.lock().unwrap();
    assert!(
        log.len() >= 5,
        "{:?}",
        log.iter().map(|l| &l.1).collect::<Vec<_>>()
    );
    assert!(log.iter().all(|(_, _, ua)| ua.contains("ops@acme.example")));
    for w in log.windows(2) {
        let gap = w[1].0 - w[0].0;
        assert!(
            gap.as_millis() >= 100,
            "{} then {} after {gap:?}",
            w[0].1,
            w[1].1
        );
    }
    app.close_indexer().unwrap();
}

#[tokio::test]
async fn edgar_refuses_to_run_without_a_contact_email() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sources");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("sec.toml"),
        "name = \"sec\"\nkind = \"edgar\"\nurl = \"http://127.0.0.1:9/x\"\n",
    )
    .unwrap();
    let mut cfg = common::config(&dir.path().join("data"));
    cfg.sources_dirs = vec![src];
    cfg.fetch.contact = "no address here".into();
    let app = App::open(cfg).await.unwrap();
    let r = app.crawl(None, false, false).await.unwrap();
    let e = r.sources[0].error.clone().unwrap();
    assert!(e.contains("fetch.contact") && e.contains("e-mail"), "{e}");
    assert!(!r.sources[0].transient);
    app.close_indexer().unwrap();
}

// ---------------------------------------------------------------- Companies House

fn ch_server() -> Router {
    // Basic auth: the key as user name, no password ("test-key:" in base64).
    let authorised = |h: &HeaderMap| {
        h.get("authorization").and_then(|v| v.to_str().ok()) == Some("Basic dGVzdC1rZXk6")
    };
    let recent = (chrono::Utc::now() - chrono::Duration::days(10))
        .format("%Y-%m-%d")
        .to_string();
    let r2 = recent.clone();
    Router::new()
        .route(
            "/company/{n}",
            get(move |Path(n): Path<String>, h: HeaderMap| async move {
                if !authorised(&h) {
                    return (StatusCode::UNAUTHORIZED, "{}").into_response();
                }
                axum::Json(json!({"company_name": "HALDEN PRECISION LTD", "company_number": n,
                    "company_status": "active"}))
                .into_response()
            }),
        )
        .route(
            "/company/{n}/officers",
            get(move |Path(n): Path<String>, h: HeaderMap| {
                let recent = recent.clone();
                async move {
                    if !authorised(&h) {
                        return (StatusCode::UNAUTHORIZED, "{}").into_response();
                    }
                    axum::Json(json!({"items": [
                        {"name": "MORROW, Dana", "officer_role": "director", "appointed_on": recent,
                         "links": {"self": format!("/company/{n}/appointments/a1")}},
                        {"name": "QUILL, Peter James", "officer_role": "director", "appointed_on": "2011-03-01",
                         "resigned_on": recent, "links": {"self": format!("/company/{n}/appointments/a2")}},
                        {"name": "OLD, Timothy", "officer_role": "secretary", "appointed_on": "2001-01-01",
                         "resigned_on": "2009-05-05", "links": {"self": format!("/company/{n}/appointments/a3")}}
                    ]}))
                    .into_response()
                }
            }),
        )
        .route(
            "/company/{n}/filing-history",
            get(move |h: HeaderMap| {
                let recent = r2.clone();
                async move {
                    if !authorised(&h) {
                        return (StatusCode::UNAUTHORIZED, "{}").into_response();
                    }
                    axum::Json(json!({"items": [
                        {"transaction_id": "T1", "category": "address", "type": "AD01", "date": recent,
                         "description": "change-registered-office-address-company-with-date-old-address-new-address",
                         "description_values": {"old_address": "1 Mill Lane, Leeds", "new_address": "9 Dock Road, Hull"}},
                        {"transaction_id": "T2", "category": "insolvency", "type": "LIQ02", "date": recent,
                         "description": "liquidation-voluntary-statement-of-affairs"},
                        {"transaction_id": "T3", "category": "accounts", "type": "AA", "date": recent,
                         "description": "accounts-with-accounts-type-full"}
                    ]}))
                    .into_response()
                }
            }),
        )
}

#[tokio::test]
async fn companies_house_officers_and_filings_become_events_on_the_named_account() {
    let base = common::serve(ch_server()).await;
    let dir = tempfile::tempdir().unwrap();
    let app = instance(
        dir.path(),
        &[
            (
                "ch",
                format!(
                    "name = \"ch\"\nkind = \"companies_house\"\nurl = \"{base}\"\n\
                     [companies_house]\napi_key = \"test-key\"\ncompanies = [{{ number = \"04431234\", account = \"hp\" }}]\n"
                ),
            ),
            (
                "ch-nokey",
                format!(
                    "name = \"ch-nokey\"\nkind = \"companies_house\"\nurl = \"{base}\"\n\
                     [companies_house]\napi_key_env = \"TRIGGER_RADAR_TEST_UNSET_KEY\"\ncompanies = [\"04431234\"]\n"
                ),
            ),
        ],
        "crm_id,name,country\nhp,Halden Precision Ltd,GB\n",
    )
    .await;
    let r = app.crawl(None, false, false).await.unwrap();
    let by = |n: &str| r.sources.iter().find(|s| s.source == n).unwrap();
    assert_eq!(by("ch").error, None, "{:?}", by("ch"));
    let e = by("ch-nokey").error.clone().unwrap();
    assert!(e.contains("TRIGGER_RADAR_TEST_UNSET_KEY"), "{e}");

    let hp = app.store.account_by_crm_id("hp").await.unwrap().unwrap();
    let mut kinds: Vec<(TriggerKind, String)> = app
        .store
        .account_events(Some(hp.id))
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.event.kind, e.event.evidence))
        .collect();
    kinds.sort_by_key(|(k, _)| k.as_str());
    let only: Vec<TriggerKind> = kinds.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        only,
        [
            TriggerKind::Closure,
            TriggerKind::ExecutiveDeparture,
            TriggerKind::ExecutiveHire,
            TriggerKind::Insolvency
        ],
        "{kinds:?}"
    );
    let text = |k: TriggerKind| kinds.iter().find(|(x, _)| *x == k).unwrap().1.clone();
    assert!(text(TriggerKind::ExecutiveHire).contains("Dana Morrow"));
    assert!(text(TriggerKind::ExecutiveDeparture).contains("Peter James Quill"));
    assert!(text(TriggerKind::Closure).contains("9 Dock Road, Hull"));
    // The key never reaches the source's health or its error.
    let health = app.store.source_health().await.unwrap();
    assert!(health.iter().all(|h| {
        !h.last_error
            .clone()
            .unwrap_or_default()
            .contains("test-key")
    }));
    app.close_indexer().unwrap();
}
