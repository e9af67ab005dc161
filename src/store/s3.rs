//! Objects in an S3-compatible bucket, through `aws-sdk-s3`.
//!
//! Every put carries the SHA-256 of its bytes, which the server checks; large
//! objects go up in parts. Puts ask the server not to overwrite (`If-None-Match:
//! *`) where it honours that, but correctness never depends on it: keys are
//! content addresses, so an overwrite writes the same bytes again.

use std::time::Duration;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use base64::Engine as _;
use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::{check_key, Body, ObjectStore, StoreError};

/// The smallest part S3 accepts in a multipart upload (except the last one).
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

/// Access keys for an S3-compatible store. The secret never appears in
/// `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// A session token, for temporary credentials.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Where the bucket is and how to talk to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Options {
    /// The bucket.
    pub bucket: String,
    /// A key prefix inside the bucket (no leading or trailing `/`), or empty.
    pub prefix: String,
    /// The endpoint URL (e.g. `http://127.0.0.1:9000`); `None` for AWS itself.
    pub endpoint: Option<String>,
    /// The region (`us-east-1` for most S3-compatible servers).
    pub region: String,
    /// Address buckets as `endpoint/bucket` rather than `bucket.endpoint`.
    pub path_style: bool,
    /// The access keys.
    pub credentials: Option<S3Credentials>,
    /// Objects larger than this go up in parts of this size (at least 5 MiB).
    pub part_size: usize,
    /// Send `If-None-Match: *` on puts so the server keeps an existing object.
    pub conditional_puts: bool,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long one attempt of one request may take.
    pub attempt_timeout: Duration,
    /// Attempts per request, including the first (the client retries
    /// throttling, timeouts and 5xx answers itself).
    pub max_attempts: u32,
}

impl S3Options {
    /// Options for a bucket with the defaults for everything else.
    pub fn new(bucket: impl Into<String>) -> S3Options {
        S3Options {
            bucket: bucket.into(),
            prefix: String::new(),
            endpoint: None,
            region: "us-east-1".to_string(),
            path_style: true,
            credentials: None,
            part_size: 8 * 1024 * 1024,
            conditional_puts: true,
            connect_timeout: Duration::from_secs(3),
            attempt_timeout: Duration::from_secs(60),
            max_attempts: 3,
        }
    }

    /// `s3://bucket/prefix`.
    pub fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// Objects in an S3-compatible bucket.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    prefix: String,
    url: String,
    part_size: usize,
    conditional_puts: bool,
}

/// How a request failed; the first two are expected answers for some calls.
enum Failure {
    /// The object is not there.
    NotFound(StoreError),
    /// The server kept an existing object (`If-None-Match`).
    AlreadyThere(StoreError),
    /// Anything else.
    Other(StoreError),
}

impl S3Store {
    /// A store for `options`. Nothing is sent until the first request.
    pub fn new(options: &S3Options) -> Result<S3Store, StoreError> {
        if options.bucket.is_empty() {
            return Err(StoreError::Settings("the S3 bucket name is empty".into()));
        }
        if options.part_size < MIN_PART_SIZE {
            return Err(StoreError::Settings(format!(
                "the S3 part size {} is below the 5 MiB minimum",
                options.part_size
            )));
        }
        let Some(creds) = &options.credentials else {
            return Err(StoreError::Settings(format!(
                "no credentials for {}: set s3.access_key_id and s3.secret_access_key in \
                 docseal.toml, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                options.url()
            )));
        };
        let credentials = Credentials::new(
            &creds.access_key_id,
            &creds.secret_access_key,
            creds.session_token.clone(),
            None,
            "docseal",
        );
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(options.region.clone()))
            .credentials_provider(credentials)
            .force_path_style(options.path_style)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenSupported)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(options.connect_timeout)
                    .operation_attempt_timeout(options.attempt_timeout)
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(options.max_attempts.max(1)));
        if let Some(endpoint) = &options.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        Ok(S3Store {
            client: Client::from_conf(builder.build()),
            bucket: options.bucket.clone(),
            prefix: options.prefix.trim_matches('/').to_string(),
            url: options.url(),
            part_size: options.part_size,
            conditional_puts: options.conditional_puts,
        })
    }

    /// The bucket this store writes to.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Creates the bucket unless it exists already.
    pub async fn create_bucket_if_missing(&self) -> Result<(), StoreError> {
        if self.bucket_exists().await? {
            return Ok(());
        }
        match self
            .client
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.code(), Some("BucketAlreadyOwnedByYou")) => Ok(()),
            Err(e) => Err(self.failure("create bucket", "", e).into_error()),
        }
    }

    /// Whether the bucket exists (and the credentials may see it).
    pub async fn bucket_exists(&self) -> Result<bool, StoreError> {
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => Ok(true),
            Err(e) => match self.failure("check", "", e) {
                Failure::NotFound(_) => Ok(false),
                f => Err(f.into_error()),
            },
        }
    }

    fn object_key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.prefix)
        }
    }

    /// Puts one object in one request; `only_new` for an immutable key
    /// (`If-None-Match: *` when the store supports it), not for a replacement.
    async fn put_single(
        &self,
        key: &str,
        full: &str,
        bytes: Bytes,
        only_new: bool,
    ) -> Result<(), StoreError> {
        let checksum = self.checksum(key, bytes.clone()).await?;
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(full)
            .content_length(bytes.len() as i64)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .checksum_sha256(checksum)
            .body(ByteStream::from(bytes));
        if only_new && self.conditional_puts {
            request = request.if_none_match("*");
        }
        self.put_answer(key, request.send().await)
    }

    /// The size of an existing object, or `None`.
    async fn size_of(&self, key: &str, full: &str) -> Result<Option<i64>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(full)
            .send()
            .await
        {
            Ok(head) => Ok(Some(head.content_length().unwrap_or(-1))),
            Err(e) => match self.failure("check", key, e) {
                Failure::NotFound(_) => Ok(None),
                f => Err(f.into_error()),
            },
        }
    }

    /// The base64 SHA-256 of `bytes`, computed on a blocking thread (a part
    /// is megabytes: too much hashing for the async runtime's threads).
    async fn checksum(&self, key: &str, bytes: Bytes) -> Result<String, StoreError> {
        tokio::task::spawn_blocking(move || sha256_base64(&bytes))
            .await
            .map_err(|e| self.unavailable("put", key, "the checksum could not be computed", e))
    }

    /// A failure of the store, not of the object: a later retry may succeed.
    fn unavailable(
        &self,
        op: &'static str,
        key: &str,
        reason: &str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> StoreError {
        StoreError::Unavailable {
            store: self.url.clone(),
            op,
            key: key.to_string(),
            reason: reason.to_string(),
            source: source.into(),
        }
    }

    /// Puts one object in parts; `only_new` as for [`Self::put_single`], and
    /// then an object of the same size is taken to hold the bytes already.
    async fn put_multipart(
        &self,
        key: &str,
        full: &str,
        bytes: Bytes,
        only_new: bool,
    ) -> Result<(), StoreError> {
        if only_new && self.size_of(key, full).await? == Some(bytes.len() as i64) {
            return Ok(());
        }
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(full)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .send()
            .await
            .map_err(|e| self.failure("put", key, e).into_error())?;
        let Some(upload_id) = created.upload_id().map(str::to_string) else {
            return Err(self.unavailable(
                "put",
                key,
                "the server started an upload without an upload id",
                "missing UploadId in CreateMultipartUpload response",
            ));
        };
        let outcome = self
            .upload_parts(key, full, &upload_id, bytes, only_new)
            .await;
        if outcome.is_err() {
            // Best effort: an unfinished upload holds storage until aborted or
            // expired by the bucket's lifecycle rules.
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(full)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        outcome
    }

    async fn upload_parts(
        &self,
        key: &str,
        full: &str,
        upload_id: &str,
        bytes: Bytes,
        only_new: bool,
    ) -> Result<(), StoreError> {
        let mut parts = Vec::new();
        for (i, start) in (0..bytes.len()).step_by(self.part_size).enumerate() {
            let number = i32::try_from(i + 1).map_err(|_| {
                StoreError::Settings(format!(
                    "`{key}` needs more parts than S3 allows; raise the part size"
                ))
            })?;
            // A part shares the body's memory; nothing is copied.
            let chunk = bytes.slice(start..bytes.len().min(start + self.part_size));
            let checksum = self.checksum(key, chunk.clone()).await?;
            let uploaded = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(full)
                .upload_id(upload_id)
                .part_number(number)
                .content_length(chunk.len() as i64)
                .checksum_algorithm(ChecksumAlgorithm::Sha256)
                .checksum_sha256(&checksum)
                .body(ByteStream::from(chunk))
                .send()
                .await
                .map_err(|e| self.failure("put", key, e).into_error())?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(uploaded.e_tag().map(str::to_string))
                    .checksum_sha256(checksum)
                    .build(),
            );
        }
        let mut request = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(full)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            );
        if only_new && self.conditional_puts {
            request = request.if_none_match("*");
        }
        self.put_answer(key, request.send().await)
    }

    /// What a put's answer means: stored, or kept as it was (`If-None-Match`
    /// found the object there already, with the same bytes, as keys are
    /// content addresses).
    fn put_answer<T, E>(
        &self,
        key: &str,
        answer: Result<T, SdkError<E, HttpResponse>>,
    ) -> Result<(), StoreError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match answer {
            Ok(_) => Ok(()),
            Err(e) => match self.failure("put", key, e) {
                Failure::AlreadyThere(_) => Ok(()),
                f => Err(f.into_error()),
            },
        }
    }

    /// Sorts a client error into not-found, already-there, or a [`StoreError`]
    /// that says whether a retry may help.
    fn failure<E>(&self, op: &'static str, key: &str, err: SdkError<E, HttpResponse>) -> Failure
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        enum Kind {
            NotFound,
            AlreadyThere,
            Unavailable,
            Refused,
            Rejected,
        }
        let (kind, reason) = match &err {
            SdkError::TimeoutError(_) => (Kind::Unavailable, "timed out".to_string()),
            SdkError::DispatchFailure(d) => {
                let what = if d.is_timeout() {
                    "timed out"
                } else if d.is_io() {
                    "connection failed"
                } else {
                    "no answer"
                };
                (Kind::Unavailable, what.to_string())
            }
            SdkError::ResponseError(_) => (
                Kind::Unavailable,
                "the answer could not be read".to_string(),
            ),
            SdkError::ConstructionFailure(_) => {
                (Kind::Rejected, "the request could not be built".to_string())
            }
            SdkError::ServiceError(service) => {
                let status = service.raw().status().as_u16();
                let code = err.code().unwrap_or("");
                let reason = match err.message() {
                    Some(m) if !m.is_empty() => format!("HTTP {status} {code}: {m}"),
                    _ => format!("HTTP {status} {code}").trim_end().to_string(),
                };
                let kind = match (status, code) {
                    (_, "NoSuchBucket") => Kind::Refused,
                    (404, _) | (_, "NoSuchKey" | "NotFound") => Kind::NotFound,
                    (412, _) | (_, "PreconditionFailed") => Kind::AlreadyThere,
                    (
                        _,
                        "SlowDown"
                        | "RequestTimeout"
                        | "BadDigest"
                        | "XAmzContentSHA256Mismatch"
                        | "RequestTimeTooSkewed"
                        | "InternalError"
                        | "ServiceUnavailable",
                    ) => Kind::Unavailable,
                    (408 | 409 | 429, _) => Kind::Unavailable,
                    (s, _) if s >= 500 => Kind::Unavailable,
                    (401 | 403, _) => Kind::Refused,
                    _ => Kind::Rejected,
                };
                (kind, reason)
            }
            _ => (Kind::Unavailable, "unexpected client error".to_string()),
        };
        let store = self.url.clone();
        let key = key.to_string();
        let source: Box<dyn std::error::Error + Send + Sync> = Box::new(err);
        match kind {
            Kind::NotFound => Failure::NotFound(StoreError::Rejected {
                store,
                op,
                key,
                reason,
                source,
            }),
            Kind::AlreadyThere => Failure::AlreadyThere(StoreError::Rejected {
                store,
                op,
                key,
                reason,
                source,
            }),
            Kind::Unavailable => Failure::Other(StoreError::Unavailable {
                store,
                op,
                key,
                reason,
                source,
            }),
            Kind::Refused => Failure::Other(StoreError::Refused {
                store,
                op,
                key,
                reason,
                source,
            }),
            Kind::Rejected => Failure::Other(StoreError::Rejected {
                store,
                op,
                key,
                reason,
                source,
            }),
        }
    }
}

impl Failure {
    fn into_error(self) -> StoreError {
        match self {
            Failure::NotFound(e) | Failure::AlreadyThere(e) | Failure::Other(e) => e,
        }
    }
}

fn sha256_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

impl S3Store {
    async fn write(&self, key: &str, bytes: Body, only_new: bool) -> Result<(), StoreError> {
        check_key(key)?;
        let full = self.object_key(key);
        let bytes = bytes.into_bytes();
        if bytes.len() > self.part_size {
            self.put_multipart(key, &full, bytes, only_new).await
        } else {
            self.put_single(key, &full, bytes, only_new).await
        }
    }
}

impl ObjectStore for S3Store {
    async fn put(&self, key: &str, bytes: impl Into<Body> + Send) -> Result<(), StoreError> {
        self.write(key, bytes.into(), true).await
    }

    async fn replace(&self, key: &str, bytes: impl Into<Body> + Send) -> Result<(), StoreError> {
        self.write(key, bytes.into(), false).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        check_key(key)?;
        let full = self.object_key(key);
        let object = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&full)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) => {
                return match self.failure("get", key, e) {
                    Failure::NotFound(_) => Ok(None),
                    f => Err(f.into_error()),
                }
            }
        };
        let body = object
            .body
            .collect()
            .await
            .map_err(|e| self.unavailable("get", key, "the transfer broke off", e))?;
        Ok(Some(body.to_vec()))
    }

    fn locate(&self, key: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.object_key(key))
    }
}

/// A page of an archive's keys, for reading an archive in a bucket
/// (`docseal archive s3://…`): its keys with their sizes, and the token of
/// the next page.
#[derive(Debug, Clone, Default)]
pub struct KeyPage {
    /// The keys (whole, not under the store's prefix) and their sizes.
    pub keys: Vec<(String, u64)>,
    /// The token for the next page; `None` after the last.
    pub next: Option<String>,
}

impl S3Store {
    /// The store's prefix (no leading or trailing `/`), or empty.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// One page (at most 1,000 keys) of the keys under `prefix` in the bucket,
    /// after the page `token` named.
    pub async fn list_keys(
        &self,
        prefix: &str,
        token: Option<String>,
    ) -> Result<KeyPage, StoreError> {
        let mut request = self.client.list_objects_v2().bucket(&self.bucket);
        if !prefix.is_empty() {
            request = request.prefix(prefix);
        }
        if let Some(token) = token {
            request = request.continuation_token(token);
        }
        let page = request
            .send()
            .await
            .map_err(|e| self.failure("list", prefix, e).into_error())?;
        let keys = page
            .contents()
            .iter()
            .filter_map(|o| {
                let size = u64::try_from(o.size().unwrap_or(0)).unwrap_or(0);
                o.key().map(|k| (k.to_string(), size))
            })
            .collect();
        let next = if page.is_truncated() == Some(true) {
            page.next_continuation_token().map(str::to_string)
        } else {
            None
        };
        Ok(KeyPage { keys, next })
    }

    /// Reads the object under the whole key `key` piece by piece as it
    /// arrives, handing each piece to `piece`; `None` when it is not there.
    pub async fn read_key(
        &self,
        key: &str,
        mut piece: impl FnMut(&[u8]) -> Result<(), String> + Send,
    ) -> Result<Option<Result<(), String>>, StoreError> {
        let object = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) => {
                return match self.failure("get", key, e) {
                    Failure::NotFound(_) => Ok(None),
                    f => Err(f.into_error()),
                }
            }
        };
        let mut body = object.body;
        while let Some(chunk) = body.next().await {
            let chunk =
                chunk.map_err(|e| self.unavailable("get", key, "the transfer broke off", e))?;
            if let Err(e) = piece(&chunk) {
                return Ok(Some(Err(e)));
            }
        }
        Ok(Some(Ok(())))
    }
}
