//! Inclusion proofs in the `c2sp.org/tlog-proof@v1` format, their check by a
//! verifier, and the checkpoints a verifier has seen before.
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! index <N>
//! <base64 hash>            (one line per inclusion-proof hash)
//!
//! <the checkpoint, a signed note>
//! ```
//!
//! A verifier keeps, per log origin, the largest checkpoint it has checked
//! (`--seen-dir`). A new checkpoint of the same size must have the same root;
//! one of another size is checked for consistency against the log's published
//! entries when a copy of its `tlog/` directory is given (`--log-tiles`),
//! which catches a log rewritten after a checkpoint was seen.

use std::path::{Path, PathBuf};

use base64::Engine;
use sha2::Digest;
use tlog_tiles::{Hash, Tile};

use super::key::{open_checkpoint, CheckedCheckpoint, TrustedLog};
use super::tree::{c2sp_path, check_inclusion, read_bundle, Tree, TILE_HEIGHT};
use super::LogError;

/// The first line of a proof.
pub const PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A parsed (not yet checked) proof.
#[derive(Debug, Clone, PartialEq)]
pub struct LogProof {
    /// The entry's index.
    pub index: u64,
    /// The inclusion-proof hashes.
    pub hashes: Vec<Hash>,
    /// The checkpoint note.
    pub checkpoint: Vec<u8>,
}

impl LogProof {
    /// The proof's text.
    pub fn to_text(&self) -> Vec<u8> {
        let mut s = format!("{PROOF_HEADER}\nindex {}\n", self.index);
        for h in &self.hashes {
            s.push_str(&B64.encode(h.0));
            s.push('\n');
        }
        s.push('\n');
        let mut out = s.into_bytes();
        out.extend_from_slice(&self.checkpoint);
        out
    }

    /// Parses a proof's text.
    pub fn parse(text: &[u8]) -> Result<LogProof, LogError> {
        let bad = |d: &str| LogError::Format(format!("not a {PROOF_HEADER} proof: {d}"));
        let text = std::str::from_utf8(text).map_err(|_| bad("not UTF-8"))?;
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or_else(|| bad("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(PROOF_HEADER) {
            return Err(bad("the first line is not the format name"));
        }
        let mut line = lines.next().ok_or_else(|| bad("no index line"))?;
        if line.starts_with("extra ") {
            line = lines.next().ok_or_else(|| bad("no index line"))?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| bad("the index line is malformed"))?;
        let hashes = lines
            .map(|l| {
                B64.decode(l)
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .map(Hash)
                    .ok_or_else(|| bad("a proof line is not a base64 SHA-256 hash"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if hashes.len() > 64 {
            return Err(bad("more than 64 hashes"));
        }
        Ok(LogProof {
            index,
            hashes,
            checkpoint: checkpoint.as_bytes().to_vec(),
        })
    }

    /// Checks the proof for `entry` against the trusted logs: the checkpoint's
    /// signature, then the entry's inclusion in its tree.
    pub fn check(&self, entry: &[u8], logs: &[TrustedLog]) -> Result<CheckedCheckpoint, LogError> {
        let cp = open_checkpoint(&self.checkpoint, logs)?;
        if self.index >= cp.size {
            return Err(LogError::Inconsistent(format!(
                "the proof is for entry {} but the checkpoint holds {} entries",
                self.index, cp.size
            )));
        }
        check_inclusion(&self.hashes, cp.size, cp.hash, self.index, entry)?;
        Ok(cp)
    }
}

/// What a proof check found, for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct ProofCheck {
    /// The checkpoint the entry is in.
    pub checkpoint: CheckedCheckpoint,
    /// The entry's index.
    pub index: u64,
    /// What the comparison with earlier checkpoints found.
    pub seen: Seen,
}

/// How a checkpoint compares with those the verifier saw before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// No checkpoint of this log was seen before; this one is remembered.
    First,
    /// The same tree as one seen before, or proved consistent with it.
    Consistent {
        /// The size of the tree seen before.
        seen_size: u64,
    },
    /// Of another size than the one seen before, and no published log was
    /// given to check the two against each other.
    Unchecked {
        /// The size of the tree seen before.
        seen_size: u64,
    },
}

/// The checkpoints a verifier has seen, one file per log (the largest seen).
#[derive(Debug, Clone)]
pub struct SeenCheckpoints {
    dir: PathBuf,
}

impl SeenCheckpoints {
    /// Checkpoints kept under `dir` (created on first use).
    pub fn new(dir: impl Into<PathBuf>) -> SeenCheckpoints {
        SeenCheckpoints { dir: dir.into() }
    }

    /// The default directory: `$XDG_STATE_HOME/docseal/checkpoints`, else
    /// `~/.local/state/docseal/checkpoints`.
    pub fn default_dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_STATE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("state"))
            })?;
        Some(base.join("docseal").join("checkpoints"))
    }

    fn path_for(&self, origin: &str) -> PathBuf {
        let h = hex::encode(&sha2::Sha256::digest(origin.as_bytes())[..12]);
        self.dir.join(format!("{h}.checkpoint"))
    }

    /// Compares `cp` with the checkpoint seen before for its log, using the
    /// published log under `tiles` (a copy of the office's `tlog/`) when the
    /// sizes differ; remembers the larger of the two. A rewritten history is
    /// an [`LogError::Inconsistent`] error.
    pub fn check_and_remember(
        &self,
        cp: &CheckedCheckpoint,
        logs: &[TrustedLog],
        tiles: Option<&Path>,
    ) -> Result<Seen, LogError> {
        let path = self.path_for(&cp.origin);
        let seen = match std::fs::read(&path) {
            Ok(b) => Some(open_checkpoint(&b, logs).map_err(|e| {
                LogError::Format(format!(
                    "the checkpoint remembered in {} does not check: {e}",
                    path.display()
                ))
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(LogError::Io { path, source }),
        };
        let outcome = match &seen {
            None => Seen::First,
            Some(s) if s.size == cp.size => {
                if s.hash != cp.hash {
                    return Err(LogError::Inconsistent(format!(
                        "the log `{}` showed another tree of {} entries before (seen in {}): its history was rewritten",
                        cp.origin, cp.size, path.display()
                    )));
                }
                Seen::Consistent { seen_size: s.size }
            }
            Some(s) => match tiles {
                None => Seen::Unchecked { seen_size: s.size },
                Some(dir) => {
                    let n = s.size.max(cp.size);
                    let tree = tree_from_tiles(dir, n)?;
                    for c in [s, cp] {
                        if tree.hash_at(c.size)? != c.hash {
                            return Err(LogError::Inconsistent(format!(
                                "the log `{}` published under {} does not contain the tree of {} entries seen before (or shown now): its history was rewritten",
                                cp.origin,
                                dir.display(),
                                c.size
                            )));
                        }
                    }
                    Seen::Consistent { seen_size: s.size }
                }
            },
        };
        let grew = match (&outcome, &seen) {
            (Seen::First, _) => true,
            (Seen::Consistent { .. }, Some(s)) => cp.size > s.size,
            _ => false,
        };
        if grew {
            crate::fsutil::write_durably(&path, &cp.note).map_err(|e| LogError::Io {
                path: e.path,
                source: e.source,
            })?;
        }
        Ok(outcome)
    }
}

/// Rebuilds the tree of the first `n` entries from the entry bundles of a
/// published log directory.
pub fn tree_from_tiles(dir: &Path, n: u64) -> Result<Tree, LogError> {
    let mut tree = Tree::new();
    let tiles = n.div_ceil(1 << TILE_HEIGHT);
    for k in 0..tiles {
        let w = (n - (k << TILE_HEIGHT)).min(1 << TILE_HEIGHT);
        let full = Tile::new(TILE_HEIGHT, 0, k, 1 << TILE_HEIGHT, true);
        let part = Tile::new(TILE_HEIGHT, 0, k, w as u32, true);
        let read = |t: &Tile| std::fs::read(dir.join(c2sp_path(t))).ok();
        let bytes = read(&full).or_else(|| read(&part)).ok_or_else(|| {
            LogError::Inconsistent(format!(
                "{} has no {} (entries {} to {})",
                dir.display(),
                c2sp_path(&part),
                k << TILE_HEIGHT,
                (k << TILE_HEIGHT) + w - 1
            ))
        })?;
        let entries = read_bundle(&bytes)?;
        if (entries.len() as u64) < w {
            return Err(LogError::Inconsistent(format!(
                "{}: {} holds {} entries, not {w}",
                dir.display(),
                c2sp_path(&part),
                entries.len()
            )));
        }
        for e in entries.iter().take(w as usize) {
            tree.push(e)?;
        }
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::key::{checkpoint_body, LogKey};

    fn signed(k: &LogKey, t: &Tree, n: u64, time: u64) -> Vec<u8> {
        let body = checkpoint_body(k.name(), n, t.hash_at(n).unwrap()).unwrap();
        k.sign_checkpoint(&body, time).unwrap()
    }

    #[test]
    fn proofs_round_trip_and_check_only_their_entry() {
        let k = LogKey::from_parts("docseal/o", &[3u8; 32]).unwrap();
        let logs = [TrustedLog::from_vkey(&k.vkey()).unwrap()];
        let e: Vec<Vec<u8>> = (0..5).map(|i| vec![i as u8; 10]).collect();
        let t = Tree::from_entries(e.iter().map(Vec::as_slice)).unwrap();
        let p = LogProof {
            index: 2,
            hashes: t.inclusion_proof(5, 2).unwrap(),
            checkpoint: signed(&k, &t, 5, 100),
        };
        let back = LogProof::parse(&p.to_text()).unwrap();
        assert_eq!(back, p);
        let cp = back.check(&e[2], &logs).unwrap();
        assert_eq!(cp.signed_at, Some(100));
        assert!(back.check(&e[3], &logs).is_err());
        assert!(LogProof::parse(b"c2sp.org/tlog-proof@v1\nindex x\n\n").is_err());
    }

    /// The tree over `entries` and a directory holding its published tiles.
    fn published(entries: &[Vec<u8>]) -> (Tree, tempfile::TempDir) {
        let tree = Tree::from_entries(entries.iter().map(Vec::as_slice)).unwrap();
        let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        let dir = tempfile::tempdir().unwrap();
        for (p, b) in tree.tiles(0, &refs).unwrap() {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b).unwrap();
        }
        (tree, dir)
    }

    #[test]
    fn a_history_rewritten_after_it_was_seen_is_caught() {
        let k = LogKey::from_parts("docseal/o", &[3u8; 32]).unwrap();
        let logs = [TrustedLog::from_vkey(&k.vkey()).unwrap()];
        let state = tempfile::tempdir().unwrap();
        let seen = SeenCheckpoints::new(state.path());
        let e: Vec<Vec<u8>> = (0..300).map(|i| format!("e{i}").into_bytes()).collect();
        let t = Tree::from_entries(e.iter().take(10).map(Vec::as_slice)).unwrap();
        let cp10 = open_checkpoint(&signed(&k, &t, 10, 1), &logs).unwrap();
        assert_eq!(
            seen.check_and_remember(&cp10, &logs, None).unwrap(),
            Seen::First
        );
        assert_eq!(
            seen.check_and_remember(&cp10, &logs, None).unwrap(),
            Seen::Consistent { seen_size: 10 }
        );

        // An honest log grows; its published tiles prove it.
        let (honest, pub_dir) = published(&e);
        let cp300 = open_checkpoint(&signed(&k, &honest, 300, 2), &logs).unwrap();
        assert_eq!(
            seen.check_and_remember(&cp300, &logs, Some(pub_dir.path()))
                .unwrap(),
            Seen::Consistent { seen_size: 10 }
        );

        // The same log rewritten: entry 3 replaced, re-signed by the log key.
        let mut forged = e.clone();
        forged[3] = b"backdated".to_vec();
        let ft = Tree::from_entries(forged.iter().map(Vec::as_slice)).unwrap();
        let f300 = open_checkpoint(&signed(&k, &ft, 300, 3), &logs).unwrap();
        let err = seen.check_and_remember(&f300, &logs, None).unwrap_err();
        assert!(err.to_string().contains("rewritten"), "{err}");
        // Grown past what was seen: without the published log it cannot be
        // told (and is not remembered); with it, the rewrite is caught.
        forged.push(b"more".to_vec());
        let (ft, fdir) = published(&forged);
        let f301 = open_checkpoint(&signed(&k, &ft, 301, 4), &logs).unwrap();
        assert_eq!(
            seen.check_and_remember(&f301, &logs, None).unwrap(),
            Seen::Unchecked { seen_size: 300 }
        );
        let err = seen
            .check_and_remember(&f301, &logs, Some(fdir.path()))
            .unwrap_err();
        assert!(err.to_string().contains("rewritten"), "{err}");
    }
}
