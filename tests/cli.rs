//! The binary's commands: `detect --jsonl` writes the scorer's format, `init` writes a config that
//! loads, `accounts import` reports bad rows by number.

mod common;

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trigger-radar"))
}

#[test]
fn detect_jsonl_writes_the_scorer_format() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let out = dir.path().join("out.jsonl");
    std::fs::write(
        &input,
        concat!(
            r#"{"id": "a1", "text": "ПАО «Вестор» приобрело 51% акций ООО «Кедрон» за 2 млрд рублей.", "lang": "ru"}"#, "\n",
            r#"{"id": 7, "text": "The weather was mild on Tuesday."}"#, "\n",
            "this line is not json\n",
            r#"{"id": "a3", "text": "Zentrix Corp. opened a new factory in Ohio."}"#, "\n",
        ),
    )
    .unwrap();
    let o = bin()
        .args(["--data", dir.path().to_str().unwrap(), "detect", "--jsonl"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(":3: skipped"),
        "bad line reported by number"
    );
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["id"], "a1");
    assert_eq!(lines[1]["id"], 7);
    for l in &lines {
        for t in l["triggers"].as_array().expect("triggers is an array") {
            assert!(t["kind"].is_string());
            let c = t["confidence"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&c));
            assert!(t["evidence"].is_string());
            assert!(t["status"].is_string());
        }
    }
    let kinds = |i: usize| -> Vec<String> {
        lines[i]["triggers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        kinds(0).contains(&"acquisition".to_string()),
        "{:?}",
        lines[0]
    );
    assert!(kinds(1).is_empty());
    assert!(
        kinds(2).contains(&"new_facility".to_string()),
        "{:?}",
        lines[2]
    );
}

#[test]
fn init_writes_a_config_that_loads_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let o = bin().args(["--data", d, "init"]).output().unwrap();
    assert!(o.status.success());
    let cfg = trigger_radar::Config::load(Some(dir.path()), None).unwrap();
    assert_eq!(cfg.listen, "127.0.0.1:8080");
    let again = bin().args(["--data", d, "init"]).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn accounts_import_reports_rows() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("a.csv");
    std::fs::write(
        &csv,
        "crm_id,name,inn\nc1,ООО «Ромашка»,7707083893\nc2,ООО «Лютик»,7707083894\n",
    )
    .unwrap();
    let o = bin()
        .envs(common::db_env(dir.path()))
        .args(["--data", dir.path().to_str().unwrap(), "accounts", "import"])
        .arg(&csv)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("1 new, 0 updated, 1 rejected"), "{out}");
    assert!(
        out.contains("row 3: INN 7707083894 fails its checksum"),
        "{out}"
    );
}

#[test]
fn accounts_show_explains_and_feedback_mutes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    std::fs::write(
        dir.path().join("radar.toml"),
        "[score]\nas_of = \"2026-11-23T00:00:00Z\"\n",
    )
    .unwrap();
    let csv = dir.path().join("a.csv");
    std::fs::write(
        &csv,
        "ID;Название компании;Окончание договора;Использование тарифа\nc1;АО «Тихий Омут»;10.12.2026;85%\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let o = bin()
            .envs(common::db_env(dir.path()))
            .args(["--data", data])
            .args(args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    run(&["accounts", "import", csv.to_str().unwrap()]);
    let shown = run(&["accounts", "show", "c1"]);
    assert!(shown.contains("why now: contract ending (CRM)"), "{shown}");
    assert!(
        shown.contains("the contract ends on 2026-12-10, in 17 days"),
        "{shown}"
    );
    assert!(shown.contains("plan nearly used up"), "{shown}");
    let leads = run(&["leads"]);
    assert!(
        leads.contains("АО «Тихий Омут»") && leads.contains("why now:"),
        "{leads}"
    );
    let fb = run(&["feedback", "c1", "not-relevant", "--note", "churned"]);
    assert!(fb.contains("no readiness left"), "{fb}");
    assert!(run(&["leads"]).contains("no scored accounts"));
    let o = bin()
        .envs(common::db_env(dir.path()))
        .args(["--data", data, "feedback", "c1", "maybe"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("taken or not-relevant"));
}
