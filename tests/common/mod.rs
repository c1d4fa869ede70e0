//! Shared test fixtures: an instance in a temporary folder with one local feed source `f`, and
//! a local HTTP server. Each test file uses some of them.
#![allow(dead_code)]

use std::path::PathBuf;
use trigger_radar::{App, Config};

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
    let mut cfg = Config::for_data_dir(&dir.path().join("data"));
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
