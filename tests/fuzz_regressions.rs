//! Every input the fuzzers (`fuzz/`, `benches/fuzz.sh`) found crashing the
//! library, kept under `tests/fixtures/fuzz/<target>/`, replayed through the
//! same code as its target: each must come back (`Ok` or `Err`) without a
//! panic or an abort. Each input runs in a child process (this test binary
//! again), so a stack overflow or an abort fails the test naming the file
//! rather than taking the whole run down. The verify targets check against
//! `tests/fixtures/fuzz/trust.json`, the trust list they were fuzzed with,
//! when it is there.

use std::path::{Path, PathBuf};
use std::process::Command;

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod harness;

/// Set in the child: `TARGET:PATH` of the one input to replay.
const REPLAY_VAR: &str = "DOCSEAL_FUZZ_REPLAY";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz")
}

#[test]
fn every_input_a_fuzzer_found_crashing_now_comes_back() {
    let dir = fixtures();
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/fixtures/fuzz") {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let target = path.file_name().unwrap().to_str().unwrap().to_string();
        assert!(
            harness::TARGETS.iter().any(|(name, _)| *name == target),
            "{}: no fuzz target of that name",
            path.display()
        );
        for file in std::fs::read_dir(&path).unwrap() {
            let file = file.unwrap().path();
            if file.is_file() {
                inputs.push((target.clone(), file));
            }
        }
    }
    inputs.sort();
    let trust = dir.join("trust.json");
    let mut failures = Vec::new();
    for (target, file) in &inputs {
        let mut child = Command::new(std::env::current_exe().unwrap());
        child
            .args([
                "--exact",
                "replay_one_input",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(REPLAY_VAR, format!("{target}:{}", file.display()));
        if trust.is_file() {
            child.env(harness::TRUST_VAR, &trust);
        }
        let out = child.output().expect("the test binary runs again");
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            failures.push(format!(
                "{target} {}: {}\n{}",
                file.display(),
                out.status,
                tail.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} inputs still crash:\n\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n\n")
    );
}

/// The child's side: replays the input named by [`REPLAY_VAR`]; does nothing
/// in a normal run.
#[test]
fn replay_one_input() {
    let Ok(spec) = std::env::var(REPLAY_VAR) else {
        return;
    };
    let (target, path) = spec.split_once(':').expect("TARGET:PATH");
    let data = std::fs::read(path).expect("the input");
    let (_, run) = harness::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .expect("a known target");
    run(&data);
}
