//! `docseal review`: the records waiting for a person, one record with why
//! each field is up for review and where it is on the page, and its
//! approval or rejection (over [`crate::review`], as the server does).

use std::process::ExitCode;

use anyhow::Result;
use serde_json::{json, Map, Value};

use super::{Context, Execute};
use crate::queue::{AnyQueue, Reviews};
use crate::review::{self, ReviewError, SubmissionView};
use crate::store::{AnyStore, ObjectStore};
use crate::worker::Services;

/// Records waiting for a person: list, show, approve, reject.
#[derive(Debug, clap::Args)]
pub struct Review {
    /// What to do.
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// The review queue, oldest first.
    List {
        /// Only records of this document type, e.g. `birth_certificate`.
        #[arg(long)]
        doc_type: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Continue after this cursor (printed as `next` by the last page).
        #[arg(long)]
        after: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// One submission: its fields, why each is up for review, where it is.
    Show {
        /// The submission id.
        id: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Issue the document with the values read, corrected where given.
    Approve {
        /// The submission id.
        id: String,
        /// A corrected or confirmed value, `name=value` (repeatable).
        #[arg(long = "field", value_parser = field_value)]
        fields: Vec<(String, String)>,
        /// Who approves (default: the configured operator).
        #[arg(long = "as")]
        actor: Option<String>,
    },
    /// Refuse the record: nothing is issued.
    Reject {
        /// The submission id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Who rejects (default: the configured operator).
        #[arg(long = "as")]
        actor: Option<String>,
    },
}

/// Parses `name=value`.
fn field_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("expected name=value, got `{s}`")),
    }
}

/// A cursor as `list` prints it: `FINISHED_AT_MS:SUBMISSION_ID`.
fn parse_cursor(s: &str) -> Option<(i64, &str)> {
    let (at, id) = s.split_once(':')?;
    Some((at.parse().ok()?, id))
}

/// A refusal is exit code 1 with its message; other errors are errors.
fn refused(e: ReviewError) -> Result<ExitCode> {
    match e {
        ReviewError::NotFound(_) | ReviewError::Conflict(_) | ReviewError::Invalid { .. } => {
            eprintln!("error: {e}");
            Ok(ExitCode::FAILURE)
        }
        other => Err(other.into()),
    }
}

impl Execute for Review {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        ctx.block_on(async {
            let (queue, store) = ctx.open_backends().await?;
            let services = ctx.services(queue, store)?;
            let operator = ctx.config.issuer().operator;
            match self.action {
                Action::List {
                    doc_type,
                    limit,
                    after,
                    json,
                } => {
                    let cursor = match after.as_deref().map(|a| (a, parse_cursor(a))) {
                        Some((a, None)) => {
                            eprintln!(
                                "error: --after {a}: expected a cursor printed by `review list`"
                            );
                            return Ok(ExitCode::from(super::EXIT_USAGE));
                        }
                        Some((_, c)) => c,
                        None => None,
                    };
                    list(&services, doc_type.as_deref(), cursor, limit, json).await
                }
                Action::Show { id, json } => match review::show(&services, &id).await {
                    Ok(view) => {
                        if json {
                            println!("{}", serde_json::to_string_pretty(&view)?);
                        } else {
                            print!("{}", show_text(&view));
                        }
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => refused(e),
                },
                Action::Approve { id, fields, actor } => {
                    let fields: Map<String, Value> = fields
                        .into_iter()
                        .map(|(k, v)| (k, Value::String(v)))
                        .collect();
                    let actor = actor.unwrap_or(operator);
                    match review::approve(&services, &id, &fields, &actor).await {
                        Ok(d) => {
                            println!(
                                "Approved {id} by {actor}: issued {} ({})",
                                d.document_id,
                                services.store.locate(&d.pdf_key)
                            );
                            Ok(ExitCode::SUCCESS)
                        }
                        Err(e) => refused(e),
                    }
                }
                Action::Reject { id, reason, actor } => {
                    let actor = actor.unwrap_or(operator);
                    match review::reject(&services, &id, &reason, &actor).await {
                        Ok(()) => {
                            println!("Rejected {id} by {actor}: {reason}");
                            Ok(ExitCode::SUCCESS)
                        }
                        Err(e) => refused(e),
                    }
                }
            }
        })
    }
}

async fn list(
    services: &Services<AnyQueue, AnyStore>,
    doc_type: Option<&str>,
    after: Option<(i64, &str)>,
    limit: u32,
    json: bool,
) -> Result<ExitCode> {
    let version = crate::pipeline_version();
    let limit = limit.clamp(1, 500);
    let items = services
        .queue
        .review_queue(version, doc_type, after, limit)
        .await?;
    let next = (items.len() == limit as usize)
        .then(|| items.last())
        .flatten()
        .map(|i| format!("{}:{}", i.finished_at, i.submission_id));
    if json {
        let page = json!({ "items": items, "next": next });
        println!("{}", serde_json::to_string_pretty(&page)?);
    } else {
        for i in &items {
            println!(
                "{}  {}  {}  {}  [{}]",
                i.submission_id,
                crate::model::format_rfc3339(i.finished_at.div_euclid(1000)),
                i.doc_type,
                i.name,
                i.needs_review.join(", ")
            );
        }
        if let Some(next) = next {
            println!("next: --after {next}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A submission as `review show` prints it: the header, then one line per
/// field, `!` marking those up for review with the reason underneath.
fn show_text(v: &SubmissionView) -> String {
    let mut out = format!(
        "{} {} ({}): {}\n",
        v.submission_id,
        v.name,
        v.doc_type,
        v.state.as_str()
    );
    if let Some(d) = &v.document_id {
        out += &format!("document {d}\n");
    }
    if let Some(d) = &v.decision {
        out += &format!("decision {d}\n");
    }
    for f in &v.fields {
        let value = match &f.value {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => "-".to_string(),
        };
        let mark = if f.review.is_some() { "!" } else { " " };
        let place = match (f.page, f.bbox) {
            (Some(p), Some([x0, y0, x1, y1])) => format!("  (page {p}, {x0},{y0}-{x1},{y1})"),
            _ => String::new(),
        };
        out += &format!("{mark} {}: {value}{place}\n", f.name);
        if let Some(r) = &f.review {
            out += &format!("    {}: {} / {}\n", r.code, r.en, r.vi);
        }
    }
    out
}
