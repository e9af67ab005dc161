//! The Merkle tree over the log's entries, its C2SP `tlog-tiles` and its
//! proofs. Hashing (RFC 6962 leaves and nodes), stored-hash layout and
//! proofs are `tlog_tiles`'; this module keeps the hashes in memory and names
//! the tiles as C2SP `tlog-tiles` does (`tile/<L>/<N>[.p/<W>]`,
//! `tile/entries/<N>[.p/<W>]`, height 8).

use tlog_tiles::{Hash, HashReader, Tile};

use super::LogError;

/// Tile height of C2SP `tlog-tiles`.
pub const TILE_HEIGHT: u8 = 8;

/// A tree built in memory from its entries, in order.
#[derive(Debug, Default, Clone)]
pub struct Tree {
    stored: Vec<Hash>,
    leaves: Vec<Hash>,
}

impl HashReader for Tree {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.stored.get(i).copied())
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Tree {
        Tree::default()
    }

    /// The tree over `entries`.
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Result<Tree, LogError> {
        let mut t = Tree::new();
        for e in entries {
            t.push(e)?;
        }
        Ok(t)
    }

    /// Appends one entry.
    pub fn push(&mut self, entry: &[u8]) -> Result<(), LogError> {
        let n = self.size();
        let leaf = tlog_tiles::record_hash(entry);
        let new = tlog_tiles::stored_hashes_for_record_hash(n, leaf, self)?;
        self.stored.extend(new);
        self.leaves.push(leaf);
        Ok(())
    }

    /// The number of entries.
    pub fn size(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// The root hash of the first `n` entries.
    pub fn hash_at(&self, n: u64) -> Result<Hash, LogError> {
        if n > self.size() {
            return Err(LogError::Tree(format!(
                "the tree has {} entries, not {n}",
                self.size()
            )));
        }
        Ok(tlog_tiles::tree_hash(n, self)?)
    }

    /// The root hash.
    pub fn root(&self) -> Result<Hash, LogError> {
        self.hash_at(self.size())
    }

    /// The inclusion proof of entry `idx` in the tree of the first `n` entries.
    pub fn inclusion_proof(&self, n: u64, idx: u64) -> Result<Vec<Hash>, LogError> {
        if n > self.size() {
            return Err(LogError::Tree(format!("no tree of size {n} yet")));
        }
        Ok(tlog_tiles::prove_record(n, idx, self)?)
    }

    /// The consistency proof from the first `old` entries to the first `n`.
    pub fn consistency_proof(&self, n: u64, old: u64) -> Result<Vec<Hash>, LogError> {
        if n > self.size() {
            return Err(LogError::Tree(format!("no tree of size {n} yet")));
        }
        Ok(tlog_tiles::prove_tree(n, old, self)?)
    }

    /// The tiles to publish when the tree grows from `old` entries to its
    /// current size, with their C2SP paths and contents: hash tiles, then the
    /// entry bundles of the level-0 tiles.
    pub fn tiles(&self, old: u64, entries: &[&[u8]]) -> Result<Vec<(String, Vec<u8>)>, LogError> {
        let mut out = Vec::new();
        for tile in Tile::new_tiles(TILE_HEIGHT, old.min(self.size()), self.size()) {
            let data = tile.read_data(self)?;
            out.push((c2sp_path(&tile), data));
            if tile.level() == 0 {
                let start = tile.level_index() << TILE_HEIGHT;
                let mut bundle = Vec::new();
                for i in start..start + u64::from(tile.width()) {
                    let e = usize::try_from(i)
                        .ok()
                        .and_then(|i| entries.get(i))
                        .ok_or_else(|| LogError::Tree(format!("entry {i} is missing")))?;
                    let len = u16::try_from(e.len()).map_err(|_| {
                        LogError::Tree(format!("entry {i} is larger than 65535 bytes"))
                    })?;
                    bundle.extend_from_slice(&len.to_be_bytes());
                    bundle.extend_from_slice(e);
                }
                let mut data_tile = tile;
                data_tile.set_is_data();
                out.push((c2sp_path(&data_tile), bundle));
            }
        }
        Ok(out)
    }
}

/// The C2SP `tlog-tiles` path of a tile (the Go layout without its height,
/// `entries` for data tiles).
pub fn c2sp_path(tile: &Tile) -> String {
    let go = tile.path();
    let rest = go.splitn(4, '/').nth(3).unwrap_or_default();
    if tile.is_data() {
        format!("tile/entries/{rest}")
    } else {
        format!("tile/{}/{rest}", tile.level())
    }
}

/// The entries of an entry bundle (`tile/entries/...`), each a big-endian
/// 16-bit length and the bytes.
pub fn read_bundle(bundle: &[u8]) -> Result<Vec<Vec<u8>>, LogError> {
    let mut out = Vec::new();
    let mut rest = bundle;
    while !rest.is_empty() {
        let (len, tail) = rest
            .split_first_chunk::<2>()
            .ok_or_else(|| LogError::Format("an entry bundle ends inside a length".into()))?;
        let len = usize::from(u16::from_be_bytes(*len));
        if tail.len() < len {
            return Err(LogError::Format(
                "an entry bundle ends inside an entry".into(),
            ));
        }
        out.push(tail[..len].to_vec());
        rest = &tail[len..];
    }
    Ok(out)
}

/// Checks that entry `entry` is at `idx` in the tree of size `size` with
/// root `root`, by `proof`.
pub fn check_inclusion(
    proof: &[Hash],
    size: u64,
    root: Hash,
    idx: u64,
    entry: &[u8],
) -> Result<(), LogError> {
    tlog_tiles::check_record(
        &proof.to_vec(),
        size,
        root,
        idx,
        tlog_tiles::record_hash(entry),
    )
    .map_err(|e| LogError::Inconsistent(format!("the inclusion proof does not check: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|i| format!("entry {i}").into_bytes()).collect()
    }

    #[test]
    fn rfc6962_hashes_and_proofs() {
        // RFC 6962: leaf = SHA-256(0x00 ‖ entry); the empty tree is SHA-256("").
        let t = Tree::new();
        assert_eq!(t.root().unwrap(), tlog_tiles::EMPTY_HASH);
        let e = entries(300);
        let t = Tree::from_entries(e.iter().map(Vec::as_slice)).unwrap();
        use sha2::Digest;
        let leaf0: [u8; 32] = sha2::Sha256::digest([&[0u8][..], &e[0]].concat()).into();
        let leaf1: [u8; 32] = sha2::Sha256::digest([&[0u8][..], &e[1]].concat()).into();
        let node: [u8; 32] = sha2::Sha256::digest([&[1u8][..], &leaf0, &leaf1].concat()).into();
        assert_eq!(t.hash_at(2).unwrap().0, node);
        for (n, i) in [(300u64, 0u64), (300, 299), (257, 256), (1, 0), (7, 3)] {
            let p = t.inclusion_proof(n, i).unwrap();
            let root = t.hash_at(n).unwrap();
            check_inclusion(&p, n, root, i, &e[i as usize]).unwrap();
            assert!(check_inclusion(&p, n, root, i, b"another entry").is_err());
        }
        let p = t.consistency_proof(300, 10).unwrap();
        tlog_tiles::check_tree(&p, 300, t.root().unwrap(), 10, t.hash_at(10).unwrap()).unwrap();
    }

    #[test]
    fn tiles_have_c2sp_paths_and_bundles_read_back() {
        let e = entries(300);
        let refs: Vec<&[u8]> = e.iter().map(Vec::as_slice).collect();
        let t = Tree::from_entries(refs.iter().copied()).unwrap();
        let tiles = t.tiles(0, &refs).unwrap();
        let paths: Vec<&str> = tiles.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "tile/0/000",
                "tile/entries/000",
                "tile/0/001.p/44",
                "tile/entries/001.p/44",
                "tile/1/000.p/1"
            ]
        );
        assert_eq!(tiles[0].1.len(), 256 * 32);
        let back = read_bundle(&tiles[3].1).unwrap();
        assert_eq!(back.len(), 44);
        assert_eq!(back[0], e[256]);
        // Growing publishes only what changed.
        let more = t.tiles(256, &refs).unwrap();
        assert_eq!(more[0].0, "tile/0/001.p/44");
    }
}
