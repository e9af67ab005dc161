//! The review desk in headless Chromium: `tests/browser/desk.mjs`
//! (playwright-core driving Debian's `/usr/bin/chromium`) against a live
//! `docseal serve`, from a refused login to the approved document's VALID
//! verdict on `/verify`. Screenshots of each page are kept in
//! `target/browser-artifacts/`. `make test` installs Chromium, Node.js and
//! `tests/browser/node_modules` (`npm ci`).

mod common;
#[path = "common/live.rs"]
mod live;

use std::time::Duration;

use live::{artifacts, require, root, LiveServer};

/// A sample the pipeline reads with one doubtful field, misread (`address`:
/// `Krông Đắc` for `Krông Pắc`): it ends `needs_review`, and the person at
/// the desk corrects it from its `.truth.json`.
const NEEDS_REVIEW_SCAN: &str = "samples/0007_construction_permit.pdf";

#[test]
fn a_reviewer_finishes_a_record_at_the_desk_and_the_pdf_verifies() {
    let modules = root().join("tests/browser/node_modules/playwright-core");
    assert!(
        modules.is_dir(),
        "playwright-core is not installed: run `make test`, or `npm ci` in tests/browser"
    );
    assert!(
        std::path::Path::new("/usr/bin/chromium").is_file(),
        "Chromium is not installed: run `make test`, or `apt-get install chromium`"
    );
    let mut node = require("node", "run `make test`, or `apt-get install nodejs`");

    let (dir, data, token) = LiveServer::prepare("reviewer", "reviewer");
    let server = LiveServer::start(dir, data, 1);
    let out_dir = artifacts("browser-artifacts");
    let started = std::time::Instant::now();
    let out = node
        .current_dir(root())
        .arg("tests/browser/desk.mjs")
        .arg(&server.url)
        .arg(&token)
        .arg(root().join(NEEDS_REVIEW_SCAN))
        .arg(&out_dir)
        .env("DESK_USER", "reviewer")
        .output()
        .expect("node runs");
    let printed = common::text(&out);
    assert!(
        out.status.success(),
        "the desk scenario failed after {:?}:\n{printed}\n--- docseal serve ---\n{}",
        started.elapsed(),
        server.log()
    );
    println!("{printed}");
    assert!(printed.contains("verdict: VALID"), "{printed}");
    assert!(printed.contains("keystrokes: "), "{printed}");
    assert!(printed.contains("corrected: {\"address\""), "{printed}");
    let shots = std::fs::read_dir(&out_dir)
        .expect("the artifacts directory")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
        .count();
    assert!(
        shots >= 10,
        "only {shots} screenshots in {}",
        out_dir.display()
    );
    assert!(started.elapsed() < Duration::from_secs(600));
}
