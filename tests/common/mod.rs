//! Shared test fixtures: an instance in a temporary folder with one local feed source `f`, and
//! a local HTTP server. Each test file uses some of them.
#![allow(dead_code)]

use std::path::PathBuf;
use trigger_radar::{App, Config};

/// The configuration of a test instance in `data_dir`: SQLite there, or PostgreSQL when
/// `TRIGGER_RADAR_TEST_PG` is set (e.g. `postgres://postgres@127.0.0.1:5432/test`), in a schema of
/// this data folder's own, so tests run in parallel and two instances opened on one folder (two
/// "processes", or a reopen) share one database as they would with SQLite.
pub fn config(data_dir: &std::path::Path) -> Config {
    with_db(Config::for_data_dir(data_dir))
}

/// `cfg` on its data folder's test database (see [`config`]).
pub fn with_db(mut cfg: Config) -> Config {
    if let Some((url, schema)) = pg(&cfg.data_dir) {
        cfg.database_url = url;
        cfg.database_schema = Some(schema);
    }
    cfg
}

/// With `TRIGGER_RADAR_TEST_PG` set: its URL and the schema of `data_dir`.
pub fn pg(data_dir: &std::path::Path) -> Option<(String, String)> {
    let url = std::env::var("TRIGGER_RADAR_TEST_PG")
        .ok()
        .filter(|u| !u.trim().is_empty())?;
    // FNV-1a of the path: stable within this test process, distinct between temporary folders.
    let h = data_dir
        .to_string_lossy()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
        });
    Some((url, format!("trt_{}_{h:016x}", std::process::id())))
}

/// Environment for a `trigger-radar` child process on `data_dir`'s database (empty on SQLite).
pub fn db_env(data_dir: &std::path::Path) -> Vec<(&'static str, String)> {
    match pg(data_dir) {
        Some((url, schema)) => vec![
            ("TRIGGER_RADAR_DATABASE_URL", url),
            ("TRIGGER_RADAR_DATABASE_SCHEMA", schema),
        ],
        None => Vec::new(),
    }
}

/// The instance, its folder (keep it alive) and the path the feed `f` reads (write it yourself).
pub async fn one_feed_instance() -> (tempfile::TempDir, App, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sources");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("f.toml"),
        "name = \"f\"\nkind = \"feed\"\nurl = \"f.xml\"\n",
    )
    .unwrap();
    let mut cfg = config(&dir.path().join("data"));
    cfg.sources_dirs = vec![src.clone()];
    let app = App::open(cfg).await.unwrap();
    (dir, app, src.join("f.xml"))
}

/// Serves `app` on a free 127.0.0.1 port; returns its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A page with forms, opened as a browser would: its CSRF cookie (`name=value`, to send back),
/// the token its forms repeat, and its HTML.
pub async fn form_page(client: &reqwest::Client, url: &str) -> (String, String, String) {
    let r = client.get(url).send().await.unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = r.text().await.unwrap();
    let token = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("{url} has no form"))
        .to_string();
    (cookie, token, html)
}

/// Posts a form (`pairs` encoded, the CSRF token among them) with the page's cookie.
pub async fn post_form(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    pairs: &[(&str, &str)],
) -> reqwest::Response {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    client
        .post(url)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(trigger_radar::web::params::encode(&pairs))
        .send()
        .await
        .unwrap()
}
