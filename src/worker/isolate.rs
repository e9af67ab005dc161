//! One job's CPU part in a child process of its own.
//!
//! Budgets stop what can be counted; they cannot stop a library that
//! overflows its stack (which aborts the whole process: no `catch_unwind`
//! sees it) or that aborts on a failed allocation. A job whose last attempt
//! ended with its worker gone (the lease expired: [`Lease::attempt`] above
//! 1, since a released job gives its attempt back) is therefore run again in
//! a child: the same binary, `docseal compute-job`, given the scan on its
//! standard input and writing what it computed on its standard output. If
//! the child dies, only that job fails, with the signal named; the worker
//! and the other jobs it holds go on. [`Policy::Always`] isolates every job.
//!
//! The child reads the same settings file and environment as the worker and
//! gets its `--data`, `--config`, `--office` and `--operator` (never the queue
//! or store: it touches neither). It stores nothing: the worker stores the
//! outputs and acknowledges the job, as for a job run in process.
//!
//! [`Lease::attempt`]: crate::queue::Lease::attempt

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Stdio;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{compute_caught, Computed, Issuing};
use crate::codec::Limits;
use crate::dossier::DossierResult;
use crate::model::IssuedAt;
use crate::queue::Completion;
use crate::store::Body;

/// Which jobs run in a child process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Only a job whose last attempt ended with its worker gone.
    #[default]
    AfterCrash,
    /// Every job (costs a process start, the keys and fonts loaded and an
    /// OCR engine started per job).
    Always,
    /// None: a job that aborts its worker is tried again until it gives up.
    Never,
}

impl std::str::FromStr for Policy {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Policy, &'static str> {
        match s {
            "after-crash" => Ok(Policy::AfterCrash),
            "always" => Ok(Policy::Always),
            "never" => Ok(Policy::Never),
            _ => Err("after-crash, always or never"),
        }
    }
}

/// How to start a child for one job, and when to.
#[derive(Debug, Clone)]
pub struct Isolation {
    /// The docseal binary.
    pub program: PathBuf,
    /// The arguments before the subcommand (`--data …`).
    pub args: Vec<OsString>,
    /// Which jobs.
    pub policy: Policy,
}

/// The job a child computes.
pub(super) struct ChildJob<'a> {
    /// The submission's file name, for messages.
    pub name: &'a str,
    /// The issue time.
    pub issued_at: IssuedAt,
    /// The pipeline version.
    pub pipeline_version: &'a str,
    /// The submission's limits (time, and the size of what may come back).
    pub limits: &'a Limits,
    /// The document's dossier and result code, when it has them.
    pub dossier: Option<&'a DossierResult>,
}

/// The subcommand a child runs.
pub const CHILD_COMMAND: &str = "compute-job";

impl Isolation {
    /// Whether a job on its `attempt`-th lease runs in a child.
    pub fn applies(&self, attempt: u32) -> bool {
        match self.policy {
            Policy::Always => true,
            Policy::AfterCrash => attempt > 1,
            Policy::Never => false,
        }
    }

    /// Runs `job` in a child; `Err` is the job's failure, naming the file.
    pub(super) async fn run(&self, job: &ChildJob<'_>, scan: Vec<u8>) -> Result<Computed, String> {
        let name = job.name;
        let mut child = tokio::process::Command::new(&self.program)
            .args(&self.args)
            .arg(CHILD_COMMAND)
            .arg("--issued-at")
            .arg(job.issued_at.unix_seconds().to_string())
            .arg("--pipeline-version")
            .arg(job.pipeline_version)
            .arg("--name")
            .arg(name)
            .args(
                job.dossier
                    .and_then(|d| serde_json::to_string(d).ok())
                    .map(|d| ["--dossier".to_string(), d])
                    .into_iter()
                    .flatten(),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("{name}: cannot start a process for it: {e}"))?;
        let mut stdin = child.stdin.take();
        let mut stdout = child
            .stdout
            .take()
            .ok_or_else(|| format!("{name}: the process for it has no output"))?;
        // What may come back: the outputs of one submission are bounded by
        // its pages; a child that writes more is broken.
        let cap = job
            .limits
            .max_bytes
            .saturating_mul(4)
            .saturating_add(job.limits.max_total_pixels.saturating_mul(4))
            .saturating_add(64 << 20);
        let feed = async {
            if let Some(stdin) = stdin.as_mut() {
                // A child that dies early closes its end: its exit tells why.
                let _ = stdin.write_all(&scan).await;
                let _ = stdin.shutdown().await;
            }
            drop(stdin.take());
        };
        let read = async {
            let mut out = Vec::new();
            let read = (&mut stdout)
                .take(cap.saturating_add(1))
                .read_to_end(&mut out)
                .await;
            (read, out)
        };
        let outcome = tokio::time::timeout(job.limits.backstop(), async {
            let ((), (read, out)) = tokio::join!(feed, read);
            let status = child.wait().await;
            (read, out, status)
        })
        .await;
        let Ok((read, out, status)) = outcome else {
            let _ = child.kill().await;
            return Err(format!(
                "{name}: {}; its process was stopped",
                job.limits.out_of_time()
            ));
        };
        let status =
            status.map_err(|e| format!("{name}: its process cannot be waited for: {e}"))?;
        if !status.success() {
            return Err(format!(
                "{name}: reading it ended the process it ran in ({}); the submission failed, \
                 other submissions go on",
                describe_exit(&status)
            ));
        }
        read.map_err(|e| format!("{name}: its process's output cannot be read: {e}"))?;
        if out.len() as u64 > cap {
            return Err(format!("{name}: its process wrote more than {cap} bytes"));
        }
        decode_outcome(&out).map_err(|e| format!("{name}: its process's output is damaged: {e}"))?
    }
}

/// What ended a child, in words.
fn describe_exit(status: &std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let what = match signal {
                6 => "SIGABRT: an abort, such as a stack overflow",
                9 => "SIGKILL: killed, such as by the out-of-memory killer",
                11 => "SIGSEGV: a memory fault",
                7 => "SIGBUS: a memory fault",
                _ => "a signal",
            };
            return format!("signal {signal}, {what}");
        }
    }
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => "an unknown cause".to_string(),
    }
}

/// The first line of a child's output; then the objects' bytes, in order.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Header {
    /// The job computed: each object's key and length, and the completion.
    Computed {
        objects: Vec<(String, u64)>,
        /// The transparency-log entry: the document id and, base64, the
        /// manifest bytes.
        log_entry: Option<(String, String)>,
        completion: Box<Completion>,
    },
    /// The job failed (bad input): the message, naming the file.
    Failed { message: String },
}

/// Writes what a child computed.
fn encode_outcome(out: &mut impl Write, outcome: &Result<Computed, String>) -> std::io::Result<()> {
    let header = match outcome {
        Ok(c) => Header::Computed {
            objects: c
                .objects
                .iter()
                .map(|(k, b)| (k.clone(), b.len() as u64))
                .collect(),
            log_entry: c
                .log_entry
                .as_ref()
                .map(|(id, bytes)| (id.clone(), B64.encode(bytes))),
            completion: Box::new(c.completion.clone()),
        },
        Err(message) => Header::Failed {
            message: message.clone(),
        },
    };
    serde_json::to_writer(&mut *out, &header)?;
    out.write_all(b"\n")?;
    if let Ok(c) = outcome {
        for (_, body) in &c.objects {
            out.write_all(body)?;
        }
    }
    out.flush()
}

/// Reads what [`encode_outcome`] wrote.
fn decode_outcome(bytes: &[u8]) -> Result<Result<Computed, String>, String> {
    let line = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("no header line")?;
    let header: Header =
        serde_json::from_slice(&bytes[..line]).map_err(|e| format!("the header: {e}"))?;
    let (objects, log_entry, completion) = match header {
        Header::Failed { message } => return Ok(Err(message)),
        Header::Computed {
            objects,
            log_entry,
            completion,
        } => (objects, log_entry, completion),
    };
    let log_entry = match log_entry {
        None => None,
        Some((id, b64)) => Some((
            id,
            B64.decode(b64).map_err(|e| format!("the log entry: {e}"))?,
        )),
    };
    let mut at = line + 1;
    let mut out = Vec::with_capacity(objects.len());
    for (key, len) in objects {
        let end = usize::try_from(len)
            .ok()
            .and_then(|n| at.checked_add(n))
            .filter(|&end| end <= bytes.len())
            .ok_or_else(|| format!("object {key} is cut short"))?;
        out.push((key, Body::from(bytes[at..end].to_vec())));
        at = end;
    }
    if at != bytes.len() {
        return Err("bytes after the last object".into());
    }
    Ok(Ok(Computed {
        objects: out,
        log_entry,
        completion: *completion,
    }))
}

/// The child's side: reads the scan from `input` (at most the byte limit),
/// computes, and writes the outcome to `output`. An error is returned only
/// when the outcome cannot be written.
pub fn serve_child(
    issuing: &Issuing,
    name: &str,
    issued_at: IssuedAt,
    pipeline_version: &str,
    dossier: Option<&DossierResult>,
    input: &mut impl Read,
    output: &mut impl Write,
) -> std::io::Result<()> {
    let limit = issuing.pipeline.limits.max_bytes;
    let mut scan = Vec::new();
    input.take(limit.saturating_add(1)).read_to_end(&mut scan)?;
    let outcome = if scan.len() as u64 > limit {
        Err(format!(
            "{name}: the file has more than {limit} bytes, more than the limit"
        ))
    } else {
        compute_caught(&scan, issuing, (issued_at, pipeline_version, dossier), name)
    };
    encode_outcome(output, &outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::JobState;

    fn computed() -> Computed {
        Computed {
            objects: vec![
                ("records/a.json".into(), Body::from(b"{}".to_vec())),
                ("results/b.pdf".into(), Body::from(vec![0u8, 10, 255, 10])),
                ("text/c.txt".into(), Body::from(Vec::new())),
            ],
            log_entry: Some(("DS-1".into(), b"{\"a\":1}\xff".to_vec())),
            completion: Completion {
                state: JobState::NeedsReview,
                record_json: "{}".into(),
                record_key: "records/a.json".into(),
                text_key: "text/c.txt".into(),
                document: None,
            },
        }
    }

    #[test]
    fn outcomes_round_trip_and_damage_is_refused() {
        let mut out = Vec::new();
        encode_outcome(&mut out, &Ok(computed())).expect("writes");
        let back = decode_outcome(&out).expect("reads").expect("computed");
        let want = computed();
        assert_eq!(back.completion, want.completion);
        assert_eq!(back.log_entry, want.log_entry);
        let keys = |c: &Computed| {
            c.objects
                .iter()
                .map(|(k, b)| (k.clone(), b.to_vec()))
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&back), keys(&want));
        assert!(decode_outcome(&out[..out.len() - 1]).is_err());
        let mut longer = out.clone();
        longer.push(0);
        assert!(decode_outcome(&longer).is_err());
        assert!(decode_outcome(b"not json\n").is_err());

        let mut failed = Vec::new();
        encode_outcome(&mut failed, &Err("scan.pdf: corrupt".into())).expect("writes");
        assert_eq!(
            decode_outcome(&failed).expect("reads").err().as_deref(),
            Some("scan.pdf: corrupt")
        );
    }

    #[test]
    fn policies_parse_and_choose_jobs() {
        let iso = |policy| Isolation {
            program: PathBuf::from("docseal"),
            args: Vec::new(),
            policy,
        };
        assert!(!iso(Policy::AfterCrash).applies(1));
        assert!(iso(Policy::AfterCrash).applies(2));
        assert!(iso(Policy::Always).applies(1));
        assert!(!iso(Policy::Never).applies(5));
        assert_eq!("always".parse(), Ok(Policy::Always));
        assert!("sometimes".parse::<Policy>().is_err());
    }
}
