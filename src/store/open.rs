//! The store a [`StoreUrl`] names, opened as one type the rest of the program
//! can be generic over.

use std::fmt;
use std::path::PathBuf;

use super::{check_key, Body, DirStore, ObjectStore, S3Options, S3Store, StoreError};
use crate::dispatch::dispatch;

/// A store URL that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("store `{url}`: {reason}")]
pub struct StoreUrlError {
    /// The URL, with any password hidden.
    pub url: String,
    /// What is wrong and what is expected.
    pub reason: String,
}

/// Where objects live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// `file:///PATH` (or `file://relative/path`): a local directory.
    Dir(PathBuf),
    /// `s3://BUCKET/PREFIX`: an S3-compatible bucket. The URL names the
    /// bucket and prefix; the endpoint, region, addressing style and
    /// credentials are the settings' (the defaults of [`S3Options::new`]
    /// until they are applied).
    S3(S3Options),
}

impl StoreUrl {
    /// Parses a store URL.
    pub fn parse(url: &str) -> Result<StoreUrl, StoreUrlError> {
        let bad = |reason: String| StoreUrlError {
            url: crate::redact::url(url),
            reason,
        };
        if let Some(path) = url.strip_prefix("file://") {
            if path.is_empty() {
                return Err(bad("the directory path is missing".into()));
            }
            return Ok(StoreUrl::Dir(PathBuf::from(path)));
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(bad("expected file:///PATH or s3://BUCKET/PREFIX".into()));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.contains('@') {
            return Err(bad(
                "keys do not belong in the store URL: set s3.access_key_id and s3.secret_access_key (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)".into(),
            ));
        }
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'))
            && !bucket.starts_with(['-', '.'])
            && !bucket.ends_with(['-', '.']);
        if !bucket_ok {
            return Err(bad(format!(
                "`{bucket}` is not a bucket name (3 to 63 lower-case letters, digits, `-` and `.`)"
            )));
        }
        let prefix = prefix.trim_matches('/');
        if !prefix.is_empty() && check_key(prefix).is_err() {
            return Err(bad(format!(
                "the prefix `{prefix}` may only hold letters, digits, `.`, `-`, `_` and single `/`"
            )));
        }
        let mut options = S3Options::new(bucket);
        options.prefix = prefix.to_string();
        Ok(StoreUrl::S3(options))
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Dir(path) => write!(f, "file://{}", path.display()),
            StoreUrl::S3(options) => f.write_str(&options.url()),
        }
    }
}

/// The store chosen by configuration: a directory or an S3 bucket.
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// Files under a directory.
    Dir(DirStore),
    /// Objects in an S3-compatible bucket.
    S3(S3Store),
}

impl AnyStore {
    /// Opens the store `url` names. For S3, checks that the bucket can be
    /// reached (an unreachable store is a transient error the caller may retry);
    /// the bucket is not created.
    pub async fn open(url: &StoreUrl) -> Result<AnyStore, StoreError> {
        match url {
            StoreUrl::Dir(root) => Ok(AnyStore::Dir(DirStore::new(root))),
            StoreUrl::S3(options) => {
                let store = S3Store::new(options)?;
                if !store.bucket_exists().await? {
                    return Err(StoreError::Settings(format!(
                        "bucket `{}` does not exist at {}; create it first",
                        options.bucket,
                        options.endpoint.as_deref().unwrap_or("AWS S3")
                    )));
                }
                Ok(AnyStore::S3(store))
            }
        }
    }
}

dispatch! {
    AnyStore { Dir, S3 }
    impl ObjectStore {
        async fn put(&self, key: &str, bytes: impl Into<Body> + Send) -> Result<(), StoreError>;
        async fn replace(&self, key: &str, bytes: impl Into<Body> + Send) -> Result<(), StoreError>;
        async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
        fn locate(&self, key: &str) -> String;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_parse() {
        assert_eq!(
            StoreUrl::parse("file:///srv/objects").unwrap(),
            StoreUrl::Dir(PathBuf::from("/srv/objects"))
        );
        let StoreUrl::S3(o) = StoreUrl::parse("s3://docseal-test/prod/2024/").unwrap() else {
            panic!("not S3");
        };
        assert_eq!(
            (o.bucket.as_str(), o.prefix.as_str()),
            ("docseal-test", "prod/2024")
        );
        assert_eq!(o.url(), "s3://docseal-test/prod/2024");
        for bad in [
            "s3://",
            "s3://AB",
            "s3://Bucket/x",
            "s3://ok-bucket/../x",
            "ftp://x",
            "file://",
        ] {
            assert!(StoreUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
