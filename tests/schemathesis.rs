//! The API as described by its own OpenAPI document, fuzzed by
//! `schemathesis` (PyPI) on a live `docseal serve`: no generated request may
//! get a server error. Bounded in time (`--max-time`) and examples; the
//! JUnit report is kept in `target/schemathesis/`. `make test` installs the
//! pinned schemathesis.

mod common;
#[path = "common/live.rs"]
mod live;

use live::{artifacts, require, LiveServer};

/// Seconds schemathesis may spend.
const MAX_TIME_SECS: &str = "90";

#[test]
fn no_request_the_openapi_document_allows_gets_a_server_error() {
    let mut st = require(
        "schemathesis",
        "run `make test`, or `pip install` the version the Makefile pins",
    );
    let (dir, data, token) = LiveServer::prepare("fuzzer", "admin");
    let server = LiveServer::start(dir, data, 0);
    let reports = artifacts("schemathesis");
    // Its cache (`.schemathesis/`) goes beside the report, not into the tree.
    let out = st
        .current_dir(&reports)
        .arg("run")
        .arg(format!("{}/v1/openapi.json", server.url))
        .args(["--checks", "not_a_server_error"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--max-examples", "25", "--max-time", MAX_TIME_SECS])
        .args(["--seed", "12", "--workers", "2", "--request-timeout", "20"])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--report", "junit", "--report-dir"])
        .arg(&reports)
        .env("NO_COLOR", "1")
        .output()
        .expect("schemathesis runs");
    let printed = common::text(&out);
    assert!(
        out.status.success(),
        "schemathesis found server errors:\n{printed}\n--- docseal serve ---\n{}",
        server.log()
    );
    println!("{printed}");
}
