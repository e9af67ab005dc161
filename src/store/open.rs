//! Opening the store a [`StoreUrl`] names, as one type the rest of the program
//! can be generic over.

use super::{DirStore, ObjectStore, S3Store, StoreError};
use crate::config::StoreUrl;

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

impl ObjectStore for AnyStore {
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        match self {
            AnyStore::Dir(s) => s.put(key, bytes).await,
            AnyStore::S3(s) => s.put(key, bytes).await,
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            AnyStore::Dir(s) => s.get(key).await,
            AnyStore::S3(s) => s.get(key).await,
        }
    }

    fn locate(&self, key: &str) -> String {
        match self {
            AnyStore::Dir(s) => s.locate(key),
            AnyStore::S3(s) => s.locate(key),
        }
    }
}
