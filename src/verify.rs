//! Verification of a result document or a printed copy's QR seal: the trust
//! list's root signature, the PDF signature (by the manifest's Ed25519 key,
//! or by a P-256 PDF-signing key the trust list names), the attached
//! manifest's signature, the signing keys' validity at issue time (for a key revoked since, with the
//! office's transparency-log proof that the document existed before), that
//! the certificate page shows exactly what was signed, and, when asked, the
//! registry's signed status.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::model::{format_rfc3339, parse_rfc3339, IssuedAt, Manifest};
use crate::office::pki;
use crate::office::{KeyUnusable, KeyUsage, TrustList, TrustedKey};
use crate::pdf::write::{page_text, read_attachment, PdfError};
use crate::render::certificate_lines;
use crate::seal::{check_signed_manifest, ManifestProblem};

/// The overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed.
    Valid,
    /// A check failed: the document must not be trusted.
    Invalid,
    /// The document cannot be judged here (unknown key, no manifest, no trust list).
    CannotTell,
}

impl Verdict {
    /// The process exit code: 0 valid, 1 invalid, 4 cannot tell (2 is a
    /// usage error and 3 any other error, as for every command).
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Valid => 0,
            Verdict::Invalid => 1,
            Verdict::CannotTell => crate::cli::EXIT_CANNOT_TELL,
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Passed.
    Pass,
    /// Failed: the document is invalid.
    Fail,
    /// Could not be decided.
    Unknown,
    /// Not run (an earlier check decided).
    Skipped,
}

/// One check and what it found, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Short id of the check.
    pub name: &'static str,
    /// Its outcome.
    pub status: CheckStatus,
    /// What it found.
    pub detail: String,
}

/// A verification report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The file verified.
    pub file: String,
    /// The answer.
    pub verdict: Verdict,
    /// The document, when its manifest could be read.
    pub document: Option<DocumentSummary>,
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// Notes that do not change the verdict.
    pub notes: Vec<String>,
}

/// What the document says about itself (trustworthy only when valid).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentSummary {
    /// Document id.
    pub document_id: String,
    /// Document type.
    pub doc_type: String,
    /// Issuing office.
    pub office: String,
    /// Operator.
    pub operator: String,
    /// Issue time.
    pub issued_at: IssuedAt,
    /// Signing key.
    pub key_id: String,
    /// SHA-256 of the original scan.
    pub source_sha256: String,
    /// The record's fields.
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// SHA-256 of the signed manifest as attached (not for a QR seal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_sha256: Option<String>,
    /// Who approved the record and which fields they corrected or
    /// confirmed, when a person reviewed it (not said by a QR seal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<crate::model::ManifestReview>,
    /// The dossier, procedure and result code, when the document has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dossier: Option<crate::dossier::DossierResult>,
}

impl Report {
    fn new(file: &str) -> Report {
        Report {
            file: file.to_string(),
            verdict: Verdict::Valid,
            document: None,
            checks: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn push(&mut self, name: &'static str, status: CheckStatus, detail: impl Into<String>) {
        self.checks.push(Check {
            name,
            status,
            detail: detail.into(),
        });
        self.verdict = match (self.verdict, status) {
            (_, CheckStatus::Fail) | (Verdict::Invalid, _) => Verdict::Invalid,
            (_, CheckStatus::Unknown) | (Verdict::CannotTell, _) => Verdict::CannotTell,
            (v, _) => v,
        };
    }

    /// The report in plain words.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let headline = match self.verdict {
            Verdict::Valid => "VALID: this document was issued as shown and has not been changed.",
            Verdict::Invalid => "INVALID: do not rely on this document.",
            Verdict::CannotTell => {
                "CANNOT TELL: a check could not be decided here (marked ?? below)."
            }
        };
        s.push_str(&format!("{}\n{headline}\n", self.file));
        if let Some(d) = &self.document {
            s.push_str(&format!(
                "  document {} ({}), issued {} by {} (operator {}), key {}\n",
                d.document_id, d.doc_type, d.issued_at, d.office, d.operator, d.key_id
            ));
            if let Some(r) = &d.review {
                let list = |names: &[String]| {
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                };
                s.push_str(&format!(
                    "  reviewed and approved by {} at {}; corrected: {}; confirmed: {}\n",
                    r.approved_by,
                    r.approved_at,
                    list(&r.corrected),
                    list(&r.confirmed)
                ));
            }
            if let Some(x) = &d.dossier {
                s.push_str(&format!(
                    "  result code {} (dossier {}, procedure {})\n",
                    x.result_code,
                    x.dossier_code,
                    x.procedure_code.as_deref().unwrap_or("not given")
                ));
            }
            for (k, v) in &d.fields {
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                s.push_str(&format!("    {k}: {v}\n"));
            }
        }
        for c in &self.checks {
            let mark = match c.status {
                CheckStatus::Pass => "ok  ",
                CheckStatus::Fail => "FAIL",
                CheckStatus::Unknown => "??  ",
                CheckStatus::Skipped => "--  ",
            };
            s.push_str(&format!("  [{mark}] {}: {}\n", c.name, c.detail));
        }
        for n in &self.notes {
            s.push_str(&format!("  note: {n}\n"));
        }
        s
    }
}

/// What a verification checks against, besides the document itself.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The trust file the verifier gave (`--trust`): it must check.
    pub trust: Option<&'a Path>,
    /// The data directory's trust file, used when it exists and checks
    /// (and no `trust` is given).
    pub default_trust: Option<&'a Path>,
    /// A directory of pinned roots, one `*.pem` per office
    /// (`--trust-dir`).
    pub trust_dir: Option<&'a Path>,
    /// A root certificate (PEM) the verifier pins: the trust list must be
    /// signed by exactly this root.
    pub root: Option<&'a Path>,
    /// The original scan, to check the document was made from it.
    pub source: Option<&'a Path>,
    /// The registry's status endpoint (`http://HOST:PORT`), to ask whether the
    /// office revoked or superseded the document.
    pub online: Option<&'a str>,
    /// How old a registry answer may be (and how far ahead of this
    /// computer's clock) to be accepted.
    pub max_answer_age: std::time::Duration,
    /// The office's transparency-log proof for the document
    /// (`c2sp.org/tlog-proof@v1`, from `docseal log proof`).
    pub log_proof: Option<&'a Path>,
    /// Where the checkpoints seen before are kept (default
    /// `$XDG_STATE_HOME/docseal/checkpoints`).
    pub seen_dir: Option<&'a Path>,
    /// A copy of the office's published log (`tlog/`), to check a checkpoint
    /// against one seen before.
    pub log_tiles: Option<&'a Path>,
}

/// How long `--online` waits for the registry.
pub const ONLINE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Verifies a result PDF file: the trust list's root signature first, then
/// every check of [`verify_bytes`], then the source scan and the registry's
/// status when asked for.
pub fn verify_file(path: &Path, opts: &Options) -> Report {
    let mut r = Report::new(&path.display().to_string());
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            r.push(
                "read",
                CheckStatus::Unknown,
                format!("cannot read the file: {e}"),
            );
            return r;
        }
    };
    let embedded = embedded_trust(&bytes);
    let Some(trust) = open_trust(&mut r, opts, embedded.as_deref()) else {
        return r;
    };
    let log = LogInput::from_options(&mut r, opts);
    check_pdf(&mut r, &bytes, &trust, &log);
    if let Some(src) = opts.source {
        check_source(&mut r, src);
    }
    let sha256 = crate::store::sha256_hex(&bytes);
    check_registry(&mut r, opts, &trust, Some(&sha256));
    r
}

/// The trust list snapshot a result PDF carries, read from its signed
/// revision only (bytes appended after signing are never parsed).
fn embedded_trust(pdf: &[u8]) -> Option<Vec<u8>> {
    use crate::pdf::sign::{signed_coverage, Coverage};
    let signed = match signed_coverage(pdf).ok()? {
        Coverage::WholeFile => pdf,
        Coverage::UpdatedAfterSigning { appended_bytes } => {
            pdf.get(..pdf.len().checked_sub(appended_bytes)?)?
        }
    };
    read_attachment(signed, crate::render::TRUST_ATTACHMENT)
        .ok()
        .flatten()
}

/// Verifies a QR seal's text (from a printed copy) like [`verify_file`]
/// does a PDF: trust list, seal, and the registry's status when asked for.
pub fn verify_qr_text(text: &str, opts: &Options) -> Report {
    let mut r = Report::new("QR seal");
    let Some(trust) = open_trust(&mut r, opts, None) else {
        return r;
    };
    check_qr(&mut r, text, &trust);
    check_registry(&mut r, opts, &trust, None);
    r
}

/// The registry's word on the document when `--online` is given; otherwise
/// the report says that revocation was not checked online.
fn check_registry(r: &mut Report, opts: &Options, trust: &TrustList, sha256: Option<&str>) {
    match opts.online {
        Some(url) => check_online(r, url, trust, sha256, opts.max_answer_age),
        None if r.document.is_none() => {}
        None => r.push(
            "registry_status",
            CheckStatus::Skipped,
            "not checked online: whether the issuing office has since revoked this document was not asked; add --online URL of the office's registry to ask",
        ),
    }
}

/// A trust list that checked against its root, and where it came from.
struct Candidate {
    list: TrustList,
    root: pki::Certificate,
    /// How the report names it.
    from: String,
    /// Whether it is the snapshot the document carries.
    embedded: bool,
}

/// The roots the verifier pins: `--root` and every `*.pem` of
/// `--trust-dir`. `None` when one of them cannot be read (reported).
fn pinned_roots(r: &mut Report, opts: &Options) -> Option<Vec<pki::Certificate>> {
    let mut pins = Vec::new();
    let read = |p: &Path| {
        std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|t| pki::from_pem(&t).map_err(|e| e.to_string()))
    };
    if let Some(p) = opts.root {
        match read(p) {
            Ok(c) => pins.push(c),
            Err(e) => {
                r.push(
                    "trust_list",
                    CheckStatus::Unknown,
                    format!("the pinned root {} cannot be read: {e}", p.display()),
                );
                return None;
            }
        }
    }
    if let Some(dir) = opts.trust_dir {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                r.push(
                    "trust_list",
                    CheckStatus::Unknown,
                    format!(
                        "the directory of roots {} cannot be read: {e}",
                        dir.display()
                    ),
                );
                return None;
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "pem"))
            .collect();
        paths.sort();
        for p in paths {
            match read(&p) {
                Ok(c) => pins.push(c),
                Err(e) => r.notes.push(format!(
                    "{} in --trust-dir is not a root certificate and was ignored: {e}",
                    p.display()
                )),
            }
        }
    }
    Some(pins)
}

fn describe_root(c: &pki::Certificate) -> String {
    let fp = pki::fingerprint(c).unwrap_or_default();
    format!(
        "{} (SHA-256 {})",
        pki::subject(c),
        pki::fingerprint_for_people(&fp)
    )
}

/// The trust list a verification uses, with the `trust_list` check: of the
/// given trust file and the snapshot a document carries (`embedded`), the
/// newest that checks against a pinned root (`--root`, `--trust-dir`).
/// Returns the list only when it may be used.
///
/// A trust file given with `--trust` that does not check (or is signed by
/// a root that is not pinned) stops the verification: the verifier asked
/// for that list. The data directory's own list (`default_trust`) and the
/// snapshot are only candidates: one that cannot be used is noted. A
/// snapshot is used only when a root vouches for it: a pinned one, or the
/// root of the trust file given beside it.
fn open_trust(r: &mut Report, opts: &Options, embedded: Option<&[u8]>) -> Option<TrustList> {
    let pins = pinned_roots(r, opts)?;
    let pinning = opts.root.is_some() || opts.trust_dir.is_some();
    let is_pinned = |c: &pki::Certificate| pins.iter().any(|p| p == c);
    let snapshot = embedded.and_then(|bytes| {
        let name = Path::new(crate::render::TRUST_ATTACHMENT);
        let checked = TrustList::from_json(bytes, name)
            .map_err(|e| e.to_string())
            .and_then(|list| {
                let root = list.check_signature().map_err(|e| e.to_string())?;
                Ok(Candidate {
                    list,
                    root,
                    from: "the trust list the document carries".into(),
                    embedded: true,
                })
            });
        match checked {
            Ok(c) => Some(c),
            Err(e) => {
                r.notes.push(format!(
                    "the trust list the document carries was not used: {e}"
                ));
                None
            }
        }
    });
    let given = match (opts.trust, opts.default_trust) {
        (Some(path), _) => given_list(r, path, &pins, pinning, true)?,
        (None, Some(path)) if path.exists() => {
            given_list(r, path, &pins, pinning, snapshot.is_none())?
        }
        _ => None,
    };
    let snapshot = match snapshot {
        Some(s) if is_pinned(&s.root) || given.as_ref().is_some_and(|g| g.root == s.root) => {
            Some(s)
        }
        Some(s) if given.is_none() => {
            let office = s.list.office().unwrap_or("an unnamed office").to_string();
            let why = if pinning {
                format!(
                    "the document is from {office}, whose root {} is not among the roots you gave (--root, --trust-dir); add that office's root.pem, checked with the office, to --trust-dir",
                    describe_root(&s.root)
                )
            } else {
                format!(
                    "the document is from {office} and carries its trust list, signed by the root {}; pin that office's root with --root root.pem (or --trust-dir) to use it",
                    describe_root(&s.root)
                )
            };
            r.push("trust_list", CheckStatus::Unknown, why);
            return None;
        }
        Some(s) => {
            r.notes.push(format!(
                "the document carries the trust list of another root, {}, than the trust file given; it was not used",
                describe_root(&s.root)
            ));
            None
        }
        None => None,
    };
    let chosen = match (given, snapshot) {
        (None, None) => {
            let hint = match opts.default_trust {
                Some(p) if opts.trust.is_none() => format!("no trust file ({} does not exist) and the document carries none; pass --trust FILE", p.display()),
                _ => "no trust list: the document carries none; pass --trust FILE".to_string(),
            };
            r.push("trust_list", CheckStatus::Unknown, hint);
            return None;
        }
        (Some(g), None) => g,
        (None, Some(s)) => s,
        (Some(g), Some(s)) if g.root != s.root => {
            // Both pinned, of two offices: the document's own office decides.
            r.notes.push(format!(
                "the trust file given ({}) is another office's; the document's own trust list was used",
                g.from
            ));
            s
        }
        (Some(g), Some(s)) => {
            if s.list.signed_at_unix() > g.list.signed_at_unix() {
                r.notes.push(format!(
                    "the trust list the document carries is newer than {}, which was not used",
                    g.from
                ));
                s
            } else {
                g
            }
        }
    };
    let signed = chosen
        .list
        .signed_at
        .as_deref()
        .map(|t| format!(", signed {t}"))
        .unwrap_or_default();
    let detail = if is_pinned(&chosen.root) {
        format!(
            "{}{signed} is signed by the root you pinned: {}",
            chosen.from,
            describe_root(&chosen.root)
        )
    } else {
        r.notes.push(
            "the trust list's root was not pinned: compare its SHA-256 fingerprint with the one the issuing office publishes, or pass --root root.pem".into(),
        );
        format!(
            "{}{signed} is signed by its root {}",
            chosen.from,
            describe_root(&chosen.root)
        )
    };
    if chosen.embedded {
        r.notes.push(
            "the document's own trust list shows the office's keys when it was issued: a key revoked since is not known from it; pass the office's current list with --trust, or ask with --online".into(),
        );
    }
    r.push("trust_list", CheckStatus::Pass, detail);
    Some(chosen.list)
}

/// A trust file as a candidate. `Some(None)`: not usable, noted (when not
/// `required`); `None`: not usable and the verification stops (reported).
fn given_list(
    r: &mut Report,
    path: &Path,
    pins: &[pki::Certificate],
    pinning: bool,
    required: bool,
) -> Option<Option<Candidate>> {
    let problem = match TrustList::load(path) {
        Err(e) => Err(format!("no usable trust list ({e}); pass --trust FILE")),
        Ok(list) => match list.check_signature() {
            Err(p) => Err(format!(
                "{p}. The list was not used, so the document could not be checked."
            )),
            Ok(root) if pinning && !pins.contains(&root) => Err(format!(
                "the trust list is signed by {}, not by the root you pinned with --root, {}. The list was not used.",
                describe_root(&root),
                pins.iter().map(describe_root).collect::<Vec<_>>().join(", ")
            )),
            Ok(root) => Ok(Candidate {
                list,
                root,
                from: format!("the trust list {}", path.display()),
                embedded: false,
            }),
        },
    };
    match problem {
        Ok(c) => Some(Some(c)),
        Err(why) if required => {
            r.push("trust_list", CheckStatus::Unknown, why);
            None
        }
        Err(why) => {
            r.notes
                .push(format!("{} was not used: {why}", path.display()));
            Some(None)
        }
    }
}

fn check_source(r: &mut Report, src: &Path) {
    let Some(expected) = r.document.as_ref().map(|d| d.source_sha256.clone()) else {
        return;
    };
    match std::fs::read(src) {
        Ok(b) => {
            let sha = crate::store::sha256_hex(&b);
            if sha == expected {
                r.push(
                    "source_scan",
                    CheckStatus::Pass,
                    format!("{} is the scan this document was made from", src.display()),
                );
            } else {
                r.push(
                    "source_scan",
                    CheckStatus::Fail,
                    format!(
                        "{} is not the scan this document was made from (SHA-256 {sha}, expected {expected})",
                        src.display()
                    ),
                );
            }
        }
        Err(e) => r.push(
            "source_scan",
            CheckStatus::Unknown,
            format!("cannot read {}: {e}", src.display()),
        ),
    }
}

/// The `registry_status` check that could not be decided, and why.
fn registry_unknown(r: &mut Report, why: String) {
    r.push(
        "registry_status",
        CheckStatus::Unknown,
        format!("{why}; whether the office revoked this document is not known"),
    )
}

/// Asks the registry at `url` for the document's status and checks the
/// signed answer. Revoked: fail. Superseded: pass with a note (the document
/// stays genuine). Unknown to the registry, unreachable, or an answer that
/// does not check: cannot tell (the offline checks still stand in the report).
fn check_online(
    r: &mut Report,
    url: &str,
    trust: &TrustList,
    sha256: Option<&str>,
    max_age: std::time::Duration,
) {
    const NAME: &str = "registry_status";
    let Some(doc) = r.document.clone() else {
        r.push(NAME, CheckStatus::Skipped, "no document id to ask about");
        return;
    };
    let document_id = doc.document_id.clone();
    let unknown = registry_unknown;
    let nonce = match crate::status::new_nonce() {
        Ok(n) => n,
        Err(e) => return unknown(r, e.to_string()),
    };
    let body = match crate::web::fetch_status(url, &document_id, &nonce, ONLINE_TIMEOUT) {
        Ok(b) => b,
        Err(e) => return unknown(r, format!("the registry could not be asked: {e}")),
    };
    let registry = format!("the registry at {url}");
    check_status_answer(r, &registry, &body, &nonce, trust, sha256, max_age);
}

/// Checks a registry's signed status answer (`body`, to a question carrying
/// `nonce`) about the report's document and adds the `registry_status`
/// check: revoked fails; superseded passes with a note (the document stays
/// genuine); unknown to the registry, or an answer that does not check,
/// cannot tell. `registry` names who answered, for the report's words.
pub fn check_status_answer(
    r: &mut Report,
    registry: &str,
    body: &[u8],
    nonce: &str,
    trust: &TrustList,
    sha256: Option<&str>,
    max_age: std::time::Duration,
) {
    const NAME: &str = "registry_status";
    let Some(doc) = r.document.clone() else {
        r.push(NAME, CheckStatus::Skipped, "no document id to ask about");
        return;
    };
    let document_id = doc.document_id.clone();
    let unknown = registry_unknown;
    let question = crate::status::Question {
        document_id: &document_id,
        nonce,
        key_id: &doc.key_id,
        issued_at: doc.issued_at.unix_seconds(),
        document_sha256: sha256,
        manifest_sha256: doc.manifest_sha256.as_deref(),
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let st = match crate::status::check_answer(body, trust, &question, now, max_age) {
        Ok(st) => st,
        Err(e @ crate::status::StatusProblem::DifferentDocument { .. }) => {
            return r.push(
                NAME,
                CheckStatus::Fail,
                format!("{e}: the office did not issue this document as it is"),
            )
        }
        Err(e) => {
            return unknown(
                r,
                format!("the answer of {registry} cannot be trusted: {e}"),
            )
        }
    };
    let when = st.changed_at.as_deref().unwrap_or("an unknown time");
    let reason = st.reason.as_deref().unwrap_or("no reason given");
    use crate::status::RegistryStatus;
    match st.status {
        RegistryStatus::Valid => r.push(
            NAME,
            CheckStatus::Pass,
            format!(
                "{registry} says the document stands (signed answer of {})",
                st.answered_at
            ),
        ),
        RegistryStatus::Revoked => r.push(
            NAME,
            CheckStatus::Fail,
            format!("the issuing office revoked this document at {when}: {reason}"),
        ),
        RegistryStatus::Superseded => {
            r.push(
                NAME,
                CheckStatus::Pass,
                format!("{registry} says the document is genuine but superseded"),
            );
            r.notes.push(format!(
                "superseded at {when}: {reason}; ask for the newer document"
            ));
        }
        RegistryStatus::Unknown => unknown(
            r,
            format!(
                "{registry} has no document {document_id}; ask the issuing office's own registry"
            ),
        ),
    }
}

/// Verifies result PDF bytes against a trust list the caller already trusts.
pub fn verify_bytes(name: &str, pdf: &[u8], trust: &TrustList) -> Report {
    let mut r = Report::new(name);
    check_pdf(&mut r, pdf, trust, &LogInput::default());
    r
}

/// What the transparency log adds to a verification: a proof, and where
/// checkpoints seen before are kept.
#[derive(Debug, Clone, Default)]
pub struct LogInput {
    /// The proof's bytes.
    pub proof: Option<Vec<u8>>,
    /// The directory of checkpoints seen before.
    pub seen_dir: Option<PathBuf>,
    /// A copy of the office's published log.
    pub tiles: Option<PathBuf>,
}

impl LogInput {
    fn from_options(r: &mut Report, opts: &Options) -> LogInput {
        let proof = opts.log_proof.and_then(|p| match std::fs::read(p) {
            Ok(b) => Some(b),
            Err(e) => {
                r.push(
                    "log_proof",
                    CheckStatus::Unknown,
                    format!("cannot read the log proof {}: {e}", p.display()),
                );
                None
            }
        });
        LogInput {
            proof,
            seen_dir: opts
                .seen_dir
                .map(Path::to_path_buf)
                .or_else(crate::tlog::proof::SeenCheckpoints::default_dir),
            tiles: opts.log_tiles.map(Path::to_path_buf),
        }
    }
}

/// Checks a log proof for the document's attached manifest bytes; returns
/// the time its checkpoint was signed when the proof holds.
fn check_log_proof(r: &mut Report, entry: &[u8], trust: &TrustList, log: &LogInput) -> Option<u64> {
    use crate::tlog::proof::{LogProof, Seen, SeenCheckpoints};
    let text = log.proof.as_ref()?;
    let logs = match crate::tlog::publish::trusted_logs(trust) {
        Ok(l) if !l.is_empty() => l,
        Ok(_) => {
            r.push(
                "log_proof",
                CheckStatus::Unknown,
                "the trust list names no transparency log, so the proof cannot be checked",
            );
            return None;
        }
        Err(e) => {
            r.push("log_proof", CheckStatus::Unknown, e.to_string());
            return None;
        }
    };
    let checked = LogProof::parse(text).and_then(|p| {
        let cp = p.check(entry, &logs)?;
        Ok((p.index, cp))
    });
    let (index, cp) = match checked {
        Ok(ok) => ok,
        Err(e) => {
            r.push(
                "log_proof",
                CheckStatus::Fail,
                format!("the log proof does not hold for this document: {e}"),
            );
            return None;
        }
    };
    let when = cp
        .signed_at
        .map(|t| format_rfc3339(i64::try_from(t).unwrap_or(i64::MAX)));
    let seen = match &log.seen_dir {
        None => Ok(None),
        Some(d) => SeenCheckpoints::new(d)
            .check_and_remember(&cp, &logs, log.tiles.as_deref())
            .map(Some),
    };
    let seen_note = match seen {
        Err(e) => {
            r.push("log_proof", CheckStatus::Fail, e.to_string());
            return None;
        }
        Ok(None) | Ok(Some(Seen::First)) => String::new(),
        Ok(Some(Seen::Consistent { seen_size })) => {
            format!("; consistent with the checkpoint of {seen_size} entries seen before")
        }
        Ok(Some(Seen::Unchecked { seen_size })) => {
            r.notes.push(format!(
                "a checkpoint of {seen_size} entries of this log was seen before; pass --log-tiles with a copy of the office's published log to check this one against it"
            ));
            String::new()
        }
    };
    r.push(
        "log_proof",
        CheckStatus::Pass,
        format!(
            "the document is entry {index} of the log {}, in its checkpoint of {} entries signed {}{seen_note}",
            cp.origin,
            cp.size,
            when.as_deref().unwrap_or("at an unstated time")
        ),
    );
    cp.signed_at
}

/// Every check of a result PDF against a trusted list.
fn check_pdf(r: &mut Report, pdf: &[u8], trust: &TrustList, log: &LogInput) {
    // Bytes added after signing are never parsed: the answer is already
    // INVALID, and they may be built to exhaust whoever reads them.
    if let Ok(coverage @ crate::pdf::sign::Coverage::UpdatedAfterSigning { .. }) =
        crate::pdf::sign::signed_coverage(pdf)
    {
        r.push("pdf_signature", CheckStatus::Fail, coverage.to_string());
        r.notes.push(
            "nothing else in the file was read: what was added after signing is not the signed document"
                .into(),
        );
        return;
    }
    let attachment = match read_attachment(pdf, crate::render::MANIFEST_ATTACHMENT) {
        Ok(Some(a)) => a,
        Ok(None) => {
            r.push(
                "manifest",
                CheckStatus::Unknown,
                "no docseal manifest is attached; this is not a docseal result document",
            );
            return;
        }
        Err(e) => {
            r.push(
                "manifest",
                CheckStatus::Fail,
                format!("the file is damaged: {e}"),
            );
            return;
        }
    };
    let (manifest, key) = match check_signed_manifest(&attachment, trust) {
        Ok(ok) => ok,
        Err(ManifestProblem::UnknownKey(k)) => {
            r.push(
                "signature",
                CheckStatus::Unknown,
                format!("signed with key {k}, which is not in the trust list; ask the issuing office for its trust file"),
            );
            return;
        }
        Err(p) => {
            r.push("signature", CheckStatus::Fail, p.to_string());
            return;
        }
    };
    r.document = Some(DocumentSummary {
        manifest_sha256: Some(crate::store::sha256_hex(&attachment)),
        ..summary(&manifest)
    });
    let pdf_key = check_pdf_signature(r, pdf, trust, &manifest);
    r.push(
        "signature",
        CheckStatus::Pass,
        format!(
            "the manifest is signed by key {} of {}",
            key.key_id, key.office
        ),
    );
    let existed = check_log_proof(r, &attachment, trust, log);
    check_key_validity(r, &manifest, &key, existed);
    if let Some(pdf_key) = &pdf_key {
        key_validity(r, KeyCheck::PDF, &manifest, pdf_key, existed);
    }
    match page_count(pdf).and_then(|n| page_text(pdf, n.saturating_sub(1))) {
        Ok(lines) => {
            let expected = certificate_lines(&manifest);
            if lines == expected {
                r.push(
                    "certificate_page",
                    CheckStatus::Pass,
                    "the certificate page shows exactly what was signed",
                );
            } else {
                let diff = expected
                    .iter()
                    .zip(lines.iter().chain(std::iter::repeat(&String::new())))
                    .find(|(e, l)| e != l)
                    .map(|(e, l)| {
                        format!("signed \u{201c}{e}\u{201d}, page shows \u{201c}{l}\u{201d}")
                    })
                    .unwrap_or_else(|| "the page has extra or missing lines".to_string());
                r.push(
                    "certificate_page",
                    CheckStatus::Fail,
                    format!("the certificate page differs from what was signed: {diff}"),
                );
            }
        }
        Err(e) => r.push(
            "certificate_page",
            CheckStatus::Fail,
            format!("the certificate page cannot be read: {e}"),
        ),
    }
    check_qr_seal(r, pdf, trust, &manifest);
}

/// The PDF signature: covers the whole file, CMS valid, chain to a trusted
/// root, and made by the manifest's Ed25519 key or by a P-256 key the trust
/// list names as the office's PDF-signing key. Returns that P-256 key's
/// entry, whose validity at issue time is checked once the log proof is
/// known.
fn check_pdf_signature(
    r: &mut Report,
    pdf: &[u8],
    trust: &TrustList,
    m: &Manifest,
) -> Option<TrustedKey> {
    let roots = trust.root_certificates();
    let sig = match crate::pdf::sign::verify_pdf(pdf, &roots) {
        Ok(sig) => sig,
        Err(e) => {
            r.push("pdf_signature", CheckStatus::Fail, e.to_string());
            return None;
        }
    };
    if let crate::pdf::sign::Coverage::UpdatedAfterSigning { .. } = sig.coverage {
        r.push("pdf_signature", CheckStatus::Fail, sig.coverage.to_string());
        return None;
    }
    if sig.key_id == m.key_id {
        r.push(
            "pdf_signature",
            CheckStatus::Pass,
            format!(
                "the whole file is signed by {}, certified by {}",
                sig.signer_subject, sig.root_subject
            ),
        );
        return None;
    }
    let Ok(public) = pki::p256_public_key(&sig.signer) else {
        r.push(
            "pdf_signature",
            CheckStatus::Fail,
            format!(
                "the PDF is signed with key {} but the manifest names {}",
                sig.key_id, m.key_id
            ),
        );
        return None;
    };
    match trust.find_for(&sig.key_id, KeyUsage::Pdf) {
        Some(k) if k.p256_verifying_key() == Some(public) => {
            r.push(
                "pdf_signature",
                CheckStatus::Pass,
                format!(
                    "the whole file is signed with the office's PDF-signing key {} (ECDSA P-256, {}), certified by {}",
                    sig.key_id, sig.signer_subject, sig.root_subject
                ),
            );
            Some(k.clone())
        }
        Some(_) => {
            r.push(
                "pdf_signature",
                CheckStatus::Fail,
                format!(
                    "the PDF is signed by {} with a key whose id is {} but which is not the key the trust list names so",
                    sig.signer_subject, sig.key_id
                ),
            );
            None
        }
        None => {
            r.push(
                "pdf_signature",
                CheckStatus::Unknown,
                format!(
                    "the PDF is signed with the ECDSA P-256 key {} ({}), which the trust list does not name as a PDF-signing key of the office; ask the issuing office for its trust file",
                    sig.key_id, sig.signer_subject
                ),
            );
            None
        }
    }
}

/// The QR seal: signed, agrees with the manifest, and is what the page draws.
fn check_qr_seal(r: &mut Report, pdf: &[u8], trust: &TrustList, m: &Manifest) {
    let text = match read_attachment(pdf, crate::render::QR_ATTACHMENT) {
        Ok(Some(t)) => String::from_utf8_lossy(&t).into_owned(),
        Ok(None) => {
            r.notes
                .push("the document carries no QR seal (its record was too large for one)".into());
            return;
        }
        Err(e) => {
            r.push(
                "qr_seal",
                CheckStatus::Fail,
                format!("the QR seal cannot be read: {e}"),
            );
            return;
        }
    };
    let payload = match crate::qrseal::verify(&text, trust) {
        Ok(p) => p,
        Err(e) => {
            r.push("qr_seal", CheckStatus::Fail, e.to_string());
            return;
        }
    };
    // A seal without fields is the compact one, made when the record did not
    // fit in one QR code; Vietnam's fields are in every seal of a document
    // of the top-left layout, and in no older one.
    let conventions = match (&payload.conventions, m.layout) {
        (None, None) => true,
        (Some(c), Some(_)) => *c == crate::dossier::qr_conventions(m),
        _ => false,
    };
    let agrees = payload.document_id == m.document_id
        && payload.doc_type == m.doc_type
        && conventions
        && (payload.fields.len() == m.record.fields.len()
            || (payload.fields.is_empty() && m.layout.is_some()))
        && payload.fields.iter().all(|(k, v)| {
            m.record
                .fields
                .get(k)
                .is_some_and(|w| crate::eval::same_value(v, w))
        })
        && hex::encode(payload.source_sha256) == m.source.sha256
        && payload.key_id == m.key_id
        && payload.issued_at == m.issued_at;
    if !agrees {
        r.push(
            "qr_seal",
            CheckStatus::Fail,
            "the QR seal and the manifest disagree about the document",
        );
        return;
    }
    let drawn = crate::render::qr_ops_at(&text, crate::render::qr_area(m))
        .ok()
        .zip(last_page_content(pdf))
        .is_some_and(|(ops, content)| content.windows(ops.len()).any(|w| w == ops.as_slice()));
    if drawn {
        r.push(
            "qr_seal",
            CheckStatus::Pass,
            "the QR seal on the certificate page is signed and matches the manifest",
        );
    } else {
        r.push(
            "qr_seal",
            CheckStatus::Fail,
            "the QR code drawn on the certificate page is not the signed seal",
        );
    }
}

fn last_page_content(pdf: &[u8]) -> Option<Vec<u8>> {
    let doc = lopdf::Document::load_mem(pdf).ok()?;
    let (_, id) = doc.get_pages().into_iter().next_back()?;
    doc.get_page_content_with_limit(id, 16 << 20).ok()
}

/// Verifies a QR seal's text (as scanned from a printed copy) against a
/// trust list the caller already trusts.
pub fn verify_qr(text: &str, trust: &TrustList) -> Report {
    let mut r = Report::new("QR seal");
    check_qr(&mut r, text, trust);
    r
}

fn check_qr(r: &mut Report, text: &str, trust: &TrustList) {
    match crate::qrseal::verify(text.trim(), trust) {
        Ok(p) => {
            r.document = Some(DocumentSummary {
                document_id: p.document_id.clone(),
                doc_type: p.doc_type.clone(),
                office: trust
                    .find(&p.key_id)
                    .map(|k| k.office.clone())
                    .unwrap_or_default(),
                operator: String::new(),
                issued_at: p.issued_at,
                key_id: p.key_id.clone(),
                source_sha256: hex::encode(p.source_sha256),
                fields: p.fields.clone().into_iter().collect(),
                manifest_sha256: None,
                review: None,
                dossier: p.conventions.as_ref().and_then(|c| {
                    Some(crate::dossier::DossierResult {
                        dossier_code: c.dossier_code.clone()?,
                        procedure_code: c.procedure_code.clone(),
                        result_code: c.result_code.clone()?,
                    })
                }),
            });
            if p.fields.is_empty() {
                r.notes.push(format!(
                    "the seal carries no fields of the record (too many for one QR code): see the PDF, or look the document up online at /d/{}",
                    p.document_id
                ));
            }
            r.push(
                "qr_seal",
                CheckStatus::Pass,
                "the seal is signed by a trusted key that was valid at issue; compare the fields below with the paper",
            );
            if let Some(k) = trust.find(&p.key_id) {
                if let Some(at) = k.revoked_at.as_deref() {
                    let reason = k.revocation_reason.as_deref().unwrap_or("no reason given");
                    // A QR seal carries no manifest to prove in the log.
                    revoked_later(r, p.issued_at, at, reason, None);
                }
            }
        }
        Err(crate::qrseal::QrError::UnknownKey(_)) => r.push(
            "qr_seal",
            CheckStatus::Unknown,
            "signed with a key that is not in the trust list",
        ),
        Err(e) => r.push("qr_seal", CheckStatus::Fail, e.to_string()),
    }
}

fn check_key_validity(r: &mut Report, m: &Manifest, key: &TrustedKey, existed: Option<u64>) {
    key_validity(r, KeyCheck::MANIFEST, m, key, existed);
}

/// Which key a validity check is about: the report's check name and how its
/// details name the key.
#[derive(Clone, Copy)]
struct KeyCheck {
    name: &'static str,
    key: &'static str,
}

impl KeyCheck {
    /// The manifest's (and QR seal's) Ed25519 document key.
    const MANIFEST: KeyCheck = KeyCheck {
        name: "key_validity",
        key: "the key",
    };
    /// The ECDSA P-256 key that signed the PDF.
    const PDF: KeyCheck = KeyCheck {
        name: "pdf_key_validity",
        key: "the PDF-signing key",
    };
}

/// A key's validity at the time the document claims, by the same rules for
/// the document key and the PDF-signing key.
fn key_validity(
    r: &mut Report,
    which: KeyCheck,
    m: &Manifest,
    key: &TrustedKey,
    existed: Option<u64>,
) {
    let the_key = which.key;
    let fail = |r: &mut Report, detail: String| r.push(which.name, CheckStatus::Fail, detail);
    match key.unusable_at(m.issued_at.unix_seconds()) {
        Some(KeyUnusable::NotYet) => {
            return fail(
                r,
                format!(
                    "issued {} but {the_key} {} is valid only from {}",
                    m.issued_at, key.key_id, key.not_before
                ),
            )
        }
        Some(KeyUnusable::Retired) => {
            return fail(
                r,
                format!(
                    "issued {} after {the_key} {} expired",
                    m.issued_at, key.key_id
                ),
            )
        }
        Some(KeyUnusable::Revoked { at, reason }) => {
            return fail(
                r,
                format!(
                    "{the_key} {} was revoked at {at} ({reason}), before this document was issued",
                    key.key_id
                ),
            )
        }
        None => {}
    }
    // Not revoked at the time the document claims. A later revocation is
    // judged by proof of existence: the claimed time alone could have been
    // written by anyone holding a copy of the key.
    if let Some(at) = key.revoked_at.as_deref() {
        let reason = key
            .revocation_reason
            .as_deref()
            .unwrap_or("no reason given");
        return revoked_later_as(r, which, m.issued_at, at, reason, existed);
    }
    r.push(
        which.name,
        CheckStatus::Pass,
        format!(
            "{the_key} {} was valid when the document was issued ({})",
            key.key_id, m.issued_at
        ),
    );
}

/// The verdict on a document whose key was revoked after the time it claims:
/// valid only when the office's log proves it existed before the revocation.
fn revoked_later(r: &mut Report, issued: IssuedAt, at: &str, reason: &str, existed: Option<u64>) {
    revoked_later_as(r, KeyCheck::MANIFEST, issued, at, reason, existed);
}

/// [`revoked_later`] for the key `which` names.
fn revoked_later_as(
    r: &mut Report,
    which: KeyCheck,
    issued: IssuedAt,
    at: &str,
    reason: &str,
    existed: Option<u64>,
) {
    let the_key = which.key;
    let revoked = parse_rfc3339(at);
    match existed.and_then(|t| i64::try_from(t).ok()) {
        Some(t) if revoked.is_some_and(|rv| t < rv) => r.push(
            which.name,
            CheckStatus::Pass,
            format!(
                "{the_key} was revoked at {at} ({reason}); the office's log proves the document existed at {}, before the revocation",
                format_rfc3339(t)
            ),
        ),
        Some(t) => r.push(
            which.name,
            CheckStatus::Unknown,
            format!(
                "{the_key} was revoked at {at} ({reason}); the log proof's checkpoint was signed at {}, not before the revocation, so it does not show the document existed before it; ask the office for the proof from its first checkpoint (`docseal log proof DOC_ID`)",
                format_rfc3339(t)
            ),
        ),
        None => r.push(
            which.name,
            CheckStatus::Unknown,
            format!(
                "{the_key} was revoked at {at} ({reason}), after the time the document claims ({issued}); anyone holding a copy of the key could date a document before its revocation, and nothing here proves this one existed before it: pass --log-proof with the office's transparency-log proof (`docseal log proof DOC_ID`)"
            ),
        ),
    }
}

fn page_count(pdf: &[u8]) -> Result<usize, PdfError> {
    lopdf::Document::load_mem(pdf)
        .map(|d| d.get_pages().len())
        .map_err(PdfError::Parse)
}

fn summary(m: &Manifest) -> DocumentSummary {
    DocumentSummary {
        document_id: m.document_id.clone(),
        doc_type: m.doc_type.clone(),
        office: m.issuer.office.clone(),
        operator: m.issuer.operator.clone(),
        issued_at: m.issued_at,
        key_id: m.key_id.clone(),
        source_sha256: m.source.sha256.clone(),
        fields: m.record.fields.clone().into_iter().collect(),
        manifest_sha256: None,
        review: m.review.clone(),
        dossier: m.dossier.clone(),
    }
}
