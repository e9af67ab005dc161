//! Publishing the log: folding the sequenced entries into a signed
//! checkpoint, writing tiles and checkpoints to the object store under
//! `tlog/`, proving entries, and checking a published log against the
//! database.
//!
//! The database is the source of truth (entries and signed checkpoints);
//! the object store holds what is served: `tlog/tile/...` (C2SP
//! `tlog-tiles`, immutable), `tlog/checkpoints/<size>` (every checkpoint,
//! immutable) and `tlog/checkpoint` (the latest). The tree is rebuilt from
//! the entries in memory on each publish (one SHA-256 per entry and node:
//! milliseconds for tens of thousands of documents).

use super::key::{checkpoint_body, open_checkpoint, LogKey, TrustedLog};
use super::proof::LogProof;
use super::tree::Tree;
use super::LogError;
use crate::office::TrustList;
use crate::queue::{EntryKind, LogEntries, StoredCheckpoint};
use crate::store::ObjectStore;

/// The object-store prefix of the published log.
pub const PREFIX: &str = "tlog";

/// What a publish did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The tree size of the latest checkpoint.
    pub size: u64,
    /// Whether a new checkpoint was signed (false: nothing new to fold).
    pub new_checkpoint: bool,
    /// Tiles written.
    pub tiles: usize,
}

async fn tree_of<L: LogEntries>(log: &L, n: u64) -> Result<(Tree, Vec<Vec<u8>>), LogError> {
    let entries = log.entries(0, n).await?;
    if entries.len() as u64 != n || entries.iter().enumerate().any(|(i, e)| e.idx != i as u64) {
        return Err(LogError::Inconsistent(format!(
            "the database holds {} entries below index {n}, with gaps",
            entries.len()
        )));
    }
    let bytes: Vec<Vec<u8>> = entries.into_iter().map(|e| e.entry).collect();
    let tree = Tree::from_entries(bytes.iter().map(Vec::as_slice))?;
    Ok((tree, bytes))
}

fn check_stored(cp: &StoredCheckpoint, tree: &Tree, logs: &[TrustedLog]) -> Result<(), LogError> {
    let opened = open_checkpoint(&cp.note, logs)?;
    if opened.size != cp.size || tree.hash_at(cp.size)? != opened.hash {
        return Err(LogError::Inconsistent(format!(
            "the checkpoint of {} entries does not match the entries in the database: they were changed after it was signed",
            cp.size
        )));
    }
    Ok(())
}

/// Folds every sequenced entry into the tree, signs a new checkpoint when
/// the tree grew (checking first that the entries still match the last
/// checkpoint), and writes the new tiles and the checkpoint.
pub async fn publish<L: LogEntries, S: ObjectStore>(
    log: &L,
    store: &S,
    key: &LogKey,
) -> Result<Published, LogError> {
    let logs = [TrustedLog::from_vkey(&key.vkey())?];
    let n = log.size().await?;
    let (tree, bytes) = tree_of(log, n).await?;
    let prev = log.checkpoint(None).await?;
    if let Some(p) = &prev {
        if p.size > n {
            return Err(LogError::Inconsistent(format!(
                "the last checkpoint holds {} entries but the database only {n}",
                p.size
            )));
        }
        check_stored(p, &tree, &logs)?;
    }
    let old = prev.as_ref().map_or(0, |p| p.size);
    let refs: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
    let tiles = tree.tiles(old, &refs)?;
    for (path, data) in &tiles {
        store.put(&format!("{PREFIX}/{path}"), data).await?;
    }
    let (cp, new_checkpoint) = match prev {
        Some(p) if p.size == n => (p, false),
        _ if n == 0 => {
            return Ok(Published {
                size: 0,
                new_checkpoint: false,
                tiles: 0,
            })
        }
        _ => {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let body = checkpoint_body(key.name(), n, tree.root()?)?;
            let note = key.sign_checkpoint(&body, u64::try_from(now).unwrap_or(0))?;
            let cp = StoredCheckpoint {
                size: n,
                note,
                signed_at: now,
            };
            if log.add_checkpoint(&cp).await? {
                (cp, true)
            } else {
                // Another publisher signed this size first: use theirs.
                let theirs = log.checkpoint(Some(n - 1)).await?.ok_or_else(|| {
                    LogError::Inconsistent(format!("the checkpoint of {n} entries vanished"))
                })?;
                (theirs, false)
            }
        }
    };
    store
        .put(&format!("{PREFIX}/checkpoints/{}", cp.size), &cp.note)
        .await?;
    store
        .replace(&format!("{PREFIX}/checkpoint"), &cp.note)
        .await?;
    Ok(Published {
        size: cp.size,
        new_checkpoint,
        tiles: tiles.len(),
    })
}

/// The inclusion proof of a subject's entry in the earliest checkpoint that
/// holds it (the best proof of when it existed), or in the latest.
pub async fn prove<L: LogEntries>(
    log: &L,
    kind: EntryKind,
    subject: &str,
    latest: bool,
) -> Result<LogProof, LogError> {
    let e = log.find(kind, subject).await?.ok_or_else(|| {
        LogError::Format(format!(
            "the log has no {} entry for {subject}",
            kind.as_str()
        ))
    })?;
    let cp = log
        .checkpoint(if latest { None } else { Some(e.idx) })
        .await?
        .filter(|c| c.size > e.idx)
        .ok_or_else(|| {
            LogError::Format(format!(
                "{subject} is entry {} of the log, which no checkpoint holds yet; run `docseal log publish`",
                e.idx
            ))
        })?;
    let (tree, _) = tree_of(log, cp.size).await?;
    Ok(LogProof {
        index: e.idx,
        hashes: tree.inclusion_proof(cp.size, e.idx)?,
        checkpoint: cp.note,
    })
}

/// What `log verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogReport {
    /// Entries in the database.
    pub entries: u64,
    /// Checkpoints checked.
    pub checkpoints: usize,
    /// Tiles checked.
    pub tiles: usize,
    /// The latest checkpoint's size.
    pub published: u64,
}

/// Checks the whole log: every checkpoint's signature and root against the
/// entries, and every tile of the latest checkpoint in the store against the
/// tree rebuilt from the entries.
pub async fn verify_log<L: LogEntries, S: ObjectStore>(
    log: &L,
    store: &S,
    logs: &[TrustedLog],
) -> Result<LogReport, LogError> {
    let n = log.size().await?;
    let (tree, bytes) = tree_of(log, n).await?;
    let mut checkpoints = 0;
    let mut next = log.checkpoint(Some(0)).await?;
    let mut published = 0;
    while let Some(cp) = next {
        if cp.size > n {
            return Err(LogError::Inconsistent(format!(
                "a checkpoint holds {} entries but the database only {n}",
                cp.size
            )));
        }
        check_stored(&cp, &tree, logs)?;
        checkpoints += 1;
        published = cp.size;
        next = log.checkpoint(Some(cp.size)).await?;
    }
    let mut tiles = 0;
    if published > 0 {
        let refs: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
        let (pub_tree, _) = tree_of(log, published).await?;
        for (path, data) in pub_tree.tiles(0, &refs[..published as usize])? {
            let key = format!("{PREFIX}/{path}");
            match store.get(&key).await? {
                Some(b) if b == data => tiles += 1,
                Some(_) => {
                    return Err(LogError::Inconsistent(format!(
                        "{} differs from the entries in the database",
                        store.locate(&key)
                    )))
                }
                None => {
                    return Err(LogError::Inconsistent(format!(
                        "{} is missing; run `docseal log publish`",
                        store.locate(&key)
                    )))
                }
            }
        }
        let latest = store.get(&format!("{PREFIX}/checkpoint")).await?;
        let latest = latest.ok_or_else(|| {
            LogError::Inconsistent(format!(
                "{} is missing",
                store.locate(&format!("{PREFIX}/checkpoint"))
            ))
        })?;
        let opened = open_checkpoint(&latest, logs)?;
        if tree.hash_at(opened.size)? != opened.hash {
            return Err(LogError::Inconsistent(
                "the published checkpoint does not match the entries".into(),
            ));
        }
    }
    Ok(LogReport {
        entries: n,
        checkpoints,
        tiles,
        published,
    })
}

/// The trusted logs of a trust list whose root signature the caller checked.
pub fn trusted_logs(trust: &TrustList) -> Result<Vec<TrustedLog>, LogError> {
    trust
        .logs
        .iter()
        .map(|v| TrustedLog::from_vkey(v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn publish_prove_and_verify_on_sqlite_and_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let q = crate::queue::SqliteQueue::open(&dir.path().join("q.sqlite"))
            .await
            .unwrap();
        let store = crate::store::DirStore::new(dir.path().join("objects"));
        let key = LogKey::from_parts("docseal/o", &[5u8; 32]).unwrap();
        let logs = [TrustedLog::from_vkey(&key.vkey()).unwrap()];
        for i in 0..3 {
            q.append(
                EntryKind::Document,
                &format!("DS-{i}"),
                format!("m{i}").as_bytes(),
            )
            .await
            .unwrap();
        }
        let p = publish(&q, &store, &key).await.unwrap();
        assert_eq!((p.size, p.new_checkpoint), (3, true));
        let again = publish(&q, &store, &key).await.unwrap();
        assert!(!again.new_checkpoint);
        q.append(EntryKind::Document, "DS-9", b"m9").await.unwrap();
        assert_eq!(publish(&q, &store, &key).await.unwrap().size, 4);

        // The proof uses the earliest checkpoint holding the entry.
        let proof = prove(&q, EntryKind::Document, "DS-1", false).await.unwrap();
        let cp = proof.check(b"m1", &logs).unwrap();
        assert_eq!(cp.size, 3);
        assert!(prove(&q, EntryKind::Document, "DS-X", false).await.is_err());

        let r = verify_log(&q, &store, &logs).await.unwrap();
        assert_eq!((r.entries, r.checkpoints, r.published), (4, 2, 4));

        // An entry changed behind the log's back is caught.
        sqlx::query("UPDATE tlog_entries SET entry = X'00' WHERE idx = 1")
            .execute(q.pool())
            .await
            .unwrap();
        assert!(verify_log(&q, &store, &logs).await.is_err());
        assert!(publish(&q, &store, &key).await.is_err());
    }
}
