//! The JSON API as documented: the OpenAPI document names every `/api` route the router serves
//! and answers carry the fields it promises; writes need a token; with `api.require_token`
//! pages and reads need one too (browsers sign in once), feeds keep their keys.

mod common;

use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

/// A served demo instance, its token, and its address.
async fn serve(require_token: bool) -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let run = trigger_radar::demo::run_with(common::config(dir.path()), false)
        .await
        .unwrap();
    run.app.close_indexer().unwrap();
    let mut app = run.app;
    let (_, token) = app.create_token("tests").await.unwrap();
    app.config.api.require_token = require_token;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(trigger_radar::web::serve(
        Arc::new(app),
        listener,
        std::future::pending(),
    ));
    (dir, format!("http://{addr}"), token)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The schema `s` stands for (following one `$ref`).
fn resolve<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    match s["$ref"].as_str() {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap();
            &doc["components"]["schemas"][name]
        }
        None => s,
    }
}

/// Every property the schema requires is in `v` (objects; arrays: each item).
fn conforms(doc: &Value, schema: &Value, v: &Value, at: &str) {
    let schema = resolve(doc, schema);
    if let Some(items) = schema.get("items") {
        for (i, item) in v
            .as_array()
            .unwrap_or_else(|| panic!("{at}: not an array"))
            .iter()
            .enumerate()
        {
            conforms(doc, items, item, &format!("{at}[{i}]"));
        }
        return;
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            conforms(doc, s, v, at);
        }
    }
    for r in schema["required"].as_array().into_iter().flatten() {
        let name = r.as_str().unwrap();
        assert!(
            v.get(name).is_some(),
            "{at}: `{name}` is documented as required but missing in {v}"
        );
    }
}

#[tokio::test]
async fn the_document_names_every_route_and_answers_conform() {
    let (_dir, base, token) = serve(false).await;
    let c = client();
    let doc: Value = c
        .get(format!("{base}/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let documented: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();

    // Every /api route in the router is documented, and nothing else is.
    let router =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/mod.rs")).unwrap();
    let served: BTreeSet<String> = router
        .split(".route(")
        .skip(1)
        .filter_map(|r| {
            r.trim_start()
                .strip_prefix('"')?
                .split('"')
                .next()
                .map(str::to_string)
        })
        .filter(|p| p.starts_with("/api/") && p != "/api/openapi.json")
        .collect();
    assert!(served.len() >= 12, "{served:?}");
    assert_eq!(served, documented);

    // Answers carry what the document promises.
    let leads: Value = c
        .get(format!("{base}/api/leads?limit=3"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = leads[0]["account"]["id"].as_i64().unwrap();
    for path in [
        "/api/leads".to_string(),
        "/api/accounts".to_string(),
        "/api/events".to_string(),
        "/api/sources".to_string(),
        "/api/searches".to_string(),
        format!("/api/accounts/{id}"),
        format!("/api/accounts/{id}/explanation"),
    ] {
        let key = if path.ends_with("/explanation") {
            "/api/accounts/{id}/explanation".to_string()
        } else if path.starts_with("/api/accounts/") {
            "/api/accounts/{id}".to_string()
        } else {
            path.clone()
        };
        let schema =
            &doc["paths"][&key]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        assert!(!schema.is_null(), "{key} documents its answer");
        let v: Value = c
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        conforms(&doc, schema, &v, &path);
    }
    let page: Value = c
        .get(format!("{base}/api/accounts?limit=10"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let next = page["next"].as_i64().unwrap();
    let more: Value = c
        .get(format!("{base}/api/accounts?limit=10&after={next}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        more["accounts"][0]["id"].as_i64().unwrap() > next,
        "cursor pages"
    );
    let r = c
        .get(format!("{base}/api/leads?limit=2&band=hot"))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["x-total-count"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );

    // Writes need the token.
    let fb = serde_json::json!({"account": id, "verdict": "taken"});
    let r = c
        .post(format!("{base}/api/feedback"))
        .json(&fb)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(format!("{base}/api/feedback"))
        .bearer_auth(&token)
        .json(&fb)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bad = serde_json::json!({"account": id, "event": 987654, "verdict": "not_relevant"});
    let r = c
        .post(format!("{base}/api/feedback"))
        .bearer_auth(&token)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let s = serde_json::json!({"name": "Plants", "query": "q=plant&kind=new_facility"});
    let r = c
        .post(format!("{base}/api/searches"))
        .bearer_auth(&token)
        .json(&s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let saved: Value = r.json().await.unwrap();
    conforms(
        &doc,
        &doc["paths"]["/api/searches"]["post"]["responses"]["201"]["content"]["application/json"]["schema"],
        &saved,
        "saved",
    );
    let feed = c
        .get(format!(
            "{base}/feeds/searches/{}.atom",
            saved["feed_key"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), 200);
    // A webhook can follow the saved search: through the API with a token…
    let hook =
        serde_json::json!({"url": "https://crm.example.com/plants", "saved_search": saved["id"]});
    let r = c
        .post(format!("{base}/api/webhooks"))
        .json(&hook)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(format!("{base}/api/webhooks"))
        .bearer_auth(&token)
        .json(&hook)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["saved_search"], saved["id"]);
    // …and from the saved searches page, where the form needs a token too and shows the
    // signing secret once.
    let (cookie, csrf, page) = common::form_page(&c, &format!("{base}/searches")).await;
    assert!(page.contains("https://crm.example.com/plants"), "{page}");
    let hook_url = format!("{base}/searches/{}/webhook", saved["id"]);
    let alert = "https://alerts.example.com/in";
    let r = common::post_form(
        &c,
        &hook_url,
        &cookie,
        &[("csrf", &csrf), ("url", alert), ("token", "")],
    )
    .await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("needs a valid API token"));
    let r = common::post_form(
        &c,
        &hook_url,
        &cookie,
        &[("csrf", &csrf), ("url", alert), ("token", &token)],
    )
    .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("signing secret, shown this once: whsec_"),
        "{page}"
    );
    assert!(page.contains("https://alerts.example.com/in"));
    assert!(!page.contains(&token), "the token is not echoed");
    let hooks: Value = c
        .get(format!("{base}/api/webhooks"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let following = |h: &Value| {
        h.as_array()
            .unwrap()
            .iter()
            .filter(|w| w["webhook"]["saved_search"] == saved["id"])
            .count()
    };
    assert_eq!(following(&hooks), 2);
    let r = c
        .delete(format!("{base}/api/searches/{}", saved["id"]))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    // Its webhooks go with it.
    let hooks: Value = c
        .get(format!("{base}/api/webhooks"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(following(&hooks), 0);
    let r = c
        .post(format!("{base}/api/searches"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "x", "query": "from=soon"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn with_require_token_pages_and_reads_need_a_token() {
    let (_dir, base, token) = serve(true).await;
    let c = client();
    assert_eq!(
        c.get(format!("{base}/api/leads"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let r = c
        .get(format!("{base}/api/leads"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        c.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        c.get(format!("{base}/api/openapi.json"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // A page sends the browser to sign in, and back.
    let r = c
        .get(format!("{base}/search?q=plant"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/login?next="), "{to}");
    let (csrf_cookie, csrf, html) = common::form_page(&c, &format!("{base}{to}")).await;
    assert!(!html.contains(&token), "no secret in pages");
    let login = |t: &str| {
        let url = format!("{base}/login");
        let pairs = [
            ("csrf".to_string(), csrf.clone()),
            ("token".to_string(), t.to_string()),
            ("next".to_string(), "/search?q=plant".to_string()),
        ];
        let (c, cookie) = (&c, &csrf_cookie);
        async move {
            let pairs: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            common::post_form(c, &url, cookie, &pairs).await
        }
    };
    let wrong = login("trr_wrong").await;
    assert_eq!(wrong.status(), 401);
    let ok = login(&token).await;
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()["location"], "/search?q=plant");
    let session = ok.headers()["set-cookie"].to_str().unwrap();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    let session = session.split(';').next().unwrap().to_string();
    let page = c
        .get(format!("{base}/search?q=plant"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("events found"));
}
