//! Shared test fixture: an instance in a temporary folder with one local feed source `f`.

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
