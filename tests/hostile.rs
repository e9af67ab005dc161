//! Hostile input at the level of the binary: small files built to crash or
//! exhaust a reader (`tests/hostile.py` writes them) go through `docseal
//! run`, `verify` and two `work` processes next to a good scan. Each fails
//! alone with an error that names the file and the cause; the good scan is
//! issued; the process ends by itself and stays under 1 GB.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{docseal_cmd as docseal, json_lines};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The hostile set, written by `tests/hostile.py` into `dir`; with a result
/// document, also the one with an update appended after signing.
fn hostile_set(dir: &Path, result: Option<&Path>) -> Vec<PathBuf> {
    let mut c = Command::new("python3");
    c.arg(repo().join("tests/hostile.py")).arg(dir);
    if let Some(r) = result {
        c.arg("--result").arg(r);
    }
    let out = c.output().expect("python3 runs");
    assert!(
        out.status.success(),
        "hostile.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the set is written")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

/// Runs `cmd` under `/usr/bin/time`; its output and peak resident memory in KiB.
fn with_peak_memory(cmd: Command) -> (Output, u64) {
    let report = tempfile::NamedTempFile::new().expect("temp file");
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(report.path())
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    let out = timed.output().expect("/usr/bin/time runs");
    let text = std::fs::read_to_string(report.path()).expect("the time report");
    let kib = text
        .lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .next_back()
        .unwrap_or_else(|| panic!("no peak memory in {text:?}"));
    (out, kib)
}

/// What each hostile file must fail with (a part of its error).
fn expected_cause(name: &str) -> &'static str {
    match name {
        "ref_chain.pdf" => "max_reference_depth",
        "nested_arrays.pdf" => "nesting depth",
        "page_tree_loop.pdf" => "page tree",
        "flate_twice.pdf" => "",
        "form_repeat.pdf" => "max_operations",
        "operand_flood.pdf" => "max_operations",
        "lzw_bomb.pdf" => "image data cannot be read",
        "tiff_pages.tif" => "max_total_pixels",
        "tiff_ifd_loop.tif" => "loops back",
        "png_bomb.png" => "more than the limit",
        other => panic!("no expectation for {other}"),
    }
}

const GOOD: &str = "0001_death_extract.jpg";

#[test]
fn one_run_fails_each_hostile_file_alone_issues_the_good_scan_and_stays_under_a_gigabyte() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let files = hostile_set(&tmp.path().join("hostile"), None);
    let data = tmp.path().join("data");
    let mut cmd = docseal(&data);
    cmd.args(["run", "--json", "--workers", "2"])
        .arg(repo().join("samples").join(GOOD))
        .args(&files);
    let (out, peak_kib) = with_peak_memory(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "the run ends by itself, whatever its inputs: {:?} {stderr}",
        out.status
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), files.len() + 1, "{lines:?}");
    for line in &lines {
        let source = line["source"].as_str().expect("source");
        let name = Path::new(source)
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .to_string();
        let state = line["status"].as_str().expect("status");
        if name == GOOD {
            assert_eq!(state, "issued", "{line}");
            continue;
        }
        let cause = expected_cause(&name);
        if name == "flate_twice.pdf" {
            // Read within its bounds: the image is blank paper, not a bomb.
            assert_ne!(state, "processing", "{line}");
            continue;
        }
        assert_eq!(state, "failed", "{name}: {line}");
        let error = line["error"].as_str().expect("error");
        assert!(
            error.contains(&name),
            "{name}: the error names the file: {error}"
        );
        assert!(
            error.contains(cause),
            "{name}: expected {cause:?} in {error}"
        );
        assert!(!error.contains(".rs:"), "{name}: no source paths: {error}");
    }
    assert!(
        peak_kib < 1024 * 1024,
        "peak memory {peak_kib} KiB is over 1 GiB"
    );
}

#[test]
fn verify_reads_nothing_appended_after_signing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    let out = docseal(&data)
        .args(["run", "--json"])
        .arg(repo().join("samples").join(GOOD))
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results = data.join("objects").join("results");
    let result = walk(&results)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .expect("a result document");
    let files = hostile_set(&tmp.path().join("hostile"), Some(&result));
    let appended = files
        .iter()
        .find(|p| p.ends_with("appended_update.pdf"))
        .expect("the appended update");
    let mut cmd = docseal(&data);
    cmd.arg("verify").arg(appended);
    let (out, peak_kib) = with_peak_memory(cmd);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "INVALID: {text}");
    assert!(text.contains("after signing"), "{text}");
    assert!(text.contains("nothing else in the file was read"), "{text}");
    assert!(peak_kib < 200 * 1024, "verify used {peak_kib} KiB");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn sha256_hex(path: &Path) -> String {
    docseal::store::sha256_hex(&std::fs::read(path).expect("reads"))
}

fn status(data: &Path) -> Value {
    let out = docseal(data)
        .args(["status", "--json"])
        .output()
        .expect("status runs");
    serde_json::from_slice(&out.stdout).expect("status JSON")
}

fn start_worker(data: &Path, env: &[(&str, &str)]) -> Child {
    docseal(data)
        .args(["work", "--workers", "2"])
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("work starts")
}

/// A scan that aborts whichever process reads it (a test build's stand-in
/// for a stack overflow in a library) takes its first worker down with the
/// other jobs it held; on their next lease each runs in a process of its
/// own, so the poison fails alone and the good scans are issued.
#[test]
fn a_job_that_kills_its_worker_is_retried_in_a_process_of_its_own() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    let samples = repo().join("samples");
    let poison = samples.join("0000_birth_certificate.png");
    let good = [samples.join(GOOD), samples.join("0003_citizen_id.pdf")];
    let hostile = hostile_set(&tmp.path().join("hostile"), None);
    let out = docseal(&data)
        .arg("submit")
        .arg(&poison)
        .args(&good)
        .args(&hostile)
        .output()
        .expect("submit runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let poison_sha = sha256_hex(&poison);
    let env = [
        ("DOCSEAL_TEST_ABORT_ON", poison_sha.as_str()),
        ("DOCSEAL_LEASE_SECS", "3"),
    ];
    let mut workers = [start_worker(&data, &env), start_worker(&data, &env)];
    let started = Instant::now();
    let mut aborted = 0;
    loop {
        for w in workers.iter_mut() {
            if let Ok(Some(status)) = w.try_wait() {
                // A worker that read the poison in process is gone; start
                // another, as a service manager would.
                assert!(!status.success(), "a worker never ends by itself");
                aborted += 1;
                *w = start_worker(&data, &env);
            }
        }
        let s = status(&data);
        let counts = &s["counts"];
        if counts["queued"] == 0 && counts["processing"] == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the batch did not finish: {s}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    for w in workers.iter_mut() {
        let _ = w.kill();
        let _ = w.wait();
    }
    assert!(aborted >= 1, "the poison took down its first worker");
    let s = status(&data);
    assert_eq!(s["counts"]["processing"], 0, "{s}");
    let jobs = jobs_of(
        &data,
        [&poison, &good[0], &good[1]].into_iter().chain(&hostile),
    );
    let (state, error) = &jobs[0];
    assert_eq!(state, "failed", "the poison: {error:?}");
    let error = error.as_deref().unwrap_or_default();
    assert!(error.contains("ended the process it ran in"), "{error}");
    assert!(error.contains("SIGABRT"), "{error}");
    for (file, (state, error)) in good.iter().zip(&jobs[1..3]) {
        assert_eq!(state, "issued", "{}: {error:?}", file.display());
    }
    for (file, (state, error)) in hostile.iter().zip(&jobs[3..]) {
        let name = file.file_name().expect("name").to_string_lossy();
        if name == "flate_twice.pdf" {
            continue;
        }
        assert_eq!(state, "failed", "{name}: {error:?}");
        let cause = expected_cause(&name);
        let error = error.as_deref().unwrap_or_default();
        assert!(
            error.contains(cause),
            "{name}: expected {cause:?} in {error}"
        );
    }
}

/// The state and error of the job of each file, from the registry.
fn jobs_of<'a>(
    data: &Path,
    files: impl Iterator<Item = &'a PathBuf>,
) -> Vec<(String, Option<String>)> {
    use docseal::queue::{AnyQueue, QueueUrl, Registry};
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let queue = AnyQueue::open(&QueueUrl::Sqlite(data.join("docseal.sqlite")))
            .await
            .expect("the registry opens");
        let mut out = Vec::new();
        for file in files {
            let job = queue
                .job(&sha256_hex(file), docseal::PIPELINE_VERSION)
                .await
                .expect("reads")
                .unwrap_or_else(|| panic!("no job for {}", file.display()));
            out.push((job.state.as_str().to_string(), job.error));
        }
        out
    })
}
