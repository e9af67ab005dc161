//! Where data lives and how the pipeline is tuned.
//!
//! Settings come from `docseal.toml`, overridden by `DOCSEAL_*` environment
//! variables, overridden by command-line flags ([`load`]). The job queue and
//! the object store are chosen by URL ([`QueueUrl`], [`StoreUrl`]); without
//! one, both live in the data directory (SQLite file, object directory).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::decode::Limits;
use crate::extract::ExtractOptions;
use crate::model::Issuer;
use crate::ocr::OcrOptions;
use crate::pdf::sign::PdfAlgorithm;
use crate::pipeline::PipelineOptions;
use crate::prepare::PrepareOptions;
use crate::queue::{QueueUrl, QueueUrlError};
use crate::store::{S3Credentials, S3Options, StoreUrl, StoreUrlError};
use crate::worker::Policy;

/// The default data directory when none is given.
pub const DEFAULT_DATA_DIR: &str = "docseal-data";

/// Settings of one docseal installation.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data directory of the embedded default (registry, objects, keys).
    pub data_dir: PathBuf,
    /// The issuing office, written into every manifest.
    pub office: String,
    /// The operator, written into every manifest.
    pub operator: String,
    /// Pipeline settings.
    pub pipeline: PipelineOptions,
    /// The job queue and registry; `None` for the SQLite file in the data directory.
    pub queue: Option<QueueUrl>,
    /// The object store; `None` for the object directory in the data directory.
    pub store: Option<StoreUrl>,
    /// How long a worker's lease on a job lasts without a heartbeat; a crashed
    /// worker's job is taken again after this. `None` for the worker default.
    pub lease_secs: Option<u64>,
    /// Leases a job may take before it is failed. `None` for the worker default.
    pub max_attempts: Option<u32>,
    /// Which jobs run in a child process of their own.
    pub isolate: Policy,
}

impl Config {
    /// A configuration for a data directory, with defaults for the rest.
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            office: "Bộ phận một cửa docseal".to_string(),
            operator: std::env::var("USER").unwrap_or_else(|_| "operator".to_string()),
            pipeline: PipelineOptions {
                limits: Limits::default(),
                prepare: PrepareOptions::default(),
                ocr: OcrOptions::default(),
                extract: ExtractOptions::default().with_test_overrides(),
                pdf_signature: PdfAlgorithm::default(),
            },
            queue: None,
            store: None,
            lease_secs: None,
            max_attempts: None,
            isolate: Policy::default(),
        }
    }

    /// The job queue and registry to open.
    pub fn queue_url(&self) -> QueueUrl {
        self.queue
            .clone()
            .unwrap_or_else(|| QueueUrl::Sqlite(self.db_path()))
    }

    /// The object store to open.
    pub fn store_url(&self) -> StoreUrl {
        self.store
            .clone()
            .unwrap_or_else(|| StoreUrl::Dir(self.objects_dir()))
    }

    /// The SQLite registry file.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("docseal.sqlite")
    }

    /// The object directory.
    pub fn objects_dir(&self) -> PathBuf {
        self.data_dir.join("objects")
    }

    /// The keys directory.
    pub fn keys_dir(&self) -> PathBuf {
        self.data_dir.join("keys")
    }

    /// The trust file verifiers use by default.
    pub fn trust_path(&self) -> PathBuf {
        self.keys_dir().join(crate::office::TRUST_FILE)
    }

    /// Who issues documents.
    pub fn issuer(&self) -> Issuer {
        Issuer {
            office: self.office.clone(),
            operator: self.operator.clone(),
        }
    }
}

/// Whether a path names a file a directory walk should pick up as a scan.
pub fn is_scan_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.starts_with('.') {
        return false;
    }
    matches!(
        path.extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .as_deref(),
        Some("png" | "jpg" | "jpeg" | "tif" | "tiff" | "pdf")
    )
}

/// Expands files and directories (recursively, sorted) into the list of inputs.
/// Files named explicitly are always taken; in directories only scan files.
pub fn expand_inputs(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            let mut found = Vec::new();
            while let Some(dir) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for e in entries.flatten() {
                    let path = e.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if is_scan_file(&path) {
                        found.push(path);
                    }
                }
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// The name of the settings file looked for in the working directory.
pub const SETTINGS_FILE: &str = "docseal.toml";

/// Errors of reading settings.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The settings file could not be read.
    #[error("cannot read the settings file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The settings file is not valid TOML or has unknown or mistyped keys.
    /// The message names the line but never shows it, since the line may
    /// hold a secret.
    #[error("settings file {path}: {detail}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where and what, without the file's text ([`describe_toml_error`]).
        detail: String,
    },
    /// A queue or store URL cannot be used.
    #[error("{what} `{url}`: {reason}")]
    Url {
        /// `queue` or `store`.
        what: &'static str,
        /// The URL, with any password hidden.
        url: String,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// A setting has a value of the wrong kind.
    #[error("{name} = `{value}`: expected {expected}")]
    Value {
        /// The setting (key or environment variable).
        name: String,
        /// The value given.
        value: String,
        /// What is expected.
        expected: &'static str,
    },
}

impl From<QueueUrlError> for ConfigError {
    fn from(e: QueueUrlError) -> ConfigError {
        ConfigError::Url {
            what: "queue",
            url: e.url,
            reason: e.reason,
        }
    }
}

impl From<StoreUrlError> for ConfigError {
    fn from(e: StoreUrlError) -> ConfigError {
        ConfigError::Url {
            what: "store",
            url: e.url,
            reason: e.reason,
        }
    }
}

/// A TOML error as line, column and the parser's message, without the
/// excerpt of the file the parser's own message carries; on a line whose key
/// names a secret (`secret_access_key = …`) or holds a URL with a password,
/// without the message either, which may quote the value.
pub fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let Some(span) = e.span() else {
        return e.message().to_string();
    };
    let start = span.start.min(text.len());
    let before = text.get(..start).unwrap_or_default();
    let line_no = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    let line = text[line_start..].lines().next().unwrap_or_default();
    let key = line.split('=').next().unwrap_or_default().trim();
    let secret_line = crate::redact::is_secret_name(key) || crate::redact::url(line) != line;
    if secret_line {
        format!(
            "line {line_no}: the `{key}` setting is not valid TOML (its value is not shown); \
             write it as {key} = \"…\""
        )
    } else {
        format!("line {line_no}, column {column}: {}", e.message().trim())
    }
}

/// A secret setting; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Declares a table of settings once: each setting's field in `docseal.toml`
/// (its name is the key), its type and its `DOCSEAL_*` variable. From that one
/// declaration come the struct (every field an `Option`, unknown keys
/// refused), [`overlay`](Settings::overlay) (a later layer wins per setting),
/// `from_env` (the variables, in declaration order) and `VARIABLES` (each
/// key with its variable). Nested tables (`[s3]`, `[limits]`) are listed
/// under `tables` and layered the same way.
macro_rules! settings {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                $field:ident: $ty:ty = $var:expr,
            )*
        }
        $(
            tables {
                $(
                    $(#[$table_meta:meta])*
                    $table:ident: $table_ty:ty,
                )*
            }
        )?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[$field_meta])*
                pub $field: Option<$ty>,
            )*
            $($(
                $(#[$table_meta])*
                #[serde(default)]
                pub $table: $table_ty,
            )*)?
        }

        impl $name {
            /// Each setting's key in this table with its environment variable.
            pub const VARIABLES: &'static [(&'static str, EnvVar)] =
                &[$((stringify!($field), $var),)*];

            /// Takes each setting that `other` has.
            pub fn overlay(&mut self, other: $name) {
                $(
                    if other.$field.is_some() {
                        self.$field = other.$field;
                    }
                )*
                $($( self.$table.overlay(other.$table); )*)?
            }

            /// The settings given by `DOCSEAL_*` environment variables (an
            /// empty variable counts as unset).
            pub fn from_env(lookup: &dyn Fn(&str) -> Option<String>) -> Result<$name, ConfigError> {
                Ok($name {
                    $( $field: $var.read(lookup)?, )*
                    $($( $table: <$table_ty>::from_env(lookup)?, )*)?
                })
            }
        }
    };
}

/// The environment variable of a setting and how its text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable's name, `DOCSEAL_…`.
    pub name: &'static str,
    /// What a number must look like, for the error message.
    expected: &'static str,
    /// Whether 0 is refused.
    above_zero: bool,
}

impl EnvVar {
    /// The variable `name`; a number in it is "a whole number".
    const fn new(name: &'static str) -> EnvVar {
        EnvVar {
            name,
            expected: "a whole number",
            above_zero: false,
        }
    }

    /// The same variable, describing the number it holds as `expected`.
    const fn expecting(self, expected: &'static str) -> EnvVar {
        EnvVar { expected, ..self }
    }

    /// The same variable, refusing 0.
    const fn above_zero(self) -> EnvVar {
        EnvVar {
            expected: "a whole number above 0",
            above_zero: true,
            ..self
        }
    }

    /// The variable's value, if it is set and not empty.
    fn read<T: FromEnv>(
        &self,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<T>, ConfigError> {
        lookup(self.name)
            .filter(|v| !v.is_empty())
            .map(|v| T::from_env(self, v))
            .transpose()
    }

    fn invalid(&self, value: String, expected: &'static str) -> ConfigError {
        ConfigError::Value {
            name: self.name.to_string(),
            value,
            expected,
        }
    }
}

/// The variable `name` (shorthand for the declarations).
const fn env(name: &'static str) -> EnvVar {
    EnvVar::new(name)
}

/// A setting's value read from the text of an environment variable.
trait FromEnv: Sized {
    /// Reads `value`, the text of `var`.
    fn from_env(var: &EnvVar, value: String) -> Result<Self, ConfigError>;
}

impl FromEnv for String {
    fn from_env(_: &EnvVar, value: String) -> Result<Self, ConfigError> {
        Ok(value)
    }
}

impl FromEnv for PathBuf {
    fn from_env(_: &EnvVar, value: String) -> Result<Self, ConfigError> {
        Ok(PathBuf::from(value))
    }
}

impl FromEnv for Secret {
    fn from_env(_: &EnvVar, value: String) -> Result<Self, ConfigError> {
        Ok(Secret(value))
    }
}

impl FromEnv for bool {
    fn from_env(var: &EnvVar, value: String) -> Result<Self, ConfigError> {
        match value.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(var.invalid(value, "true or false")),
        }
    }
}

/// Whole numbers, read with surrounding blanks ignored.
macro_rules! from_env_number {
    ($($t:ty),*) => {$(
        impl FromEnv for $t {
            fn from_env(var: &EnvVar, value: String) -> Result<Self, ConfigError> {
                match value.trim().parse::<$t>() {
                    Ok(n) if !(var.above_zero && n == 0) => Ok(n),
                    _ => Err(var.invalid(value, var.expected)),
                }
            }
        }
    )*};
}

from_env_number!(u32, u64, usize);

/// A number from 0 to 1 (a confidence threshold), read from TOML as a
/// float and from the environment as decimal text.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "f64")]
pub struct Fraction(f32);

impl Fraction {
    /// The value, in `0.0..=1.0`.
    pub fn get(self) -> f32 {
        self.0
    }
}

impl PartialEq for Fraction {
    fn eq(&self, other: &Fraction) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

// Never NaN (refused on reading), so equality is total.
impl Eq for Fraction {}

impl TryFrom<f64> for Fraction {
    type Error = String;
    fn try_from(value: f64) -> Result<Fraction, String> {
        if (0.0..=1.0).contains(&value) {
            Ok(Fraction(value as f32))
        } else {
            Err(format!("{value} is not a number from 0 to 1"))
        }
    }
}

impl FromEnv for Fraction {
    fn from_env(var: &EnvVar, value: String) -> Result<Self, ConfigError> {
        match value.trim().parse::<f64>().map(Fraction::try_from) {
            Ok(Ok(f)) => Ok(f),
            _ => Err(var.invalid(value, "a number from 0 to 1")),
        }
    }
}

settings! {
    /// How to reach an S3-compatible store: the `[s3]` table of `docseal.toml`.
    pub struct S3Settings {
        /// The endpoint URL, e.g. `http://127.0.0.1:9000` (default: AWS).
        endpoint: String = env("DOCSEAL_S3_ENDPOINT"),
        /// The region (default `us-east-1`).
        region: String = env("DOCSEAL_S3_REGION"),
        /// Path-style addressing (default: on with a custom endpoint, off for AWS).
        path_style: bool = env("DOCSEAL_S3_PATH_STYLE"),
        /// The access key id.
        access_key_id: String = env("DOCSEAL_S3_ACCESS_KEY_ID"),
        /// The secret access key.
        secret_access_key: Secret = env("DOCSEAL_S3_SECRET_ACCESS_KEY"),
        /// A session token for temporary credentials.
        session_token: Secret = env("DOCSEAL_S3_SESSION_TOKEN"),
        /// Part size of multipart uploads in MiB (at least 5; default 8).
        part_size_mib: usize = env("DOCSEAL_S3_PART_SIZE_MIB").expecting("a whole number of MiB"),
        /// Send `If-None-Match: *` on puts (default on; servers that ignore it are fine).
        conditional_puts: bool = env("DOCSEAL_S3_CONDITIONAL_PUTS"),
    }
}

impl S3Settings {
    /// Fills `options` from these settings.
    pub fn apply(&self, options: &mut S3Options) -> Result<(), ConfigError> {
        options.endpoint = self.endpoint.clone();
        if let Some(region) = &self.region {
            options.region = region.clone();
        }
        options.path_style = self.path_style.unwrap_or(self.endpoint.is_some());
        if let Some(mib) = self.part_size_mib {
            if mib < 5 {
                return Err(ConfigError::Value {
                    name: "s3.part_size_mib".into(),
                    value: mib.to_string(),
                    expected: "at least 5 (MiB)",
                });
            }
            options.part_size = mib * 1024 * 1024;
        }
        if let Some(c) = self.conditional_puts {
            options.conditional_puts = c;
        }
        options.credentials = match (&self.access_key_id, &self.secret_access_key) {
            (Some(id), Some(secret)) => Some(S3Credentials {
                access_key_id: id.clone(),
                secret_access_key: secret.0.clone(),
                session_token: self.session_token.as_ref().map(|t| t.0.clone()),
            }),
            _ => None,
        };
        Ok(())
    }

    /// Parses a store URL; an `s3://` URL gets these settings.
    pub fn store_url(&self, url: &str) -> Result<StoreUrl, ConfigError> {
        let mut parsed = StoreUrl::parse(url)?;
        if let StoreUrl::S3(options) = &mut parsed {
            self.apply(options)?;
        }
        Ok(parsed)
    }
}

settings! {
    /// The contents of `docseal.toml`. Every key is optional.
    ///
    /// ```toml
    /// data_dir = "/var/lib/docseal"
    /// office = "UBND phường Bến Nghé"
    /// queue = "postgres://docseal:secret@db.internal:5432/docseal"
    /// store = "s3://docseal-archive/prod"
    /// lease_secs = 120     # a crashed worker's job is taken again after this
    /// max_attempts = 3     # leases a job may take before it is failed
    /// isolate = "after-crash"  # or "always", "never": jobs run in a process of their own
    /// pdf_signature = "ecdsa-p256"  # or "ed25519": the key that signs result PDFs
    /// review_threshold = 0.80  # a field read with less confidence goes to review
    ///
    /// [s3]
    /// endpoint = "http://s3.internal:9000"
    /// region = "us-east-1"
    /// access_key_id = "…"
    /// secret_access_key = "…"
    ///
    /// [limits]
    /// max_pages = 50
    /// max_pixels = 60000000
    /// max_bytes = 209715200
    /// max_total_pixels = 400000000
    /// max_decoded_bytes = 536870912
    /// max_operations = 10000000
    /// max_reference_depth = 32
    /// max_seconds = 600
    /// ```
    pub struct Settings {
        /// The data directory (keys; and the registry and objects of the embedded default).
        data_dir: PathBuf = env("DOCSEAL_DATA"),
        /// The issuing office.
        office: String = env("DOCSEAL_OFFICE"),
        /// The operator.
        operator: String = env("DOCSEAL_OPERATOR"),
        /// The queue URL.
        queue: String = env("DOCSEAL_QUEUE"),
        /// The store URL.
        store: String = env("DOCSEAL_STORE"),
        /// Page preparation steps to leave out, comma-separated: the names in
        /// [`Step::TABLE`](crate::prepare::Step::TABLE), or `all`; all run by default.
        skip_prepare: String = env("DOCSEAL_SKIP_PREPARE"),
        /// Seconds a worker's lease on a job lasts without a heartbeat (at least 1).
        lease_secs: u64 = env("DOCSEAL_LEASE_SECS").expecting("a whole number of seconds"),
        /// Leases a job may take before it is failed (at least 1).
        max_attempts: u32 = env("DOCSEAL_MAX_ATTEMPTS"),
        /// Which jobs run in a child process of their own: `after-crash`
        /// (a job whose last attempt ended with its worker gone), `always`
        /// or `never`.
        isolate: String = env("DOCSEAL_ISOLATE"),
        /// Which key signs result PDFs: `ecdsa-p256` (the default: the
        /// office's P-256 PDF key, which Acrobat, Foxit and `pdfsig`
        /// accept) or `ed25519` (the document key). The manifest and the QR
        /// seal are Ed25519 either way.
        pdf_signature: String = env("DOCSEAL_PDF_SIGNATURE"),
        /// The confidence (0 to 1) a field's reading needs to be accepted
        /// without review (default 0.80); a document with any field below it
        /// waits at the review desk instead of being issued. Raise it to
        /// send more to people, never lower it without measuring (`docseal eval`).
        review_threshold: Fraction = env("DOCSEAL_REVIEW_THRESHOLD"),
    }
    tables {
        /// How to reach the S3 store.
        s3: S3Settings,
        /// Bounds on one submission.
        limits: LimitSettings,
    }
}

settings! {
    /// The `[limits]` table: bounds on one submission (see [`Limits`]); unset
    /// ones keep their defaults.
    pub struct LimitSettings {
        /// Most pages in one submission.
        max_pages: u64 = env("DOCSEAL_MAX_PAGES").above_zero(),
        /// Most pixels in one page.
        max_pixels: u64 = env("DOCSEAL_MAX_PIXELS").above_zero(),
        /// Largest accepted file in bytes.
        max_bytes: u64 = env("DOCSEAL_MAX_BYTES").above_zero(),
        /// Most pixels across all pages of one submission.
        max_total_pixels: u64 = env("DOCSEAL_MAX_TOTAL_PIXELS").above_zero(),
        /// Most bytes out of stream filters across one submission.
        max_decoded_bytes: u64 = env("DOCSEAL_MAX_DECODED_BYTES").above_zero(),
        /// Most content-stream operators and operands across one submission.
        max_operations: u64 = env("DOCSEAL_MAX_OPERATIONS").above_zero(),
        /// Most indirect references followed in a row.
        max_reference_depth: u32 = env("DOCSEAL_MAX_REFERENCE_DEPTH").above_zero(),
        /// Wall-clock seconds one submission may take; then its job fails.
        max_seconds: u64 = env("DOCSEAL_MAX_SECONDS").above_zero(),
    }
}

impl LimitSettings {
    fn apply(&self, limits: &mut Limits) {
        if let Some(n) = self.max_pages {
            limits.max_pages = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = self.max_pixels {
            limits.max_pixels = n;
        }
        if let Some(n) = self.max_bytes {
            limits.max_bytes = n;
        }
        if let Some(n) = self.max_total_pixels {
            limits.max_total_pixels = n;
        }
        if let Some(n) = self.max_decoded_bytes {
            limits.max_decoded_bytes = n;
        }
        if let Some(n) = self.max_operations {
            limits.max_operations = n;
        }
        if let Some(n) = self.max_reference_depth {
            limits.max_reference_depth = n;
        }
        if let Some(n) = self.max_seconds {
            limits.max_seconds = n;
        }
    }
}

impl Settings {
    /// Reads a settings file.
    pub fn read(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            detail: describe_toml_error(&text, &e),
        })
    }

    /// S3 settings from the standard AWS environment variables
    /// (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, `AWS_REGION`,
    /// `AWS_DEFAULT_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_SESSION_TOKEN`).
    pub fn from_aws_env(env: &dyn Fn(&str) -> Option<String>) -> Settings {
        let get = |name: &str| env(name).filter(|v| !v.is_empty());
        Settings {
            s3: S3Settings {
                endpoint: get("AWS_ENDPOINT_URL_S3").or_else(|| get("AWS_ENDPOINT_URL")),
                region: get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION")),
                access_key_id: get("AWS_ACCESS_KEY_ID"),
                secret_access_key: get("AWS_SECRET_ACCESS_KEY").map(Secret),
                session_token: get("AWS_SESSION_TOKEN").map(Secret),
                ..S3Settings::default()
            },
            ..Settings::default()
        }
    }

    /// A [`Config`] from these settings (defaults for what is unset).
    pub fn into_config(self) -> Result<Config, ConfigError> {
        let mut config = Config::new(
            self.data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
        );
        if let Some(office) = self.office {
            config.office = office;
        }
        if let Some(operator) = self.operator {
            config.operator = operator;
        }
        if let Some(skip) = &self.skip_prepare {
            config.pipeline.prepare =
                PrepareOptions::without(skip).map_err(|expected| ConfigError::Value {
                    name: "skip_prepare".into(),
                    value: skip.clone(),
                    expected,
                })?;
        }
        if self.lease_secs == Some(0) {
            return Err(ConfigError::Value {
                name: "lease_secs".into(),
                value: "0".into(),
                expected: "at least 1 (seconds)",
            });
        }
        if self.max_attempts == Some(0) {
            return Err(ConfigError::Value {
                name: "max_attempts".into(),
                value: "0".into(),
                expected: "at least 1",
            });
        }
        config.lease_secs = self.lease_secs;
        config.max_attempts = self.max_attempts;
        if let Some(isolate) = &self.isolate {
            config.isolate = isolate.parse().map_err(|expected| ConfigError::Value {
                name: "isolate".into(),
                value: isolate.clone(),
                expected,
            })?;
        }
        if let Some(alg) = &self.pdf_signature {
            config.pipeline.pdf_signature = alg.parse().map_err(|expected| ConfigError::Value {
                name: "pdf_signature".into(),
                value: alg.clone(),
                expected,
            })?;
        }
        if let Some(threshold) = self.review_threshold {
            config.pipeline.extract.min_field_confidence = threshold.get();
        }
        self.limits.apply(&mut config.pipeline.limits);
        config.queue = self.queue.as_deref().map(QueueUrl::parse).transpose()?;
        config.store = self
            .store
            .as_deref()
            .map(|url| self.s3.store_url(url))
            .transpose()?;
        Ok(config)
    }
}

/// What the command line gave (the global flags of every command); each
/// value that is set wins over the environment and the settings file. Each
/// field but `config_file` is named after the setting it sets.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Overrides {
    /// Data directory (keys; and the registry and objects of the embedded
    /// default). Default: `./docseal-data`.
    #[arg(long = "data", value_name = "DATA", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Settings file (default: `DOCSEAL_CONFIG`, else `./docseal.toml` if present).
    #[arg(long = "config", value_name = "CONFIG", global = true)]
    pub config_file: Option<PathBuf>,
    /// Job queue and registry: `sqlite://PATH` or `postgres://USER@HOST:PORT/DB`.
    #[arg(long, global = true)]
    pub queue: Option<String>,
    /// Object store: `file:///PATH` or `s3://BUCKET/PREFIX`.
    #[arg(long, global = true)]
    pub store: Option<String>,
    /// The issuing office written into new documents and new keys.
    #[arg(long, global = true)]
    pub office: Option<String>,
    /// The operator written into new documents.
    #[arg(long, global = true)]
    pub operator: Option<String>,
    /// The key that signs result PDFs: `ecdsa-p256` (default) or `ed25519`.
    #[arg(long, value_name = "ALGORITHM", global = true)]
    pub pdf_signature: Option<String>,
}

impl Overrides {
    /// The flags a child process for one job is given: those that choose the
    /// settings and the issuer, never the queue or the store (which may hold
    /// a password, and which the child does not use).
    pub fn child_args(&self) -> Vec<std::ffi::OsString> {
        let mut args = Vec::new();
        let mut flag = |name: &str, value: Option<std::ffi::OsString>| {
            if let Some(v) = value {
                args.push(std::ffi::OsString::from(name));
                args.push(v);
            }
        };
        flag("--data", self.data_dir.clone().map(Into::into));
        flag("--config", self.config_file.clone().map(Into::into));
        flag("--office", self.office.clone().map(Into::into));
        flag("--operator", self.operator.clone().map(Into::into));
        flag(
            "--pdf-signature",
            self.pdf_signature.clone().map(Into::into),
        );
        args
    }

    /// The settings these flags give.
    fn settings(&self) -> Settings {
        Settings {
            data_dir: self.data_dir.clone(),
            office: self.office.clone(),
            operator: self.operator.clone(),
            queue: self.queue.clone(),
            store: self.store.clone(),
            pdf_signature: self.pdf_signature.clone(),
            ..Settings::default()
        }
    }
}

/// The configuration: the standard AWS variables (for S3 only), overridden by
/// the settings file, overridden by `DOCSEAL_*` variables, overridden by
/// `overrides`. Reads the process environment.
pub fn load(overrides: &Overrides) -> Result<Config, ConfigError> {
    load_with(overrides, &|name| std::env::var(name).ok())
}

/// [`load`] with the environment given as a lookup function.
pub fn load_with(
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let mut settings = Settings::from_aws_env(env);
    let file = overrides.config_file.clone().or_else(|| {
        env("DOCSEAL_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    match file {
        Some(path) => settings.overlay(Settings::read(&path)?),
        None => {
            let default = Path::new(SETTINGS_FILE);
            if default.is_file() {
                settings.overlay(Settings::read(default)?);
            }
        }
    }
    settings.overlay(Settings::from_env(env)?);
    settings.overlay(overrides.settings());
    settings.into_config()
}

#[cfg(test)]
mod backend_tests {
    use super::*;

    /// Regression: a syntax error on the `secret_access_key` line printed
    /// the line, secret and all.
    #[test]
    fn a_settings_error_never_shows_a_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docseal.toml");
        for (text, line) in [
            (
                "[s3]\nregion = \"x\"\nsecret_access_key = hunter2SECRET\n",
                3,
            ),
            ("[s3]\nsecret_access_key = \"hunter2SECRET\n", 2),
            ("[s3]\nsecret_access_key = 12345678\n", 2),
            ("queue = \"postgres://u:hunter2SECRET@db/x\" x\n", 1),
            (
                "queue = \"postgres://u@db/x?password=hunter2SECRET\" x\n",
                1,
            ),
        ] {
            std::fs::write(&path, text).unwrap();
            let e = Settings::read(&path).unwrap_err().to_string();
            assert!(!e.contains("hunter2") && !e.contains("12345678"), "{e}");
            assert!(e.contains(&format!("line {line}")), "{e}");
        }
        std::fs::write(&path, "max_attempts = \"three\"\n").unwrap();
        let e = Settings::read(&path).unwrap_err().to_string();
        assert!(e.contains("line 1, column"), "{e}");
    }

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn every_setting_is_read_from_its_variable() {
        let tables: [(&str, &[(&str, EnvVar)]); 3] = [
            ("", Settings::VARIABLES),
            ("s3.", S3Settings::VARIABLES),
            ("limits.", LimitSettings::VARIABLES),
        ];
        let mut names = std::collections::BTreeSet::new();
        for (table, variables) in tables {
            for (key, var) in variables {
                assert!(var.name.starts_with("DOCSEAL_"), "{table}{key}");
                assert!(names.insert(var.name), "{} twice", var.name);
            }
        }
        assert_eq!(names.len(), 27);
        // Each variable alone, with a value of its kind, sets something.
        for name in names {
            let read = |value: &'static str| {
                Settings::from_env(&move |n: &str| (n == name).then(|| value.to_string()))
            };
            let settings = read("7")
                .or_else(|_| read("on"))
                .or_else(|_| read("0.5"))
                .expect(name);
            assert_ne!(settings, Settings::default(), "{name}");
        }
    }

    #[test]
    fn store_urls_parse_with_s3_settings() {
        assert_eq!(
            S3Settings::default()
                .store_url("file:///srv/objects")
                .unwrap(),
            StoreUrl::Dir(PathBuf::from("/srv/objects"))
        );
        let s3 = S3Settings {
            endpoint: Some("http://127.0.0.1:9000".into()),
            access_key_id: Some("AK".into()),
            secret_access_key: Some(Secret("SK".into())),
            ..S3Settings::default()
        };
        let StoreUrl::S3(o) = s3.store_url("s3://docseal-test/prod/2024/").unwrap() else {
            panic!("not S3");
        };
        assert_eq!(
            (o.bucket.as_str(), o.prefix.as_str()),
            ("docseal-test", "prod/2024")
        );
        assert_eq!(o.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert!(o.path_style);
        assert_eq!(o.region, "us-east-1");
        assert!(!format!("{o:?}").contains("SK\""));
        assert_eq!(o.url(), "s3://docseal-test/prod/2024");
        // What makes a URL bad is the store's to say (store/open.rs); here it
        // becomes a settings error naming the setting.
        let err = s3.store_url("s3://Bucket/x").unwrap_err();
        assert!(
            matches!(err, ConfigError::Url { what: "store", .. }),
            "{err}"
        );
        let err = QueueUrl::parse("mysql://u:hunter2@db/x").map_err(ConfigError::from);
        assert!(matches!(err, Err(ConfigError::Url { what: "queue", .. })));
    }

    #[test]
    fn flags_beat_docseal_env_beats_file_beats_aws_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("docseal.toml");
        std::fs::write(
            &file,
            r#"
office = "from file"
operator = "file operator"
queue = "postgres://file@db/docseal"
store = "s3://file-bucket/objects"
[s3]
endpoint = "http://file:9000"
region = "file-region"
access_key_id = "FILEKEY"
"#,
        )
        .unwrap();
        let env = env_of(&[
            ("AWS_ACCESS_KEY_ID", "AWSKEY"),
            ("AWS_SECRET_ACCESS_KEY", "AWSSECRET"),
            ("AWS_REGION", "aws-region"),
            ("AWS_ENDPOINT_URL", "http://aws-env:9000"),
            ("DOCSEAL_OPERATOR", "env operator"),
            ("DOCSEAL_S3_REGION", "env-region"),
            ("DOCSEAL_STORE", "s3://env-bucket"),
        ]);
        let overrides = Overrides {
            config_file: Some(file.clone()),
            queue: Some("sqlite:///tmp/flag.sqlite".into()),
            ..Overrides::default()
        };
        let config = load_with(&overrides, &env).unwrap();
        assert_eq!(config.office, "from file");
        assert_eq!(config.operator, "env operator");
        assert_eq!(
            config.queue_url(),
            QueueUrl::Sqlite(PathBuf::from("/tmp/flag.sqlite"))
        );
        let StoreUrl::S3(o) = config.store_url() else {
            panic!("not S3")
        };
        assert_eq!(o.bucket, "env-bucket");
        assert_eq!(o.region, "env-region");
        assert_eq!(o.endpoint.as_deref(), Some("http://file:9000"));
        let creds = o.credentials.unwrap();
        assert_eq!(creds.access_key_id, "FILEKEY");
        assert_eq!(creds.secret_access_key, "AWSSECRET");
    }

    #[test]
    fn lease_and_attempts_come_from_file_or_env_and_must_be_positive() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("docseal.toml");
        std::fs::write(&file, "lease_secs = 30\nmax_attempts = 5\n").unwrap();
        let from_file = Overrides {
            config_file: Some(file.clone()),
            ..Overrides::default()
        };
        let config = load_with(&from_file, &|_| None).unwrap();
        assert_eq!(
            (config.lease_secs, config.max_attempts),
            (Some(30), Some(5))
        );
        let env = env_of(&[("DOCSEAL_LEASE_SECS", "4")]);
        let config = load_with(&from_file, &env).unwrap();
        assert_eq!((config.lease_secs, config.max_attempts), (Some(4), Some(5)));
        for bad in [
            &[("DOCSEAL_LEASE_SECS", "0")][..],
            &[("DOCSEAL_LEASE_SECS", "soon")][..],
            &[("DOCSEAL_MAX_ATTEMPTS", "0")][..],
            &[("DOCSEAL_MAX_ATTEMPTS", "-1")][..],
        ] {
            let env = env_of(bad);
            assert!(
                matches!(
                    load_with(&Overrides::default(), &env),
                    Err(ConfigError::Value { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_pdf_signature_defaults_to_p256_and_is_chosen_by_file_variable_or_flag() {
        let none = |_: &str| None;
        let config = load_with(&Overrides::default(), &none).unwrap();
        assert_eq!(config.pipeline.pdf_signature, PdfAlgorithm::EcdsaP256);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("docseal.toml");
        std::fs::write(&file, "pdf_signature = \"ed25519\"\n").unwrap();
        let from_file = Overrides {
            config_file: Some(file),
            ..Overrides::default()
        };
        let config = load_with(&from_file, &none).unwrap();
        assert_eq!(config.pipeline.pdf_signature, PdfAlgorithm::Ed25519);
        let env = env_of(&[("DOCSEAL_PDF_SIGNATURE", "ecdsa-p256")]);
        let config = load_with(&from_file, &env).unwrap();
        assert_eq!(config.pipeline.pdf_signature, PdfAlgorithm::EcdsaP256);
        let flag = Overrides {
            pdf_signature: Some("ed25519".into()),
            ..from_file.clone()
        };
        let config = load_with(&flag, &env).unwrap();
        assert_eq!(config.pipeline.pdf_signature, PdfAlgorithm::Ed25519);
        assert!(flag
            .child_args()
            .windows(2)
            .any(|w| w[0] == "--pdf-signature" && w[1] == "ed25519"));
        let env = env_of(&[("DOCSEAL_PDF_SIGNATURE", "rsa")]);
        let err = load_with(&Overrides::default(), &env).unwrap_err();
        assert!(err.to_string().contains("ecdsa-p256 or ed25519"), "{err}");
    }

    #[test]
    fn the_review_threshold_comes_from_the_file_or_the_environment_and_stays_within_0_and_1() {
        let none = |_: &str| None;
        let config = load_with(&Overrides::default(), &none).unwrap();
        assert_eq!(
            config.pipeline.extract.min_field_confidence,
            crate::extract::DEFAULT_MIN_FIELD_CONFIDENCE
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("docseal.toml");
        std::fs::write(&file, "review_threshold = 0.9\n").unwrap();
        let from_file = Overrides {
            config_file: Some(file.clone()),
            ..Overrides::default()
        };
        let config = load_with(&from_file, &none).unwrap();
        assert_eq!(config.pipeline.extract.min_field_confidence, 0.9);
        let env = env_of(&[("DOCSEAL_REVIEW_THRESHOLD", " 0.99 ")]);
        let config = load_with(&from_file, &env).unwrap();
        assert_eq!(config.pipeline.extract.min_field_confidence, 0.99);
        for bad in ["1.5", "-0.1", "NaN", "high"] {
            let env =
                move |name: &str| (name == "DOCSEAL_REVIEW_THRESHOLD").then(|| bad.to_string());
            let err = load_with(&Overrides::default(), &env).unwrap_err();
            assert!(err.to_string().contains("from 0 to 1"), "{bad}: {err}");
        }
        std::fs::write(&file, "review_threshold = 2\n").unwrap();
        let err = load_with(&from_file, &none).unwrap_err();
        assert!(err.to_string().contains("from 0 to 1"), "{err}");
    }

    #[test]
    fn limits_come_from_the_file_and_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("docseal.toml");
        std::fs::write(&file, "[limits]\nmax_pages = 7\nmax_pixels = 1000\n").unwrap();
        let overrides = Overrides {
            config_file: Some(file.clone()),
            ..Overrides::default()
        };
        let env = env_of(&[("DOCSEAL_MAX_PIXELS", "2000000")]);
        let limits = load_with(&overrides, &env).unwrap().pipeline.limits;
        assert_eq!(limits.max_pages, 7);
        assert_eq!(limits.max_pixels, 2_000_000);
        assert_eq!(limits.max_bytes, Limits::default().max_bytes);
        for bad in ["0", "-3", "many"] {
            let env = move |name: &str| (name == "DOCSEAL_MAX_PAGES").then(|| bad.to_string());
            let err = load_with(&Overrides::default(), &env).unwrap_err();
            assert!(err.to_string().contains("DOCSEAL_MAX_PAGES"), "{err}");
        }
        // The budgets, and where jobs run.
        std::fs::write(
            &file,
            "isolate = \"always\"\n[limits]\nmax_seconds = 30\nmax_operations = 5\nmax_reference_depth = 4\n",
        )
        .unwrap();
        let env = env_of(&[("DOCSEAL_MAX_DECODED_BYTES", "1024")]);
        let config = load_with(&overrides, &env).unwrap();
        let limits = config.pipeline.limits;
        assert_eq!(limits.max_seconds, 30);
        assert_eq!(limits.max_operations, 5);
        assert_eq!(limits.max_reference_depth, 4);
        assert_eq!(limits.max_decoded_bytes, 1024);
        assert_eq!(limits.max_total_pixels, Limits::default().max_total_pixels);
        assert_eq!(config.isolate, Policy::Always);
        let env = env_of(&[("DOCSEAL_ISOLATE", "sometimes")]);
        let err = load_with(&Overrides::default(), &env).unwrap_err();
        assert!(
            err.to_string().contains("after-crash, always or never"),
            "{err}"
        );
    }

    #[test]
    fn without_settings_both_backends_live_in_the_data_directory() {
        let overrides = Overrides {
            config_file: None,
            data_dir: Some(PathBuf::from("/srv/docseal")),
            ..Overrides::default()
        };
        let config = load_with(&overrides, &|_| None).unwrap();
        assert_eq!(
            config.queue_url(),
            QueueUrl::Sqlite(PathBuf::from("/srv/docseal/docseal.sqlite"))
        );
        assert_eq!(
            config.store_url(),
            StoreUrl::Dir(PathBuf::from("/srv/docseal/objects"))
        );
    }

    #[test]
    fn a_missing_or_malformed_settings_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = Overrides {
            config_file: Some(dir.path().join("nope.toml")),
            ..Overrides::default()
        };
        assert!(matches!(
            load_with(&missing, &|_| None),
            Err(ConfigError::Read { .. })
        ));
        let file = dir.path().join("docseal.toml");
        std::fs::write(&file, "qeueu = \"sqlite://x\"\n").unwrap();
        let typo = Overrides {
            config_file: Some(file),
            ..Overrides::default()
        };
        let err = load_with(&typo, &|_| None).unwrap_err();
        assert!(err.to_string().contains("qeueu"), "{err}");
        let bad_bool = env_of(&[("DOCSEAL_S3_PATH_STYLE", "maybe")]);
        assert!(matches!(
            load_with(&Overrides::default(), &bad_bool),
            Err(ConfigError::Value { .. })
        ));
    }
}
