//! What the tests share: the binary run in a data directory, the local
//! services `tests/services.sh` starts, fresh databases and buckets on them.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use docseal::store::{S3Credentials, S3Options, S3Store};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Executor};

/// The office the binary tests issue for.
pub const OFFICE: &str = "UBND phường Bến Nghé, Quận 1, TP. Hồ Chí Minh";

/// `DOCSEAL_REVIEW_THRESHOLD` for the desk's tests: no field of a scan is
/// read with this much confidence, so their documents wait at review
/// whatever the quality of their reading.
pub const REVIEW_THRESHOLD: &str = "0.99";

/// The `docseal` binary with `--data DATA`, the office and an operator set.
pub fn docseal_cmd(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_docseal"));
    c.arg("--data")
        .arg(data)
        .env("DOCSEAL_OFFICE", OFFICE)
        .env("DOCSEAL_OPERATOR", "Trần Thị Thu")
        .stdin(Stdio::null());
    c
}

/// Runs `docseal --data DATA ARGS` to the end.
pub fn docseal(data: &Path, args: &[&str]) -> Output {
    docseal_cmd(data)
        .args(args)
        .output()
        .expect("the docseal binary runs")
}

/// Each line of a run's standard output, as JSON (`--json` commands).
pub fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// What a run printed, standard output then standard error.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The value of a variable the test services set; fails the test when it is
/// missing, since skipping would pass without testing anything.
pub fn service_env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set: the PostgreSQL and S3 tests need the local test services. \
             Run the tests through `make test`, or start the services with \
             `tests/services.sh start && eval \"$(tests/services.sh env)\"` before `cargo test` \
             (and `tests/services.sh stop` afterwards)."
        ),
    }
}

/// A name no other test in any process uses, e.g. `docseal-t-1a2b3c…`.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    format!(
        "{prefix}-{:x}-{:x}-{}",
        std::process::id(),
        nanos & 0xffff_ffff_ffff,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A new, empty database on the test PostgreSQL server.
pub async fn fresh_pg_database() -> PgConnectOptions {
    let url = service_env("DOCSEAL_TEST_PG_URL");
    let base: PgConnectOptions = url
        .parse()
        .unwrap_or_else(|e| panic!("DOCSEAL_TEST_PG_URL is not a PostgreSQL URL: {e}"));
    let name = unique_name("docseal_t").replace('-', "_");
    let mut conn = tokio::time::timeout(Duration::from_secs(20), base.connect())
        .await
        .expect("the test PostgreSQL answers in time")
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL at {url}: {e}"));
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
    base.database(&name)
}

/// The URL of a new, empty database on the test PostgreSQL server.
pub async fn fresh_pg_url() -> String {
    let options = fresh_pg_database().await;
    let url = service_env("DOCSEAL_TEST_PG_URL");
    let name = options.get_database().expect("a database name");
    let (server, _) = url
        .rsplit_once('/')
        .expect("DOCSEAL_TEST_PG_URL ends in /DATABASE");
    format!("{server}/{name}")
}

/// The test S3 server's address and keys.
#[derive(Debug, Clone)]
pub struct S3Env {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The access key id.
    pub access_key: String,
    /// The secret key.
    pub secret_key: String,
}

impl S3Env {
    /// Reads `DOCSEAL_TEST_S3_ENDPOINT`, `DOCSEAL_TEST_S3_ACCESS_KEY` and
    /// `DOCSEAL_TEST_S3_SECRET_KEY`.
    pub fn from_env() -> S3Env {
        S3Env {
            endpoint: service_env("DOCSEAL_TEST_S3_ENDPOINT"),
            access_key: service_env("DOCSEAL_TEST_S3_ACCESS_KEY"),
            secret_key: service_env("DOCSEAL_TEST_S3_SECRET_KEY"),
        }
    }

    /// Options for `bucket` on this server.
    pub fn options(&self, bucket: &str) -> S3Options {
        let mut o = S3Options::new(bucket);
        o.endpoint = Some(self.endpoint.clone());
        o.path_style = true;
        o.credentials = Some(S3Credentials {
            access_key_id: self.access_key.clone(),
            secret_access_key: self.secret_key.clone(),
            session_token: None,
        });
        o.connect_timeout = Duration::from_secs(2);
        o.attempt_timeout = Duration::from_secs(30);
        o
    }
}

/// A new, empty bucket on the test S3 server.
pub async fn fresh_bucket(env: &S3Env) -> String {
    let bucket = unique_name("docseal-t");
    let store = S3Store::new(&env.options(&bucket)).expect("S3 settings are complete");
    tokio::time::timeout(Duration::from_secs(20), store.create_bucket_if_missing())
        .await
        .expect("the test S3 server answers in time")
        .unwrap_or_else(|e| panic!("cannot create bucket {bucket} at {}: {e}", env.endpoint));
    bucket
}

/// Every key under `prefix` in `bucket`, as the server lists them.
pub async fn list_bucket(env: &S3Env, bucket: &str, prefix: &str) -> Vec<String> {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&env.endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            &env.access_key,
            &env.secret_key,
            None,
            None,
            "docseal-tests",
        ))
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    let mut keys = Vec::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.unwrap_or_else(|e| panic!("cannot list bucket {bucket}: {e}"));
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(String::from)),
        );
    }
    keys
}
