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

#[tokio::test]
async fn search_filters_counts_pages_and_exports() {
    let (_dir, base) = serve_demo().await;
    let client = reqwest::Client::new();
    let api = format!("{base}/api/events");

    // Every facet value's count is what filtering on it finds.
    let all = get_json(&client, &api, &[("limit", "1")]).await;
    let total = all["total"].as_u64().unwrap();
    assert!(total > 20, "{all}");
    let facets = all["facets"].as_array().unwrap();
    let names: Vec<&str> = facets
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in [
        "kind",
        "status",
        "source_kind",
        "lang",
        "industry",
        "region",
        "segment",
    ] {
        assert!(names.contains(&f), "{names:?}");
    }
    let values = |field: &str| -> Vec<(String, u64)> {
        facets.iter().find(|f| f["field"] == field).unwrap()["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v[0].as_str().unwrap().to_string(), v[1].as_u64().unwrap()))
            .collect()
    };
    let langs = values("lang");
    assert_eq!(langs.iter().map(|(_, n)| n).sum::<u64>(), total);
    for field in ["kind", "region", "industry", "lang"] {
        let (value, n) = values(field).into_iter().next().unwrap();
        let r = get_json(&client, &api, &[(field, value.as_str()), ("limit", "1")]).await;
        assert_eq!(r["total"].as_u64(), Some(n), "{field}={value}");
    }
    // Two kinds are alternatives; a region narrows them.
    let r = get_json(
        &client,
        &api,
        &[("kind", "acquisition,new_facility"), ("limit", "100")],
    )
    .await;
    let events = r["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .all(|e| e["kind"] == "acquisition" || e["kind"] == "new_facility")
    );
    assert!(events.iter().any(|e| e["kind"] == "new_facility"));

    // A date range keeps both ends.
    let r = get_json(
        &client,
        &api,
        &[
            ("from", "2026-11-01"),
            ("to", "2026-11-15"),
            ("limit", "100"),
            ("sort", "date"),
        ],
    )
    .await;
    let dates: Vec<String> = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["published_at"].as_str().unwrap()[..10].to_string())
        .collect();
    assert!(!dates.is_empty());
    assert!(
        dates
            .iter()
            .all(|d| d.as_str() >= "2026-11-01" && d.as_str() <= "2026-11-15"),
        "{dates:?}"
    );
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {dates:?}"
    );

    // Pages do not overlap.
    let ids = |v: &serde_json::Value| -> Vec<i64> {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect()
    };
    let p1 = get_json(
        &client,
        &api,
        &[("limit", "5"), ("page", "1"), ("sort", "date")],
    )
    .await;
    let p2 = get_json(
        &client,
        &api,
        &[("limit", "5"), ("page", "2"), ("sort", "date")],
    )
    .await;
    assert_eq!(ids(&p1).len(), 5);
    assert!(ids(&p1).iter().all(|i| !ids(&p2).contains(i)));
    let bad = client
        .get(format!("{api}?from=last-week"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    // The page: facets as checkboxes, the chosen one checked, an export link for the same search.
    let page = get_text(&client, &format!("{base}/search?q=&kind=acquisition")).await;
    assert!(page.contains("data-facet=\"region\""), "facets on the page");
    assert!(
        page.contains("value=\"acquisition\" checked"),
        "chosen facet checked"
    );
    assert!(page.contains("/search.csv?kind=acquisition"), "export link");

    // CSV: a header and one row per hit.
    let r = client
        .get(format!("{base}/search.csv?kind=acquisition"))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = r.text().await.unwrap();
    let mut rows = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(rows.headers().unwrap().get(2), Some("kind"));
    let n = rows
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[2] == "acquisition")
        .count();
    let acq = get_json(&client, &api, &[("kind", "acquisition"), ("limit", "1")]).await;
    assert_eq!(n as u64, acq["total"].as_u64().unwrap());
}

#[tokio::test]
async fn leads_filter_page_and_take_feedback() {
    let (_dir, base) = serve_demo().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let first = client.get(format!("{base}/")).send().await.unwrap();
    let cookie = first.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("SameSite=Strict") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_string();
    let html = first.text().await.unwrap();
    let token = between(&html, "name=\"csrf\" value=\"", "\"");
    let total: usize = between(&html, "<span id=\"lead-total\">", "<")
        .parse()
        .unwrap();
    assert!(total > 25, "demo accounts are scored: {total}");
    // Pages: 25 a page, ranks continue.
    let p2 = get_text(&client, &format!("{base}/?page=2")).await;
    assert!(p2.contains("data-rank=\"26\""), "second page");
    // Filters: only hot accounts, only accounts with an acquisition.
    let hot = get_text(&client, &format!("{base}/?band=hot")).await;
    assert!(hot.contains("class=\"score hot\""));
    assert!(!hot.contains("class=\"score warm\"") && !hot.contains("class=\"score cold\""));
    let acq = get_text(&client, &format!("{base}/?kind=acquisition")).await;
    let n_acq: usize = between(&acq, "<span id=\"lead-total\">", "<")
        .parse()
        .unwrap();
    assert!(n_acq > 0 && n_acq < total, "{n_acq} of {total}");

    // The top lead's strongest event is marked not relevant: its contribution goes, the
    // account's score drops.
    let leads = get_json(&client, &format!("{base}/api/leads"), &[("limit", "1")]).await;
    let account = leads[0]["account"]["id"].as_i64().unwrap();
    let score = leads[0]["readiness"]["score"].as_u64().unwrap();
    let event = leads[0]["readiness"]["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|c| c["event_id"].as_i64())
        .unwrap();
    let form = [
        ("csrf", token.as_str()),
        ("account", &account.to_string()),
        ("event", &event.to_string()),
        ("verdict", "not_relevant"),
        ("back", "/?band=hot"),
    ];
    let body =
        trigger_radar::web::params::encode(&form.map(|(k, v)| (k.to_string(), v.to_string())));
    let forged = client
        .post(format!("{base}/feedback"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "no cookie, no feedback");
    let r = client
        .post(format!("{base}/feedback"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/?band=hot");
    let view = get_json(&client, &format!("{base}/api/accounts/{account}"), &[]).await;
    assert!(view["readiness"]["score"].as_u64().unwrap_or(0) < score);
    assert!(
        view["readiness"]["contributions"]
            .as_array()
            .is_none_or(|c| c.iter().all(|c| c["event_id"].as_i64() != Some(event))),
        "the event no longer counts"
    );
    let page = get_text(&client, &format!("{base}/")).await;
    assert!(
        !page.contains(&format!("data-event=\"{event}\"")),
        "nor shows"
    );
}

#[tokio::test]
async fn account_and_sources_pages() {
    let (_dir, base) = serve_demo().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let leads = get_json(&client, &format!("{base}/api/leads"), &[("limit", "1")]).await;
    let id = leads[0]["account"]["id"].as_i64().unwrap();
    let name = leads[0]["account"]["name"].as_str().unwrap();
    let page = get_text(&client, &format!("{base}/accounts/{id}")).await;
    assert!(page.contains(&askama_escape(name)));
    assert!(page.contains("id=\"score-chart\""), "the score chart");
    assert!(page.contains("<circle"), "with the history's points");
    assert!(page.contains("Why now:"));
    assert!(page.matches("data-event=").count() >= 1, "events timeline");
    assert!(page.contains("<th>CRM id</th>"));
    let missing = client
        .get(format!("{base}/accounts/999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let (cookie, token, html) = common::form_page(&client, &format!("{base}/sources")).await;
    assert!(
        html.contains("data-source=\"demo-ru-regions\""),
        "each source"
    );
    let run_now = |name: &str| {
        let url = format!("{base}/sources/{name}/run");
        let (client, cookie, token) = (&client, &cookie, &token);
        async move { common::post_form(client, &url, cookie, &[("csrf", token)]).await }
    };
    assert_eq!(run_now("demo-ru-regions").await.status(), 303);
    let unknown = run_now("nope").await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn feeds_exports_and_saved_searches() {
    let (_dir, base) = serve_demo().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let leads = get_json(&client, &format!("{base}/api/leads"), &[("limit", "100")]).await;
    let leads = leads.as_array().unwrap();

    // The leads feed: valid Atom (a feed reader's parser reads it), best first.
    let r = client
        .get(format!("{base}/leads.atom"))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let feed = feed_rs::parser::parse(r.bytes().await.unwrap().as_ref()).expect("valid Atom");
    assert_eq!(feed.entries.len(), leads.len().min(50));
    let top = &feed.entries[0];
    let name = leads[0]["account"]["name"].as_str().unwrap();
    assert!(top.title.as_ref().unwrap().content.contains(name));
    assert!(
        top.links[0]
            .href
            .ends_with(&format!("/accounts/{}", leads[0]["account"]["id"]))
    );
    // Per band (or owner, segment…).
    let hot = client
        .get(format!("{base}/leads.atom?band=hot"))
        .send()
        .await
        .unwrap();
    let hot = feed_rs::parser::parse(hot.bytes().await.unwrap().as_ref()).unwrap();
    assert!(!hot.entries.is_empty());
    assert!(
        hot.entries
            .iter()
            .all(|e| e.title.as_ref().unwrap().content.contains("(hot)"))
    );
    // CSV of the same list.
    let csv_text = get_text(&client, &format!("{base}/leads.csv")).await;
    let mut rows = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(rows.headers().unwrap().get(1), Some("score"));
    assert_eq!(rows.records().count(), leads.len());

    // Save a search from the search page; its feed lists what it finds, newest first.
    let (cookie, token, page) = common::form_page(&client, &format!("{base}/search?q=завод")).await;
    assert!(page.contains("action=\"/searches\""), "save form");
    let saved = common::post_form(
        &client,
        &format!("{base}/searches"),
        &cookie,
        &[("csrf", &token), ("name", "Заводы"), ("query", "q=завод")],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let list = get_text(&client, &format!("{base}/searches")).await;
    assert!(list.contains("Заводы"));
    let feed_url = between(&list, "class=\"feed\" href=\"", "\"");
    let r = client.get(&feed_url).send().await.unwrap();
    assert_eq!(r.status(), 200, "{feed_url}");
    let feed = feed_rs::parser::parse(r.bytes().await.unwrap().as_ref()).expect("valid Atom");
    let found = get_json(
        &client,
        &format!("{base}/api/events"),
        &[("q", "завод"), ("limit", "1")],
    )
    .await;
    assert_eq!(
        feed.entries.len() as u64,
        found["total"].as_u64().unwrap().min(50)
    );
    let dates: Vec<_> = feed.entries.iter().map(|e| e.updated.unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // Deleted: the feed is gone.
    let id = between(&list, "data-saved=\"", "\"");
    let del = common::post_form(
        &client,
        &format!("{base}/searches/{id}/delete"),
        &cookie,
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(del.status(), 303);
    assert_eq!(client.get(&feed_url).send().await.unwrap().status(), 404);
}

/// The text between `start` and the next `end`.
fn between(s: &str, start: &str, end: &str) -> String {
    let i = s
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in page"))
        + start.len();
    s[i..i + s[i..].find(end).unwrap()].to_string()
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
