//! Reprocessing stored submissions with this pipeline version
//! (`docseal reprocess`): each selected submission's stored scan is
//! analysed again and its new record compared, field by field, with the
//! record that stands for it.
//!
//! - A record the machine issued: unchanged → nothing is issued; changed
//!   and confident → a document of this version that supersedes the old one
//!   (the old one stays genuine, its status names the new one); changed but
//!   not confident → a review of this version opens, and the old document
//!   stands until a person decides.
//! - A record a person approved is never overwritten by the machine: where
//!   the new reading disagrees with an approved value, a review opens with
//!   those fields flagged (`conflict`), and the approved document stands.
//! - A record in review (or a submission that failed) gets the new
//!   analysis: issued when now confident, else in review with the new
//!   proposal.
//!
//! A run is recorded (`Reprocessing`: the run, then one item per selected
//! submission), its id a hash of the selection and the target version, so
//! the same command after a crash or Ctrl-C continues it. Each item's
//! outputs are content-addressed and deterministic (the document id is a
//! hash of the submission and the version, the issue time the run's
//! creation), stored and logged before one transaction records the new job,
//! the document, the supersession and the item's outcome together: a kill
//! at any instant leaves an item untouched or finished, never half, and
//! never a second document. A dry run decides the same way and changes
//! nothing; its report has the same lines as the real run's.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::dossier::DossierResult;
use crate::model::{IssuedAt, Record, ReviewReason};
use crate::pipeline::{self, IssueContext};
use crate::queue::{
    DecisionKind, DocumentStatus, EntryKind, ItemDone, JobFacts, JobState, Jobs, LogEntries,
    QueueError, Reprocessing, ResultCodes, SubmissionFacts,
};
use crate::store::{ObjectStore, StoreError};
use crate::worker::{self, Computed, Issuing, Services};

/// Submissions read per page while selecting.
const PAGE: u32 = 500;

/// Why a run stopped (never a single submission's failure, which is its
/// item's outcome).
#[derive(Debug, thiserror::Error)]
pub enum ReprocessError {
    /// The queue or registry failed; running the command again continues.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The object store failed; running the command again continues.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The CPU threads could not start or stopped.
    #[error("{0}")]
    Threads(String),
}

/// What stands for a submission when it is selected.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// A document the machine issued.
    #[value(name = "issued")]
    Issued,
    /// A document issued from a person's approval.
    #[value(name = "approved")]
    Approved,
    /// A record waiting for a person.
    #[value(name = "needs_review")]
    NeedsReview,
    /// A submission the pipeline could not read.
    #[value(name = "failed")]
    Failed,
}

impl Standing {
    /// Every state a run selects by default.
    pub const ALL: [Standing; 4] = [
        Standing::Issued,
        Standing::Approved,
        Standing::NeedsReview,
        Standing::Failed,
    ];
}

/// Which stored submissions a run takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Selection {
    /// Only records of this document type (`unknown` for none).
    pub doc_type: Option<String>,
    /// Only submissions received on or after this day (`YYYY-MM-DD`, Vietnam's time).
    pub since: Option<String>,
    /// Only submissions received on or before this day.
    pub until: Option<String>,
    /// Only records read by this pipeline version.
    pub version: Option<String>,
    /// Only submissions in these states (all when empty).
    pub states: BTreeSet<Standing>,
    /// `since` as Unix milliseconds (inclusive).
    #[serde(skip)]
    pub since_ms: Option<i64>,
    /// The day after `until` as Unix milliseconds (exclusive).
    #[serde(skip)]
    pub until_ms: Option<i64>,
}

/// The job that stands for a submission and what it is, or `None` when the
/// submission is not to be reprocessed: a job of `target` exists already,
/// one is still queued or running, a person rejected it, its document was
/// revoked, or an approval is still being completed.
pub fn standing<'a>(facts: &'a SubmissionFacts, target: &str) -> Option<(&'a JobFacts, Standing)> {
    if facts
        .jobs
        .iter()
        .any(|j| j.pipeline_version == target || !j.state.is_final())
    {
        return None;
    }
    if let Some(j) = facts
        .jobs
        .iter()
        .find(|j| j.document_status == Some(DocumentStatus::Valid))
    {
        let approved = j.decision == Some(DecisionKind::Approve) && j.decision_completed;
        return Some((
            j,
            if approved {
                Standing::Approved
            } else {
                Standing::Issued
            },
        ));
    }
    let last = facts.jobs.iter().max_by_key(|j| j.finished_at)?;
    match last.state {
        JobState::NeedsReview if last.decision.is_none() => Some((last, Standing::NeedsReview)),
        JobState::Failed => Some((last, Standing::Failed)),
        _ => None,
    }
}

impl Selection {
    /// Whether a submission is selected for reprocessing to `target`.
    pub fn takes(&self, facts: &SubmissionFacts, target: &str) -> bool {
        let Some((job, state)) = standing(facts, target) else {
            return false;
        };
        if !self.states.is_empty() && !self.states.contains(&state) {
            return false;
        }
        if self.since_ms.is_some_and(|t| facts.received_at < t)
            || self.until_ms.is_some_and(|t| facts.received_at >= t)
        {
            return false;
        }
        if self
            .version
            .as_ref()
            .is_some_and(|v| *v != job.pipeline_version)
        {
            return false;
        }
        if let Some(t) = &self.doc_type {
            if doc_type_of(job.record_json.as_deref()) != *t {
                return false;
            }
        }
        true
    }

    /// The run's id: a hash of the selection and the target version, so the
    /// same command finds the same run.
    pub fn run_id(&self, target: &str) -> String {
        let canonical = json!({"target": target, "selection": self}).to_string();
        let digest = Sha256::digest(canonical.as_bytes());
        format!("rp-{}", &hex::encode(digest)[..16])
    }
}

fn doc_type_of(record_json: Option<&str>) -> String {
    record_json
        .and_then(|j| serde_json::from_str::<Value>(j).ok())
        .and_then(|v| v["doc_type"].as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

/// The ids of the stored submissions a selection takes, by id.
pub async fn select<Q: Reprocessing>(
    queue: &Q,
    selection: &Selection,
    target: &str,
) -> Result<Vec<String>, ReprocessError> {
    let mut ids = Vec::new();
    let mut after = String::new();
    loop {
        let page = queue.submission_facts_page(&after, PAGE).await?;
        for facts in &page {
            if selection.takes(facts, target) {
                ids.push(facts.submission_id.clone());
            }
        }
        match page.last() {
            Some(last) if page.len() == PAGE as usize => after = last.submission_id.clone(),
            _ => break,
        }
    }
    Ok(ids)
}

/// What is done with one submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The new record says the same: nothing is issued.
    Unchanged,
    /// A new document supersedes the one that stood.
    Superseded,
    /// A document is issued for a record that had none.
    Issued,
    /// A review of this version opens (or goes on) with the new proposal.
    Review,
    /// The pipeline could not read the scan; nothing changed.
    Failed,
    /// The submission changed since it was selected; nothing was done.
    Skipped,
}

impl Action {
    /// The action's name in reports and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Unchanged => "unchanged",
            Action::Superseded => "superseded",
            Action::Issued => "issued",
            Action::Review => "review",
            Action::Failed => "failed",
            Action::Skipped => "skipped",
        }
    }
}

/// One field whose value differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field (`doc_type` for the document type).
    pub field: String,
    /// The value that stands (`null` when none).
    pub old: Value,
    /// The value read now (`null` when none).
    pub new: Value,
}

/// One line of a run's report: what stood, what was read, what was done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemReport {
    /// The submission.
    pub submission_id: String,
    /// The version of the record that stood.
    pub from_version: String,
    /// What stood.
    pub from_state: Standing,
    /// The document that stood, if any.
    pub document_id: Option<String>,
    /// What is done.
    pub action: Action,
    /// The document issued, for `superseded` and `issued`.
    pub new_document_id: Option<String>,
    /// The fields that differ (for an approved record: where the machine
    /// disagrees with a value a person approved).
    pub fields: Vec<FieldChange>,
    /// Why the pipeline could not read the scan, or why it was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The fields of `new` that differ from the record JSON `old`, the type
/// first, then by name.
pub fn field_changes(old: &Value, new: &Record) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let old_type = old["doc_type"].clone();
    let new_type = Value::String(new.doc_type_str().to_string());
    let old_type = if old_type.is_null() {
        Value::String("unknown".into())
    } else {
        old_type
    };
    if old_type != new_type {
        out.push(FieldChange {
            field: "doc_type".into(),
            old: old_type,
            new: new_type,
        });
    }
    let empty = serde_json::Map::new();
    let old_fields = old["fields"].as_object().unwrap_or(&empty);
    let names: BTreeSet<&String> = old_fields.keys().chain(new.fields.keys()).collect();
    for name in names {
        let (o, n) = (old_fields.get(name), new.fields.get(name));
        if o != n {
            out.push(FieldChange {
                field: name.clone(),
                old: o.cloned().unwrap_or(Value::Null),
                new: n.cloned().unwrap_or(Value::Null),
            });
        }
    }
    out
}

/// What to do, given what stood and the new record; the changes reported.
pub fn decide(state: Standing, old: &Value, new: &Record) -> (Action, Vec<FieldChange>) {
    let changes = field_changes(old, new);
    match state {
        Standing::Issued if changes.is_empty() => (Action::Unchanged, changes),
        Standing::Issued if new.is_issuable() => (Action::Superseded, changes),
        Standing::Issued => (Action::Review, changes),
        Standing::Approved => {
            // A value the machine did not read is no disagreement.
            let disagree: Vec<FieldChange> =
                changes.into_iter().filter(|c| !c.new.is_null()).collect();
            if disagree.is_empty() {
                (Action::Unchanged, disagree)
            } else {
                (Action::Review, disagree)
            }
        }
        Standing::NeedsReview | Standing::Failed if new.is_issuable() => (Action::Issued, changes),
        Standing::NeedsReview | Standing::Failed => (Action::Review, changes),
    }
}

/// A run's settings.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The pipeline version reprocessed to (this binary's).
    pub target: String,
    /// Submissions processed at once (and CPU threads).
    pub workers: usize,
    /// Decide and report only; change nothing.
    pub dry_run: bool,
    /// Who runs it, for the audit lines.
    pub actor: String,
}

/// What a run did (or, dry, would do).
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    /// The run's id (`None` for a dry run, which is not recorded).
    pub run_id: Option<String>,
    /// Its items.
    pub total: u64,
    /// Items finished before this invocation (a continued run).
    pub done_before: u64,
    /// Every finished item's report line, by submission id.
    pub reports: Vec<ItemReport>,
    /// Whether it stopped before every item was done (Ctrl-C).
    pub interrupted: bool,
}

impl RunSummary {
    /// Finished items by action.
    pub fn counts(&self) -> BTreeMap<&'static str, u64> {
        let mut counts = BTreeMap::new();
        for r in &self.reports {
            *counts.entry(r.action.as_str()).or_insert(0) += 1;
        }
        counts
    }
}

/// Reports progress: the run's size and items done before, then each item.
pub trait Progress: Send + Sync {
    /// The run has `total` items, `done` of them finished before.
    fn start(&self, total: u64, done: u64);
    /// One more item is finished.
    fn item(&self);
}

/// Runs (or continues) a reprocessing run of `selection`, or a dry run of
/// it, until every item is done or `stop` turns true.
pub async fn run<Q, S>(
    services: Services<Q, S>,
    selection: &Selection,
    options: &RunOptions,
    progress: &dyn Progress,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<RunSummary, ReprocessError>
where
    Q: Jobs + LogEntries + Reprocessing + ResultCodes,
    S: ObjectStore,
{
    let queue = services.queue.clone();
    let target = options.target.as_str();
    let mut summary = RunSummary::default();
    let (pending, started_at) = if options.dry_run {
        let ids = select(queue.as_ref(), selection, target).await?;
        summary.total = ids.len() as u64;
        (ids, 0)
    } else {
        let run_id = selection.run_id(target);
        let run = match queue.reprocess_run(&run_id).await? {
            Some(run) => run,
            None => {
                let ids = select(queue.as_ref(), selection, target).await?;
                let selection_json = json!(selection).to_string();
                queue
                    .start_run(&run_id, target, &selection_json, &ids)
                    .await?
            }
        };
        let items = queue.run_items(&run_id).await?;
        summary.total = items.len() as u64;
        let pending: Vec<String> = items
            .iter()
            .filter(|i| i.outcome.is_none())
            .map(|i| i.submission_id.clone())
            .collect();
        summary.done_before = summary.total - pending.len() as u64;
        summary.run_id = Some(run_id);
        (pending, run.created_at)
    };
    progress.start(summary.total, summary.done_before);
    let pool = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(options.workers.max(1))
            .thread_name(|i| format!("docseal-reprocess-{i}"))
            .stack_size(64 << 20)
            .build()
            .map_err(|e| ReprocessError::Threads(e.to_string()))?,
    );
    let item = Arc::new(ItemContext {
        run_id: summary.run_id.clone(),
        target: options.target.clone(),
        issued_at: IssuedAt::from_unix_seconds(started_at.div_euclid(1000)),
        started_at,
        dry_run: options.dry_run,
        actor: options.actor.clone(),
    });
    let mut tasks = tokio::task::JoinSet::new();
    let mut reports = Vec::new();
    let mut first_error = None;
    let mut ids = pending.into_iter();
    loop {
        let stopping = *stop.borrow() || first_error.is_some();
        if stopping {
            summary.interrupted = true;
        }
        while !stopping && tasks.len() < options.workers.max(1) {
            let Some(id) = ids.next() else { break };
            let (services, pool, item) = (services.clone(), pool.clone(), item.clone());
            tasks.spawn(async move { process(&services, &pool, &item, id).await });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        match joined {
            Ok(Ok(report)) => {
                progress.item();
                reports.push(report);
            }
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(ReprocessError::Threads(format!(
                    "a reprocessing task stopped: {e}"
                )));
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    if ids.next().is_some() {
        summary.interrupted = true;
    }
    match &summary.run_id {
        None => {
            reports.sort_by(|a, b| a.submission_id.cmp(&b.submission_id));
            summary.reports = reports;
        }
        Some(run_id) => {
            if !summary.interrupted {
                queue.finish_run(run_id).await?;
            }
            for i in queue.run_items(run_id).await? {
                if let Some(detail) = i.detail_json {
                    let report = serde_json::from_str(&detail).map_err(|e| {
                        QueueError::Corrupt(format!("reprocess item {}: {e}", i.submission_id))
                    })?;
                    summary.reports.push(report);
                }
            }
        }
    }
    Ok(summary)
}

/// What every item of a run shares.
struct ItemContext {
    run_id: Option<String>,
    target: String,
    issued_at: IssuedAt,
    started_at: i64,
    dry_run: bool,
    actor: String,
}

/// One submission: read what stands, analyse the scan again on the CPU
/// pool, decide, store and log what is issued, then finish the item.
async fn process<Q, S>(
    services: &Services<Q, S>,
    pool: &rayon::ThreadPool,
    ctx: &ItemContext,
    id: String,
) -> Result<ItemReport, ReprocessError>
where
    Q: Jobs + LogEntries + Reprocessing + ResultCodes,
    S: ObjectStore,
{
    let queue = services.queue.as_ref();
    let facts = queue.submission_facts(&id).await?;
    let standing = facts.as_ref().and_then(|f| standing(f, &ctx.target));
    let (report, computed) = match (&facts, standing) {
        (Some(facts), Some((job, state))) => {
            let mut report = ItemReport {
                submission_id: id.clone(),
                from_version: job.pipeline_version.clone(),
                from_state: state,
                document_id: job
                    .document_id
                    .clone()
                    .filter(|_| job.document_status.is_some()),
                action: Action::Failed,
                new_document_id: None,
                fields: Vec::new(),
                error: None,
            };
            match services.store.get(&facts.scan_key).await? {
                None => {
                    report.error = Some(format!("{id}: the stored scan is missing"));
                    (report, None)
                }
                Some(bytes) => {
                    let old: Value = job
                        .record_json
                        .as_deref()
                        .and_then(|j| serde_json::from_str(j).ok())
                        .unwrap_or(Value::Null);
                    let issuing = services.issuing();
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    let work = Work {
                        bytes,
                        old,
                        report,
                        target: ctx.target.clone(),
                        issued_at: ctx.issued_at,
                        dry_run: ctx.dry_run,
                    };
                    pool.spawn(move || {
                        let _ = tx.send(work.compute_caught(&issuing));
                    });
                    let step = rx.await.map_err(|_| {
                        ReprocessError::Threads("a reprocessing thread stopped".into())
                    })?;
                    match step {
                        Step::Done(done) => *done,
                        Step::Issue(pending) => {
                            // The document's number in its dossier is taken
                            // only now that it is issued (and is the same on a
                            // retry: it is keyed by the document id).
                            let document_id = pipeline::document_id(&id, &ctx.target);
                            let dossier = queue.result_for(&document_id, &id).await?;
                            let issuing = services.issuing();
                            let (tx, rx) = tokio::sync::oneshot::channel();
                            pool.spawn(move || {
                                let _ = tx.send(pending.issue_caught(dossier, &issuing));
                            });
                            rx.await.map_err(|_| {
                                ReprocessError::Threads("a reprocessing thread stopped".into())
                            })?
                        }
                    }
                }
            }
        }
        _ => {
            let report = ItemReport {
                submission_id: id.clone(),
                from_version: String::new(),
                from_state: Standing::Failed,
                document_id: None,
                action: Action::Skipped,
                new_document_id: None,
                fields: Vec::new(),
                error: Some(format!(
                    "{id} changed since it was selected (or was run by {} meanwhile)",
                    ctx.target
                )),
            };
            (report, None)
        }
    };
    let Some(run_id) = &ctx.run_id else {
        return Ok(report);
    };
    if let Some(c) = &computed {
        for (key, body) in &c.objects {
            services.store.put(key, body.clone()).await?;
        }
        if let Some((document_id, manifest)) = &c.log_entry {
            queue
                .append(EntryKind::Document, document_id, manifest)
                .await?;
        }
    }
    let detail = serde_json::to_string(&report)
        .map_err(|e| QueueError::Corrupt(format!("report of {id}: {e}")))?;
    let done = ItemDone {
        run_id,
        submission_id: &id,
        version: &ctx.target,
        started_at: ctx.started_at,
        completion: computed.as_ref().map(|c| &c.completion),
        outcome: report.action.as_str(),
        detail_json: &detail,
        actor: &ctx.actor,
    };
    queue.finish_item(&done).await?;
    Ok(report)
}

/// The CPU part of one item.
struct Work {
    bytes: Vec<u8>,
    old: Value,
    report: ItemReport,
    target: String,
    issued_at: IssuedAt,
    dry_run: bool,
}

impl Work {
    /// [`Work::compute`] with a panic turned into the item's failure.
    fn compute_caught(self, issuing: &Issuing) -> Step {
        let report = self.report.clone();
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.compute(issuing))) {
            Ok(step) => step,
            Err(_) => Step::Done(Box::new((internal_error(report), None))),
        }
    }

    /// Analyses, decides and (unless dry) builds what is issued or opened.
    fn compute(self, issuing: &Issuing) -> Step {
        let mut report = self.report;
        let id = report.submission_id.clone();
        let mut analysis = match pipeline::analyze(&self.bytes, &issuing.pipeline) {
            Ok(a) => a,
            Err(e) => {
                report.error = Some(format!("{id}: {e}"));
                return Step::Done(Box::new((report, None)));
            }
        };
        let (action, fields) = decide(report.from_state, &self.old, &analysis.record);
        report.action = action;
        if matches!(action, Action::Superseded | Action::Issued) {
            report.new_document_id = Some(pipeline::document_id(&id, &self.target));
        }
        if report.from_state == Standing::Approved {
            // The machine never overrides a person: it asks one.
            for c in fields.iter().filter(|c| c.field != "doc_type") {
                analysis.record.flag(&c.field, ReviewReason::Conflict);
            }
        }
        report.fields = fields;
        if self.dry_run || matches!(action, Action::Unchanged) {
            return Step::Done(Box::new((report, None)));
        }
        if matches!(action, Action::Superseded | Action::Issued) {
            return Step::Issue(Box::new(Pending {
                report,
                analysis,
                target: self.target,
                issued_at: self.issued_at,
            }));
        }
        Step::Done(Box::new(outputs(report, &analysis, None, &self.target)))
    }
}

/// What the CPU part of an item left to do.
enum Step {
    /// Done: the report, and what to store (nothing for a dry run or an
    /// unchanged record).
    Done(Box<(ItemReport, Option<Computed>)>),
    /// A document is to be issued, once its number in its dossier is taken.
    Issue(Box<Pending>),
}

/// An item whose new record is to be issued.
struct Pending {
    report: ItemReport,
    analysis: pipeline::Analysis,
    target: String,
    issued_at: IssuedAt,
}

impl Pending {
    /// [`Pending::issue`] with a panic turned into the item's failure.
    fn issue_caught(
        self,
        dossier: Option<DossierResult>,
        issuing: &Issuing,
    ) -> (ItemReport, Option<Computed>) {
        let report = self.report.clone();
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.issue(dossier, issuing))) {
            Ok(done) => done,
            Err(_) => (internal_error(report), None),
        }
    }

    /// Seals, renders and signs the new document (with its result code when
    /// the submission belongs to a dossier), and builds what is stored.
    fn issue(
        self,
        dossier: Option<DossierResult>,
        issuing: &Issuing,
    ) -> (ItemReport, Option<Computed>) {
        let mut report = self.report;
        let ctx = IssueContext {
            issuer: &issuing.issuer,
            issued_at: self.issued_at,
            credentials: &issuing.credentials,
            fonts: &issuing.fonts,
            pipeline_version: &self.target,
            pdf_signature: issuing.pipeline.pdf_signature,
        };
        let mut manifest = pipeline::manifest(&self.analysis, &ctx);
        manifest.dossier = dossier;
        match pipeline::issue_manifest(&self.analysis, manifest, &ctx) {
            Ok(issued) => outputs(report, &self.analysis, Some(issued), &self.target),
            Err(e) => {
                report.action = Action::Failed;
                report.new_document_id = None;
                report.error = Some(format!("{}: {e}", report.submission_id));
                (report, None)
            }
        }
    }
}

/// The report of an item whose processing panicked.
fn internal_error(mut report: ItemReport) -> ItemReport {
    report.error = Some(format!(
        "{}: internal error while processing; nothing was changed",
        report.submission_id
    ));
    report
}

/// What an item stores: its record, text, words, hOCR, review sidecar and,
/// when issued, its document.
fn outputs(
    mut report: ItemReport,
    analysis: &pipeline::Analysis,
    issued: Option<pipeline::Issued>,
    target: &str,
) -> (ItemReport, Option<Computed>) {
    let hocr = crate::hocr::hocr(&analysis.ocr);
    match worker::outputs(analysis, issued, hocr, target) {
        Ok(c) => (report, Some(c)),
        Err(e) => {
            report.action = Action::Failed;
            report.new_document_id = None;
            report.error = Some(format!("{}: {e}", report.submission_id));
            (report, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::DocType;

    fn record(name: &str, issuable: bool) -> Record {
        let mut r = Record::unknown(0.9);
        r.doc_type = Some(DocType::BirthCertificate);
        r.fields.insert("full_name".into(), json!(name));
        if !issuable {
            r.flag("place_of_birth", ReviewReason::Missing);
        }
        r
    }

    fn old(name: &str) -> Value {
        json!({"doc_type": "birth_certificate", "fields": {"full_name": name}})
    }

    #[test]
    fn what_is_done_depends_on_what_stood_and_what_changed() {
        let same = record("AN", true);
        let other = record("ÂN", true);
        let unsure = record("ÂN", false);
        assert_eq!(
            decide(Standing::Issued, &old("AN"), &same).0,
            Action::Unchanged
        );
        let (action, fields) = decide(Standing::Issued, &old("AN"), &other);
        assert_eq!(action, Action::Superseded);
        assert_eq!(fields.len(), 1);
        assert_eq!(
            (fields[0].old.clone(), fields[0].new.clone()),
            (json!("AN"), json!("ÂN"))
        );
        assert_eq!(
            decide(Standing::Issued, &old("AN"), &unsure).0,
            Action::Review
        );
        // A person's values are never replaced by the machine's.
        assert_eq!(
            decide(Standing::Approved, &old("AN"), &other).0,
            Action::Review
        );
        assert_eq!(
            decide(Standing::Approved, &old("AN"), &same).0,
            Action::Unchanged
        );
        let mut missing = record("AN", true);
        missing.fields.clear();
        assert_eq!(
            decide(Standing::Approved, &old("AN"), &missing).0,
            Action::Unchanged
        );
        assert_eq!(
            decide(Standing::NeedsReview, &old("AN"), &same).0,
            Action::Issued
        );
        assert_eq!(
            decide(Standing::NeedsReview, &old("AN"), &unsure).0,
            Action::Review
        );
        assert_eq!(
            decide(Standing::Failed, &Value::Null, &same).0,
            Action::Issued
        );
    }

    #[test]
    fn the_run_id_follows_the_selection_and_the_target() {
        let a = Selection::default();
        let mut b = Selection::default();
        b.states.insert(Standing::Issued);
        assert_eq!(a.run_id("v2"), Selection::default().run_id("v2"));
        assert_ne!(a.run_id("v2"), a.run_id("v3"));
        assert_ne!(a.run_id("v2"), b.run_id("v2"));
    }
}
