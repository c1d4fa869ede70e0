//! The web UI and JSON API over a demo instance, through real HTTP.

mod common;

use std::sync::Arc;

async fn serve_demo() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let run = trigger_radar::demo::run_with(common::config(dir.path()), false)
        .await
        .unwrap();
    run.app.close_indexer().unwrap();
    let app = Arc::new(run.app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(trigger_radar::web::serve(
        app,
        listener,
        std::future::pending(),
    ));
    (dir, format!("http://{addr}"))
}

#[tokio::test]
async fn pages_and_api_answer() {
    let (_dir, base) = serve_demo().await;
    let client = reqwest::Client::new();

    let leads = get_json(&client, &format!("{base}/api/leads"), &[("limit", "5")]).await;
    let leads = leads.as_array().unwrap();
    assert_eq!(leads.len(), 5);
    let top_name = leads[0]["account"]["name"].as_str().unwrap().to_string();
    assert!(leads[0]["readiness"]["score"].as_u64().unwrap() > 0);
    assert!(
        !leads[0]["readiness"]["contributions"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The account behind the top lead, with its explanation line by line.
    let id = leads[0]["account"]["id"].as_i64().unwrap();
    let view = get_json(&client, &format!("{base}/api/accounts/{id}"), &[]).await;
    assert_eq!(view["readiness"]["score"], leads[0]["readiness"]["score"]);
    let explanation = view["explanation"].as_array().unwrap();
    assert!(explanation[0].as_str().unwrap().starts_with("readiness "));
    assert!(explanation.len() > 1, "{view}");
    assert!(!view["events"].as_array().unwrap().is_empty());
    let missing = client
        .get(format!("{base}/api/accounts/999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let html = get_text(&client, &format!("{base}/")).await;
    assert!(html.contains("Hot leads"));
    // The first contribution that is an event (CRM signals come from the CRM, not a source).
    let source = leads[0]["readiness"]["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| !c["event_id"].is_null())
        .and_then(|c| c["source"].as_str())
        .unwrap();
    assert!(
        source.starts_with("demo-"),
        "each contribution names its source"
    );
    assert!(
        html.contains(&format!(">{source}</a>")),
        "source link on the page"
    );
    assert!(
        html.contains(&askama_escape(&top_name)),
        "top account on the page"
    );

    // A stemmed Russian form: the feed says «завод», «заводе», «заводы»; the query says «заводами».
    let r = get_json(&client, &format!("{base}/api/events"), &[("q", "заводами")]).await;
    assert!(r["total"].as_u64().unwrap() >= 1, "{r}");
    assert!(r["events"][0]["snippet"].as_str().unwrap().contains("<b>"));

    let r = get_json(
        &client,
        &format!("{base}/api/events"),
        &[("q", ""), ("kind", "acquisition")],
    )
    .await;
    let events = r["events"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["kind"] == "acquisition"));

    let bad = client
        .get(format!("{base}/api/events?kind=merger"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let msg: serde_json::Value = bad.json().await.unwrap();
    assert!(msg["error"].as_str().unwrap().contains("merger"));

    let page = get_text(&client, &format!("{base}/search?q=purchase")).await;
    assert!(page.contains("events found"));
    assert!(page.contains("<b>"), "highlighted hit");
}

async fn get_json(
    client: &reqwest::Client,
    url: &str,
    query: &[(&str, &str)],
) -> serde_json::Value {
    client
        .get(url)
        .query(query)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn get_text(client: &reqwest::Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}
