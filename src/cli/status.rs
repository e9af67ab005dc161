//! `docseal status`: counts by state, timings and the last errors.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use super::{Context, Execute};
use crate::queue::{Stats, StatusReport};

/// Counts by state, timings and the last errors.
#[derive(Debug, clap::Args)]
pub struct Status {
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

impl Execute for Status {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        let s = ctx.block_on(async {
            let (queue, _store) = ctx.open_backends().await?;
            anyhow::Ok(queue.status().await?)
        })?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&to_json(&s))?);
        } else {
            print!("{}", to_text(&s));
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The report as `status --json` prints it.
fn to_json(s: &StatusReport) -> serde_json::Value {
    json!({
        "counts": {
            "received": s.received, "queued": s.queued, "processing": s.processing,
            "issued": s.issued, "needs_review": s.needs_review, "rejected": s.rejected,
            "failed": s.failed,
        },
        "finished_last_10_min": s.finished_last_10_min,
        "throughput_per_min": s.finished_last_10_min as f64 / 10.0,
        "oldest_waiting_secs": s.oldest_waiting_secs,
        "p50_secs": s.p50_secs,
        "p95_secs": s.p95_secs,
        "last_errors": s
            .last_errors
            .iter()
            .map(|(id, name, e)| json!({"submission_id": id, "name": name, "error": e}))
            .collect::<Vec<_>>(),
    })
}

/// The report as `status` prints it: two lines, then one per recent error.
fn to_text(s: &StatusReport) -> String {
    let mut out = format!(
        "received {}  queued {}  processing {}  issued {}  needs_review {}  rejected {}  failed {}\n",
        s.received, s.queued, s.processing, s.issued, s.needs_review, s.rejected, s.failed
    );
    out += &format!(
        "throughput {:.1}/min (last 10 min)  oldest waiting {}  p50 {}  p95 {}\n",
        s.finished_last_10_min as f64 / 10.0,
        s.oldest_waiting_secs
            .map_or("-".into(), |v| format!("{v}s")),
        s.p50_secs.map_or("-".into(), |v| format!("{v:.2}s")),
        s.p95_secs.map_or("-".into(), |v| format!("{v:.2}s")),
    );
    for (id, name, e) in &s.last_errors {
        out += &format!("error {} {name}: {e}\n", &id[..id.len().min(12)]);
    }
    out
}
