//! The log key and the two signatures it puts on every checkpoint.
//!
//! The key lives in `keys/log.key` (mode 0600, created exclusively) in
//! `signed-note` private-key form (`PRIVATE+KEY+<name>+<id>+<base64>`); its
//! name is the log's origin. It is a different key from the
//! document-signing key, so a copy of the signing key cannot make
//! checkpoints.
//!
//! Every checkpoint carries
//! 1. the log's `signed-note` Ed25519 signature (algorithm 0x01), what C2SP
//!    `tlog-checkpoint` clients expect, and
//! 2. a C2SP `tlog-cosignature` (algorithm 0x04) by the same key: Ed25519 over
//!    `cosignature/v1\ntime <T>\n<checkpoint body>`, carrying the time `T` it
//!    was made. This is the checkpoint's signed time, which the revocation rule
//!    relies on. The two messages cannot be confused: a checkpoint body starts
//!    with the origin, never with `cosignature/v1`.
//!
//! Witnesses (another office) add their own cosignatures to the same note;
//! [`verifiers`] accepts extra signatures it does not know without failing.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use signed_note::{key_id, Signer, Verifier, VerifierList};

use super::LogError;

/// The log key's file name in the keys directory.
pub const LOG_KEY_FILE: &str = "log.key";

const ALG_ED25519: u8 = 0x01;
const ALG_COSIGNATURE: u8 = 0x04;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The log's signing key and its name (the log's origin).
pub struct LogKey {
    name: String,
    key: SigningKey,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogKey")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A name usable as a note key name and origin: the office's name with
/// whitespace turned into `-` and `+` removed, under `docseal/`.
pub fn origin_for(office: &str) -> String {
    let slug: String = office
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
        .replace('+', "");
    if slug.is_empty() {
        "docseal/log".to_string()
    } else {
        format!("docseal/{slug}")
    }
}

impl LogKey {
    /// A key from its parts (for tests and witnesses).
    pub fn from_parts(name: &str, secret: &[u8; 32]) -> Result<LogKey, LogError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(LogError::Format(format!(
                "`{name}` cannot name a log: no spaces or `+`"
            )));
        }
        Ok(LogKey {
            name: name.to_string(),
            key: SigningKey::from_bytes(secret),
        })
    }

    /// Creates a new key file at `path` (mode 0600), failing if one exists.
    pub fn create(path: &Path, name: &str) -> Result<LogKey, LogError> {
        let io = |source| LogError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut secret = [0u8; 32];
        getrandom::getrandom(&mut secret).map_err(|e| LogError::Key {
            path: path.to_path_buf(),
            detail: format!("no randomness for a new key: {e}"),
        })?;
        let key = LogKey::from_parts(name, &secret)?;
        secret.fill(0);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(io)?;
        let mut private = vec![ALG_ED25519];
        private.extend_from_slice(&key.key.to_bytes());
        let skey = format!(
            "PRIVATE+KEY+{}+{:08x}+{}\n",
            key.name,
            key.note_id(),
            B64.encode(&private)
        );
        private.fill(0);
        f.write_all(skey.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        Ok(key)
    }

    /// Reads the key file at `path`; refuses one others can read.
    pub fn load(path: &Path) -> Result<LogKey, LogError> {
        let bad = |detail: String| LogError::Key {
            path: path.to_path_buf(),
            detail,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(bad(
                    "there is no log key; create it with `docseal log init`".into(),
                ))
            }
            Err(source) => {
                return Err(LogError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)
                .map(|m| m.permissions().mode())
                .unwrap_or(0);
            if mode & 0o077 != 0 {
                return Err(bad(format!(
                    "the log key is readable by others (mode {:o}); run `chmod 600` on it",
                    mode & 0o777
                )));
            }
        }
        let text = text.trim();
        // Checks the format, the algorithm and the key id.
        signed_note::StandardSigner::new(text)
            .map_err(|e| bad(format!("not a signed-note private key: {e}")))?;
        let mut parts = text.splitn(5, '+');
        let (name, b64) = match (parts.nth(2), parts.nth(1)) {
            (Some(n), Some(b)) => (n, b),
            _ => return Err(bad("not a signed-note private key".into())),
        };
        let raw = B64
            .decode(b64)
            .map_err(|_| bad("the key is not base64".into()))?;
        let secret: [u8; 32] = raw
            .get(1..)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| bad("the key is not 32 bytes".into()))?;
        LogKey::from_parts(name, &secret)
    }

    /// The log's name (its origin).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    fn note_id(&self) -> u32 {
        note_key_id(&self.name, &self.verifying_key(), ALG_ED25519)
    }

    /// The verifier key in `signed-note` form: `name+id+base64(0x01‖key)`.
    pub fn vkey(&self) -> String {
        signed_note::new_ed25519_verifier_key(&self.name, &self.verifying_key())
    }

    /// Signs a checkpoint body: the log's note signature, then its
    /// cosignature with time `now` (Unix seconds). Returns the signed note.
    pub fn sign_checkpoint(&self, body: &[u8], now: u64) -> Result<Vec<u8>, LogError> {
        let mut note = signed_note::Note::new(body, &[])
            .map_err(|e| LogError::Format(format!("checkpoint: {e}")))?;
        let plain = NoteSigner(self);
        let cosign = Cosigner {
            name: &self.name,
            key: &self.key,
            time: now,
        };
        note.add_sigs(&[&plain, &cosign])
            .map_err(|e| LogError::Format(format!("signing the checkpoint: {e}")))?;
        Ok(note.to_bytes())
    }

    /// Adds this key's cosignature (as a witness) with time `now` to a signed
    /// note, keeping its other signatures.
    pub fn cosign(&self, note: &[u8], now: u64) -> Result<Vec<u8>, LogError> {
        let mut note = signed_note::Note::from_bytes(note)
            .map_err(|e| LogError::Format(format!("checkpoint: {e}")))?;
        let cosign = Cosigner {
            name: &self.name,
            key: &self.key,
            time: now,
        };
        note.add_sigs(&[&cosign])
            .map_err(|e| LogError::Format(format!("cosigning the checkpoint: {e}")))?;
        Ok(note.to_bytes())
    }
}

fn note_key_id(name: &str, key: &VerifyingKey, alg: u8) -> u32 {
    let mut k = vec![alg];
    k.extend_from_slice(key.as_bytes());
    key_id(name, &k)
}

/// The message a cosignature signs.
fn cosigned_message(time: u64, body: &[u8]) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {time}\n").into_bytes();
    m.extend_from_slice(body);
    m
}

struct NoteSigner<'a>(&'a LogKey);

impl Signer for NoteSigner<'_> {
    fn name(&self) -> &str {
        &self.0.name
    }
    fn key_id(&self) -> u32 {
        self.0.note_id()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        Ok(self.0.key.sign(msg).to_bytes().to_vec())
    }
}

struct Cosigner<'a> {
    name: &'a str,
    key: &'a SigningKey,
    time: u64,
}

impl Signer for Cosigner<'_> {
    fn name(&self) -> &str {
        self.name
    }
    fn key_id(&self) -> u32 {
        note_key_id(self.name, &self.key.verifying_key(), ALG_COSIGNATURE)
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        let sig = self.key.sign(&cosigned_message(self.time, msg));
        let mut out = self.time.to_be_bytes().to_vec();
        out.extend_from_slice(&sig.to_bytes());
        Ok(out)
    }
}

/// Checks cosignatures (`tlog-cosignature`, algorithm 0x04) by one key.
struct CosignatureVerifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl Verifier for CosignatureVerifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        if sig.len() != 72 {
            return false;
        }
        let (time, sig) = sig.split_at(8);
        let Ok(time) = <[u8; 8]>::try_from(time) else {
            return false;
        };
        let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
            return false;
        };
        self.key
            .verify(&cosigned_message(u64::from_be_bytes(time), msg), &sig)
            .is_ok()
    }
}

/// A trusted log: its name and public key, from a `signed-note` vkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedLog {
    /// The log's name (origin).
    pub name: String,
    /// Its Ed25519 public key.
    pub key: VerifyingKey,
}

impl TrustedLog {
    /// Parses a vkey (`name+id+base64(0x01‖key)`), checking its key id.
    pub fn from_vkey(vkey: &str) -> Result<TrustedLog, LogError> {
        let bad = |d: &str| LogError::Format(format!("the log key `{vkey}` {d}"));
        signed_note::StandardVerifier::new(vkey.trim())
            .map_err(|e| bad(&format!("is malformed: {e}")))?;
        // The base64 key may itself contain `+`.
        let mut parts = vkey.trim().splitn(3, '+');
        let name = parts.next().ok_or_else(|| bad("has no name"))?;
        let raw = parts
            .nth(1)
            .and_then(|b| B64.decode(b).ok())
            .ok_or_else(|| bad("is not base64"))?;
        let key: [u8; 32] = raw
            .get(1..)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| bad("is not an Ed25519 key"))?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| bad("is not an Ed25519 key"))?;
        Ok(TrustedLog {
            name: name.to_string(),
            key,
        })
    }
}

/// A checkpoint whose log signature checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedCheckpoint {
    /// The log's origin.
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The root hash.
    pub hash: tlog_tiles::Hash,
    /// The time of the log's own cosignature (Unix seconds), if it has one.
    pub signed_at: Option<u64>,
    /// The names of the other signers whose signatures were not checked.
    pub other_signers: Vec<String>,
    /// The note as given.
    pub note: Vec<u8>,
}

/// Checks a checkpoint note against the trusted logs: a valid note signature
/// by a log named as the checkpoint's origin, and, when present, its
/// cosignature (whose time is returned).
pub fn open_checkpoint(note: &[u8], logs: &[TrustedLog]) -> Result<CheckedCheckpoint, LogError> {
    let parsed = signed_note::Note::from_bytes(note)
        .map_err(|e| LogError::Format(format!("the checkpoint is not a signed note: {e}")))?;
    let cp = tlog_tiles::Checkpoint::from_bytes(parsed.text())
        .map_err(|e| LogError::Format(format!("the checkpoint's text is malformed: {e}")))?;
    let Some(log) = logs.iter().find(|l| l.name == cp.origin()) else {
        return Err(LogError::Format(format!(
            "the checkpoint is from the log `{}`, which the trust list does not name",
            cp.origin()
        )));
    };
    let mut list: Vec<Box<dyn Verifier>> = Vec::new();
    let plain = signed_note::StandardVerifier::new(&signed_note::new_ed25519_verifier_key(
        &log.name, &log.key,
    ))
    .map_err(|e| LogError::Format(e.to_string()))?;
    list.push(Box::new(plain));
    let cosign_id = note_key_id(&log.name, &log.key, ALG_COSIGNATURE);
    list.push(Box::new(CosignatureVerifier {
        name: log.name.clone(),
        id: cosign_id,
        key: log.key,
    }));
    let (verified, unverified) = parsed
        .verify(&VerifierList::new(list))
        .map_err(|e| LogError::Format(format!("the checkpoint's signature does not check: {e}")))?;
    let plain_id = note_key_id(&log.name, &log.key, ALG_ED25519);
    if !verified.iter().any(|s| s.id() == plain_id) {
        return Err(LogError::Format(
            "the checkpoint carries no signature by the log's key".into(),
        ));
    }
    let signed_at = verified
        .iter()
        .find(|s| s.id() == cosign_id)
        .and_then(|s| s.signature().get(..8))
        .and_then(|t| <[u8; 8]>::try_from(t).ok())
        .map(u64::from_be_bytes);
    Ok(CheckedCheckpoint {
        origin: cp.origin().to_string(),
        size: cp.size(),
        hash: *cp.hash(),
        signed_at,
        other_signers: unverified.iter().map(|s| s.name().to_string()).collect(),
        note: note.to_vec(),
    })
}

/// The vkey of a cosigner in `tlog-cosignature` form (`name+id+base64(0x04‖key)`).
pub fn cosigner_vkey(name: &str, key: &VerifyingKey) -> String {
    let mut k = vec![ALG_COSIGNATURE];
    k.extend_from_slice(key.as_bytes());
    format!("{name}+{:08x}+{}", key_id(name, &k), B64.encode(&k))
}

/// The checkpoint body for a tree (C2SP `tlog-checkpoint`, no extension lines).
pub fn checkpoint_body(
    origin: &str,
    size: u64,
    hash: tlog_tiles::Hash,
) -> Result<Vec<u8>, LogError> {
    tlog_tiles::Checkpoint::new(origin, size, hash, "")
        .map(|c| c.to_bytes())
        .map_err(|e| LogError::Format(format!("checkpoint: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> LogKey {
        LogKey::from_parts("docseal/test-office", &[7u8; 32]).unwrap()
    }

    #[test]
    fn checkpoints_check_with_their_time_and_not_when_changed() {
        let k = key();
        let body = checkpoint_body(k.name(), 3, tlog_tiles::Hash([1u8; 32])).unwrap();
        let note = k.sign_checkpoint(&body, 1_700_000_000).unwrap();
        let logs = [TrustedLog::from_vkey(&k.vkey()).unwrap()];
        let cp = open_checkpoint(&note, &logs).unwrap();
        assert_eq!((cp.size, cp.signed_at), (3, Some(1_700_000_000)));

        // Another size with the same signatures does not check.
        let text = String::from_utf8(note.clone())
            .unwrap()
            .replacen("\n3\n", "\n4\n", 1);
        assert!(open_checkpoint(text.as_bytes(), &logs).is_err());
        // A document-signing key (any other key) cannot sign for the log.
        let other = LogKey::from_parts("docseal/test-office", &[8u8; 32]).unwrap();
        let forged = other.sign_checkpoint(&body, 1).unwrap();
        assert!(open_checkpoint(&forged, &logs).is_err());
        // A witness's cosignature is kept and does not stop the check.
        let witness = LogKey::from_parts("witness.example", &[9u8; 32]).unwrap();
        let cosigned = witness.cosign(&note, 1_700_000_100).unwrap();
        let cp = open_checkpoint(&cosigned, &logs).unwrap();
        assert_eq!(cp.other_signers, vec!["witness.example".to_string()]);
        assert_eq!(cp.signed_at, Some(1_700_000_000));
    }

    #[test]
    fn key_files_are_private_exclusive_and_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join(LOG_KEY_FILE);
        let k = LogKey::create(&path, "docseal/x").unwrap();
        assert!(
            LogKey::create(&path, "docseal/x").is_err(),
            "never overwritten"
        );
        let back = LogKey::load(&path).unwrap();
        assert_eq!(back.vkey(), k.vkey());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(LogKey::load(&path).is_err());
        }
        assert_eq!(origin_for("UBND Phường 1"), "docseal/UBND-Phường-1");
        assert!(TrustedLog::from_vkey(&k.vkey()).is_ok());
        // A key whose base64 holds `+` (this secret's does).
        let plus = (0u8..=255)
            .map(|b| LogKey::from_parts("docseal/x", &[b; 32]).unwrap())
            .find(|k| k.vkey().matches('+').count() > 2)
            .unwrap();
        let back = TrustedLog::from_vkey(&plus.vkey()).unwrap();
        assert_eq!(back.key, plus.verifying_key());
    }
}
