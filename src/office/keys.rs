//! The office's keys: key files (PKCS#8 PEM, owner-only, created exclusively
//! under the keys directory's lock), the keys directory's set-up, rotation
//! and revocation (the only places the trust list is signed), and the
//! credentials issuing needs (signing key, its certificate, the root
//! certificate), loaded without changing anything.

use std::path::Path;

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::pdfkey::{self, PdfCredentials};
use super::pki::{self, Certificate, PkiError};
use super::{
    KeyUsage, OfficeError, TrustList, TrustedKey, ROOT_CERT_FILE, ROOT_KEY_FILE, SIGNING_CERT_FILE,
    SIGNING_KEY_FILE, STATUS_KEY_FILE, TRUST_FILE,
};
use crate::model::{now_rfc3339, parse_rfc3339};

/// The id of a public key: `ed25519:` and the first 16 hex digits of its SHA-256.
pub fn key_id(public: &VerifyingKey) -> String {
    let h = Sha256::digest(public.as_bytes());
    format!("ed25519:{}", &hex::encode(h)[..16])
}

/// The office's signing key.
pub struct Signer {
    key: SigningKey,
    key_id: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// The key's id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// Signs bytes (Ed25519, deterministic).
    pub fn sign(&self, msg: &[u8]) -> Signature {
        self.key.sign(msg)
    }

    /// A signer from raw secret bytes (tests and known-answer vectors).
    pub fn from_secret(secret: &[u8; 32]) -> Signer {
        let key = SigningKey::from_bytes(secret);
        let key_id = key_id(&key.verifying_key());
        Signer { key, key_id }
    }

    /// A new key from the operating system's randomness.
    fn generate() -> Result<Signer, OfficeError> {
        let mut secret = [0u8; 32];
        getrandom::getrandom(&mut secret).map_err(|e| OfficeError::Random(e.to_string()))?;
        let signer = Signer::from_secret(&secret);
        secret.fill(0);
        Ok(signer)
    }

    /// Writes the private key as PKCS#8 PEM to `path`, durably, through a
    /// temporary file created exclusively with mode 0600 and renamed over
    /// `path`.
    fn write_private(&self, path: &Path) -> Result<(), OfficeError> {
        let pem = self
            .key
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|_| OfficeError::BadKey {
                path: path.to_path_buf(),
            })?;
        crate::fsutil::write_durably(path, pem.as_bytes()).map_err(|e| OfficeError::Io {
            path: path.to_path_buf(),
            source: e.source,
        })
    }

    /// Loads a signing key file, refusing one that others can read.
    pub fn load(path: &Path) -> Result<Signer, OfficeError> {
        let pem = read_private(path)?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|_| OfficeError::BadKey {
            path: path.to_path_buf(),
        })?;
        let key_id = key_id(&key.verifying_key());
        Ok(Signer { key, key_id })
    }
}

/// The text of a private key file, refusing one that others can read.
pub(super) fn read_private(path: &Path) -> Result<String, OfficeError> {
    {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(path).map_err(|source| OfficeError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(OfficeError::KeyPermissions {
                    path: path.to_path_buf(),
                });
            }
        }
        std::fs::read_to_string(path).map_err(|source| OfficeError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Years a root certificate is valid.
pub(super) const ROOT_YEARS: i64 = 20;
/// Years a signing certificate is valid.
pub(super) const SIGNING_YEARS: i64 = 5;
pub(super) const YEAR: i64 = 365 * 24 * 3600;

/// The signing key with its certificate chain: what issuing needs.
#[derive(Debug)]
pub struct Credentials {
    /// The signing key.
    pub signer: Signer,
    /// Its certificate, issued by the root.
    pub cert: Certificate,
    /// The office's root certificate.
    pub root: Certificate,
    /// The root-signed trust list as it stands when the credentials are
    /// loaded: result documents carry it, so a verifier needs only the root.
    pub trust: TrustList,
    /// The ECDSA P-256 PDF-signing key with its chain to the office's P-256
    /// PDF root; `None` for a keys directory set up before it existed and
    /// not completed since (`keys init` or an issuing run adds it).
    pub pdf: Option<PdfCredentials>,
}

impl Credentials {
    /// Loads the office's issuing credentials from `dir`, first setting the
    /// directory up ([`init`]) when it has no trust list yet. An existing
    /// list is never changed here.
    pub fn load_or_create(dir: &Path, office: &str) -> Result<Credentials, OfficeError> {
        if !dir.join(TRUST_FILE).exists() || pdfkey::missing(dir) {
            init(dir, office)?;
        }
        Credentials::load(dir)
    }

    /// Loads the office's issuing credentials from `dir`, changing nothing:
    /// the trust list must check against the root certificate, and the
    /// signing key (and the PDF-signing key, when there is one) must be in
    /// it, current and not revoked.
    pub fn load(dir: &Path) -> Result<Credentials, OfficeError> {
        let (trust, root) = load_trust(dir)?;
        let key_path = dir.join(SIGNING_KEY_FILE);
        let signer = Signer::load(&key_path)?;
        let entry = trust
            .find(signer.key_id())
            .ok_or_else(|| OfficeError::Inconsistent {
                path: key_path.clone(),
                detail: format!(
                    "the signing key {} is not in {TRUST_FILE}; run `docseal keys init`",
                    signer.key_id()
                ),
            })?;
        let state = match (&entry.revoked_at, &entry.not_after) {
            (Some(at), _) => Some(format!("was revoked at {at}")),
            (None, Some(until)) => Some(format!("was retired at {until}")),
            (None, None) => None,
        };
        if let Some(state) = state {
            return Err(OfficeError::SigningKeyUnusable {
                key_id: signer.key_id().to_string(),
                state,
            });
        }
        let cert_path = dir.join(SIGNING_CERT_FILE);
        let cert = read_pem(&cert_path)?.ok_or_else(|| OfficeError::Missing {
            path: cert_path.clone(),
        })?;
        if pki::public_key(&cert).ok() != Some(signer.verifying_key()) {
            return Err(OfficeError::Inconsistent {
                path: cert_path,
                detail: "the certificate is not the signing key's; run `docseal keys init`".into(),
            });
        }
        let pdf = pdfkey::load(dir, &trust)?;
        Ok(Credentials {
            signer,
            cert,
            root,
            trust,
            pdf,
        })
    }

    /// Signs `trust` with the office's root key (from `dir`) and writes it
    /// as `dir`'s trust file, under the keys directory's lock.
    pub fn save_trust(dir: &Path, trust: &mut TrustList) -> Result<(), OfficeError> {
        let _lock = KeysLock::take(dir)?;
        let (root_key, root) = root_pair(dir)?;
        trust.sign(&root_key, &root)?;
        trust.save(&dir.join(TRUST_FILE))
    }
}

/// File name of the keys directory's lock: every change to its key files
/// and trust list holds an exclusive lock on it.
const LOCK_FILE: &str = ".lock";
/// Where an earlier version staged a new signing key; one left by a crash is
/// removed, never reused.
const STAGED_KEY_FILE: &str = "signing.key.new";
/// Where `rotate --keep-retired` keeps retired private keys.
const RETIRED_DIR: &str = "retired";

/// The keys directory held exclusively (an advisory lock on `DIR/.lock`,
/// released when dropped), so that two processes never create or change keys
/// and the trust list at once.
struct KeysLock {
    _file: std::fs::File,
}

impl KeysLock {
    fn take(dir: &Path) -> Result<KeysLock, OfficeError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| OfficeError::Io { path, source }
        };
        crate::fsutil::create_private_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(LOCK_FILE);
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&path).map_err(io(&path))?;
        file.lock().map_err(io(&path))?;
        // What a crash may have left half-written: staged keys and temporary
        // files. Under the lock nobody else is writing them.
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name == STAGED_KEY_FILE || name.starts_with(crate::fsutil::TEMPORARY_PREFIX) {
                    std::fs::remove_file(entry.path()).map_err(io(&entry.path()))?;
                }
            }
        }
        Ok(KeysLock { _file: file })
    }
}

/// What [`init`] found or made.
#[derive(Debug)]
pub struct InitOutcome {
    /// The issuing credentials.
    pub credentials: Credentials,
    /// The status key's id.
    pub status_key_id: String,
    /// The files it created, by name.
    pub created: Vec<&'static str>,
}

/// Sets up the office's keys directory, or completes it: the root key and
/// certificate, the signing key and its certificate, the status key, and the
/// root-signed trust list naming both keys. Runs under the directory's lock,
/// so two processes starting together on an empty directory leave one
/// consistent set. An existing trust list must check against the root
/// certificate; it is signed again only when a key is added to it.
pub fn init(dir: &Path, office: &str) -> Result<InitOutcome, OfficeError> {
    let _lock = KeysLock::take(dir)?;
    let trust_path = dir.join(TRUST_FILE);
    let mut created = Vec::new();
    let (mut trust, root_key, root) = if trust_path.exists() {
        let (trust, root) = load_trust(dir)?;
        let (root_key, _) = root_pair(dir)?;
        (trust, root_key, root)
    } else {
        // A fresh directory, or one whose set-up was interrupted before the
        // trust list was written: keep the key files it has, make the rest.
        let root_key = key_file(dir, ROOT_KEY_FILE, &mut created)?;
        let root_path = dir.join(ROOT_CERT_FILE);
        let root = match read_pem(&root_path)? {
            Some(c) if pki::public_key(&c).ok() == Some(root_key.verifying_key()) => c,
            _ => {
                let now = time::OffsetDateTime::now_utc().unix_timestamp();
                let c = pki::issue_root(office, &root_key, now - 60, now + ROOT_YEARS * YEAR)
                    .map_err(pki_err)?;
                write_pem(&root_path, &c)?;
                created.push(ROOT_CERT_FILE);
                c
            }
        };
        (TrustList::empty(), root_key, root)
    };
    let fresh = trust.signature.is_none();
    let mut changed = fresh;
    let signing_path = dir.join(SIGNING_KEY_FILE);
    if !fresh && !signing_path.exists() {
        return Err(OfficeError::Missing { path: signing_path });
    }
    let signer = key_file(dir, SIGNING_KEY_FILE, &mut created)?;
    let status = key_file(dir, STATUS_KEY_FILE, &mut created)?;
    for (key, usage) in [(&signer, KeyUsage::Document), (&status, KeyUsage::Status)] {
        if trust.find_for(key.key_id(), usage).is_none() {
            if !fresh && usage == KeyUsage::Document {
                return Err(OfficeError::Inconsistent {
                    path: signing_path,
                    detail: format!(
                        "the signing key {} is not in {TRUST_FILE}; restore the key the list names",
                        key.key_id()
                    ),
                });
            }
            trust
                .keys
                .push(TrustedKey::with_usage(key, office, &now_rfc3339(), usage));
            changed = true;
        }
    }
    let cert = signing_cert(dir, &signer, &trust, &root_key, &root, office, &mut created)?;
    // The Ed25519 root first among the list's roots, then the PDF root.
    let root_pem = pki::to_pem(&root).map_err(pki_err)?;
    if !trust.roots.contains(&root_pem) {
        trust.roots.push(root_pem);
    }
    let (pdf, pdf_changed) = pdfkey::ensure(dir, office, &mut trust, &mut created)?;
    changed |= pdf_changed;
    if changed {
        trust.sign(&root_key, &root)?;
        trust.save(&trust_path)?;
        created.push(TRUST_FILE);
    }
    Ok(InitOutcome {
        credentials: Credentials {
            signer,
            cert,
            root,
            trust,
            pdf: Some(pdf),
        },
        status_key_id: status.key_id,
        created,
    })
}

/// Loads `dir`'s key file `name`, or creates it when there is none.
fn key_file(
    dir: &Path,
    name: &'static str,
    created: &mut Vec<&'static str>,
) -> Result<Signer, OfficeError> {
    let path = dir.join(name);
    if path.exists() {
        return Signer::load(&path);
    }
    let key = Signer::generate()?;
    key.write_private(&path)?;
    created.push(name);
    Ok(key)
}

/// The signing key's certificate, issued by the root when the one on disk
/// is missing or another key's.
fn signing_cert(
    dir: &Path,
    signer: &Signer,
    trust: &TrustList,
    root_key: &Signer,
    root: &Certificate,
    office: &str,
    created: &mut Vec<&'static str>,
) -> Result<Certificate, OfficeError> {
    let cert_path = dir.join(SIGNING_CERT_FILE);
    if let Some(c) = read_pem(&cert_path)? {
        if pki::public_key(&c).ok() == Some(signer.verifying_key()) {
            return Ok(c);
        }
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let from = trust
        .find(signer.key_id())
        .and_then(|k| parse_rfc3339(&k.not_before))
        .unwrap_or(now);
    let c = pki::issue_signing_cert(
        office,
        root_key,
        root,
        &signer.verifying_key(),
        from - 60,
        from + SIGNING_YEARS * YEAR,
    )
    .map_err(pki_err)?;
    write_pem(&cert_path, &c)?;
    created.push(SIGNING_CERT_FILE);
    Ok(c)
}

pub(super) fn pki_err(e: PkiError) -> OfficeError {
    OfficeError::Serialize(e.to_string())
}

/// The root key and its certificate, which must belong together.
fn root_pair(dir: &Path) -> Result<(Signer, Certificate), OfficeError> {
    let root = root_cert(dir)?;
    let key_path = dir.join(ROOT_KEY_FILE);
    if !key_path.exists() {
        return Err(OfficeError::Missing { path: key_path });
    }
    let root_key = Signer::load(&key_path)?;
    if pki::public_key(&root).ok() != Some(root_key.verifying_key()) {
        return Err(OfficeError::Inconsistent {
            path: key_path,
            detail: format!("the root key does not belong to {ROOT_CERT_FILE}"),
        });
    }
    Ok((root_key, root))
}

fn root_cert(dir: &Path) -> Result<Certificate, OfficeError> {
    let path = dir.join(ROOT_CERT_FILE);
    read_pem(&path)?.ok_or(OfficeError::Missing { path })
}

/// Loads `dir`'s trust list and checks that the root certificate beside it
/// (`root.pem`) signed it, changing nothing. A list that does not check is
/// an error naming the file: nothing may use it.
pub fn load_trust(dir: &Path) -> Result<(TrustList, Certificate), OfficeError> {
    let path = dir.join(TRUST_FILE);
    if !path.exists() {
        return Err(OfficeError::Missing { path });
    }
    let root = root_cert(dir)?;
    let trust = TrustList::load(&path)?;
    let signer = trust
        .check_signature()
        .map_err(|problem| OfficeError::TrustNotSigned {
            path: path.clone(),
            problem,
        })?;
    if signer != root {
        return Err(OfficeError::OtherRoot {
            path,
            root: dir.join(ROOT_CERT_FILE),
        });
    }
    Ok((trust, root))
}

/// What [`rotate`] did.
#[derive(Debug)]
pub struct Rotation {
    /// The retired key's id.
    pub old: String,
    /// The new key's id.
    pub new: String,
    /// With a document key, the PDF-signing key rotated with it: the
    /// retired one's id (none for a directory that had none) and the new one's.
    pub pdf: Option<(Option<String>, String)>,
    /// Retired private keys deleted (the one just retired and any kept
    /// before), or kept under `retired/` with `keep_retired`.
    pub retired_files: Vec<std::path::PathBuf>,
}

/// Retires the current key of `usage` and starts a new one (a document key
/// together with the PDF-signing key). The old key's
/// validity ends now in the trust list (what it signed before stays valid),
/// the list is signed again, and the new key replaces the old one's file.
/// The retired private key is deleted, with any kept under `retired/`
/// before, unless `keep_retired`, which keeps it there (mode 0600).
pub fn rotate(
    dir: &Path,
    office: &str,
    usage: KeyUsage,
    keep_retired: bool,
) -> Result<Rotation, OfficeError> {
    let _lock = KeysLock::take(dir)?;
    let (mut trust, _) = load_trust(dir)?;
    let (root_key, root) = root_pair(dir)?;
    let file =
        match usage {
            KeyUsage::Document => SIGNING_KEY_FILE,
            KeyUsage::Status => STATUS_KEY_FILE,
            KeyUsage::Pdf => return Err(OfficeError::Inconsistent {
                path: dir.join(pdfkey::PDF_KEY_FILE),
                detail:
                    "the PDF-signing key rotates with the document key; run `docseal keys rotate`"
                        .into(),
            }),
        };
    let key_path = dir.join(file);
    let old = Signer::load(&key_path)?;
    let new = Signer::generate()?;
    let retired_dir = dir.join(RETIRED_DIR);
    let mut retired_files = Vec::new();
    if keep_retired {
        let kept = retired_dir.join(format!("{}.key", old.key_id.replace(':', "_")));
        old.write_private(&kept)?;
        retired_files.push(kept);
    }
    let now = now_rfc3339();
    for k in trust.keys.iter_mut().filter(|k| k.key_id == old.key_id) {
        k.not_after.get_or_insert_with(|| now.clone());
    }
    trust
        .keys
        .push(TrustedKey::with_usage(&new, office, &now, usage));
    let pdf = if usage == KeyUsage::Document {
        pdfkey::ensure_root_listed(dir, office, &mut trust)?;
        let kept = keep_retired.then_some(retired_dir.as_path());
        Some(pdfkey::begin_rotation(dir, office, &mut trust, &now, kept)?)
    } else {
        None
    };
    trust.sign(&root_key, &root)?;
    trust.save(&dir.join(TRUST_FILE))?;
    // The rename replaces the old key's file: its private half is gone.
    new.write_private(&key_path)?;
    if usage == KeyUsage::Document {
        signing_cert(dir, &new, &trust, &root_key, &root, office, &mut Vec::new())?;
    }
    if let Some(pdf) = &pdf {
        pdfkey::finish_rotation(dir, office, &trust, pdf)?;
        if let Some(old) = &pdf.old {
            if keep_retired {
                retired_files.push(retired_dir.join(format!("{}.key", old.replace(':', "_"))));
            } else {
                retired_files.push(dir.join(pdfkey::PDF_KEY_FILE));
            }
        }
    }
    if !keep_retired {
        retired_files.push(key_path.clone());
        if let Ok(entries) = std::fs::read_dir(&retired_dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "key") {
                    std::fs::remove_file(&path).map_err(|source| OfficeError::Io {
                        path: path.clone(),
                        source,
                    })?;
                    retired_files.push(path);
                }
            }
        }
    }
    Ok(Rotation {
        old: old.key_id.clone(),
        new: new.key_id.clone(),
        retired_files,
        pdf: pdf.map(|p| (p.old, p.new.key_id().to_string())),
    })
}

/// Revokes a key from `at` (RFC 3339) for `reason` in `dir`'s trust list
/// and signs the list again. A revoked signing key issues nothing more until
/// `rotate`.
pub fn revoke_key(
    dir: &Path,
    key_id: &str,
    reason: &str,
    at: &str,
) -> Result<TrustedKey, OfficeError> {
    let _lock = KeysLock::take(dir)?;
    let (mut trust, _) = load_trust(dir)?;
    let (root_key, root) = root_pair(dir)?;
    let path = dir.join(TRUST_FILE);
    trust
        .revoke(key_id, reason, at)
        .map_err(|detail| OfficeError::Inconsistent {
            path: path.clone(),
            detail,
        })?;
    trust.sign(&root_key, &root)?;
    trust.save(&path)?;
    let entry = trust.keys.iter().find(|k| k.key_id == key_id).cloned();
    entry.ok_or(OfficeError::Inconsistent {
        path,
        detail: format!("no key {key_id} in the trust list"),
    })
}

/// Signs `dir`'s trust list as it now stands with the root key: for a list
/// edited on purpose. Returns the list.
pub fn sign_trust(dir: &Path) -> Result<TrustList, OfficeError> {
    let _lock = KeysLock::take(dir)?;
    let path = dir.join(TRUST_FILE);
    let mut trust = TrustList::load(&path)?;
    let (root_key, root) = root_pair(dir)?;
    trust.sign(&root_key, &root)?;
    trust.save(&path)?;
    Ok(trust)
}

pub(super) fn read_pem(path: &Path) -> Result<Option<Certificate>, OfficeError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(pki::from_pem(&text).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(OfficeError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

pub(super) fn write_pem(path: &Path, cert: &Certificate) -> Result<(), OfficeError> {
    let pem = pki::to_pem(cert).map_err(pki_err)?;
    crate::fsutil::write_durably(path, pem.as_bytes()).map_err(|e| OfficeError::Io {
        path: path.to_path_buf(),
        source: e.source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::office::PdfSigner;

    /// RFC 8032, section 7.1, TEST 1 and TEST 2.
    #[test]
    fn rfc8032_known_answers() {
        let cases = [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            ),
        ];
        for (sk, pk, msg, sig) in cases {
            let secret: [u8; 32] = hex::decode(sk).unwrap().try_into().unwrap();
            let signer = Signer::from_secret(&secret);
            assert_eq!(hex::encode(signer.verifying_key().as_bytes()), pk);
            let s = signer.sign(&hex::decode(msg).unwrap());
            assert_eq!(hex::encode(s.to_bytes()), sig);
        }
    }

    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_keys_are_private_and_reload_without_changing_anything() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let a = Credentials::load_or_create(&keys, "Office").unwrap();
        for f in [SIGNING_KEY_FILE, ROOT_KEY_FILE, STATUS_KEY_FILE] {
            assert_eq!(mode(&keys.join(f)), 0o600, "{f}");
        }
        assert_eq!(mode(&keys), 0o700);
        let trust_bytes = std::fs::read(keys.join(TRUST_FILE)).unwrap();
        let b = Credentials::load_or_create(&keys, "Office").unwrap();
        assert_eq!(a.signer.key_id(), b.signer.key_id());
        let again = init(&keys, "Office").unwrap();
        assert!(again.created.is_empty(), "{:?}", again.created);
        assert_eq!(std::fs::read(keys.join(TRUST_FILE)).unwrap(), trust_bytes);
        assert!(!format!("{a:?}").contains(&hex::encode(a.signer.key.to_bytes())));

        // The status key is listed for status answers only.
        let (trust, _) = load_trust(&keys).unwrap();
        assert!(trust.find(&again.status_key_id).is_none());
        assert!(trust
            .find_for(&again.status_key_id, KeyUsage::Status)
            .is_some());
        assert!(trust
            .find_for(a.signer.key_id(), KeyUsage::Status)
            .is_none());
    }

    #[test]
    fn an_edited_trust_list_stops_every_loader_and_is_never_signed_again_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let creds = Credentials::load_or_create(&keys, "Office").unwrap();
        revoke_key(&keys, creds.signer.key_id(), "lost", "2030-01-01T00:00:00Z").unwrap();
        let path = keys.join(TRUST_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = text.replace("\"revoked_at\": \"2030-01-01T00:00:00Z\",", "");
        assert_ne!(edited, text);
        std::fs::write(&path, &edited).unwrap();
        for result in [
            Credentials::load(&keys).map(|_| ()),
            Credentials::load_or_create(&keys, "Office").map(|_| ()),
            init(&keys, "Office").map(|_| ()),
            load_trust(&keys).map(|_| ()),
            rotate(&keys, "Office", KeyUsage::Document, false).map(|_| ()),
        ] {
            let e = result.unwrap_err();
            assert!(matches!(e, OfficeError::TrustNotSigned { .. }), "{e}");
            assert!(e.to_string().contains(&path.display().to_string()), "{e}");
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);
        // Only the explicit command signs the edit.
        sign_trust(&keys).unwrap();
        assert!(load_trust(&keys).is_ok());
    }

    #[test]
    fn a_revoked_signing_key_issues_nothing_until_a_rotation_which_deletes_it() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let a = Credentials::load_or_create(&keys, "Office").unwrap();
        revoke_key(&keys, a.signer.key_id(), "lost", &now_rfc3339()).unwrap();
        let e = Credentials::load(&keys).unwrap_err();
        assert!(
            matches!(e, OfficeError::SigningKeyUnusable { .. })
                && e.to_string().contains("keys rotate"),
            "{e}"
        );
        let r = rotate(&keys, "Office", KeyUsage::Document, false).unwrap();
        assert_eq!(r.old, a.signer.key_id());
        let b = Credentials::load(&keys).unwrap();
        assert_eq!(b.signer.key_id(), r.new);
        assert_eq!(pki::public_key(&b.cert).unwrap(), b.signer.verifying_key());
        assert!(!keys.join(RETIRED_DIR).exists());
        let (trust, _) = load_trust(&keys).unwrap();
        let count = |usage| trust.keys.iter().filter(|k| k.usage == usage).count();
        assert_eq!(count(KeyUsage::Document) + count(KeyUsage::Status), 3);
        assert_eq!(count(KeyUsage::Pdf), 2, "rotated with the document key");
        assert!(trust.find(&r.old).unwrap().not_after.is_some());

        // Kept on request, owner-only; a later rotation without the flag
        // deletes what was kept.
        let kept = rotate(&keys, "Office", KeyUsage::Document, true).unwrap();
        // The document key's, then the PDF key's.
        assert_eq!(kept.retired_files.len(), 2);
        assert_eq!(mode(&kept.retired_files[0]), 0o600);
        assert_eq!(mode(&kept.retired_files[1]), 0o600);
        assert_eq!(
            PdfSigner::load(&kept.retired_files[1]).unwrap().key_id(),
            r.pdf.as_ref().unwrap().1
        );
        assert_eq!(
            Signer::load(&kept.retired_files[0]).unwrap().key_id(),
            r.new
        );
        let gone = rotate(&keys, "Office", KeyUsage::Status, false).unwrap();
        for f in &kept.retired_files {
            assert!(gone.retired_files.contains(f));
            assert!(!f.exists());
        }
    }

    #[test]
    fn the_pdf_key_is_made_listed_rotated_with_the_document_key_and_revocable() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let a = Credentials::load_or_create(&keys, "Office").unwrap();
        let pdf = a.pdf.as_ref().expect("a PDF key");
        for f in [pdfkey::PDF_KEY_FILE, pdfkey::PDF_ROOT_KEY_FILE] {
            assert_eq!(mode(&keys.join(f)), 0o600, "{f}");
        }
        pki::verify_issued_by(&pdf.cert, &pdf.root).unwrap();
        pki::verify_issued_by(&pdf.root, &pdf.root).unwrap();
        let (trust, _) = load_trust(&keys).unwrap();
        assert!(trust.root_certificates().contains(&pdf.root));
        let listed = trust.find_for(pdf.signer.key_id(), KeyUsage::Pdf).unwrap();
        assert_eq!(
            listed.p256_verifying_key(),
            Some(pdf.signer.verifying_key())
        );
        // Never a document key: it verifies no manifest or QR seal.
        assert!(trust.find(pdf.signer.key_id()).is_none());
        assert!(!format!("{a:?}").contains("SigningKey {"));

        // Rotation replaces both keys; the old PDF key's validity ends.
        let r = rotate(&keys, "Office", KeyUsage::Document, false).unwrap();
        let (old_pdf, new_pdf) = r.pdf.clone().unwrap();
        assert_eq!(old_pdf.as_deref(), Some(pdf.signer.key_id()));
        let b = Credentials::load(&keys).unwrap();
        let b_pdf = b.pdf.as_ref().unwrap();
        assert_eq!(b_pdf.signer.key_id(), new_pdf);
        assert_eq!(b_pdf.root, pdf.root);
        assert_eq!(
            pki::p256_public_key(&b_pdf.cert).unwrap(),
            b_pdf.signer.verifying_key()
        );
        let (trust, _) = load_trust(&keys).unwrap();
        let old = trust.find_for(pdf.signer.key_id(), KeyUsage::Pdf).unwrap();
        assert!(old.not_after.is_some());

        // A revoked PDF key issues nothing until the next rotation.
        revoke_key(&keys, &new_pdf, "lost", &now_rfc3339()).unwrap();
        let e = Credentials::load(&keys).unwrap_err();
        assert!(
            matches!(e, OfficeError::SigningKeyUnusable { .. }) && e.to_string().contains(&new_pdf),
            "{e}"
        );
        rotate(&keys, "Office", KeyUsage::Document, false).unwrap();
        assert!(Credentials::load(&keys).unwrap().pdf.is_some());
    }

    #[test]
    fn a_keys_directory_without_a_pdf_key_is_completed_by_init_and_loads_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let a = Credentials::load_or_create(&keys, "Office").unwrap();
        // As an earlier version left it.
        let mut trust = a.trust.clone();
        trust.keys.retain(|k| k.usage != KeyUsage::Pdf);
        trust.roots.truncate(1);
        Credentials::save_trust(&keys, &mut trust).unwrap();
        for f in [
            pdfkey::PDF_KEY_FILE,
            pdfkey::PDF_CERT_FILE,
            pdfkey::PDF_ROOT_KEY_FILE,
            pdfkey::PDF_ROOT_CERT_FILE,
        ] {
            std::fs::remove_file(keys.join(f)).unwrap();
        }
        let old = Credentials::load(&keys).unwrap();
        assert!(old.pdf.is_none());
        let done = init(&keys, "Office").unwrap();
        assert!(
            done.created.contains(&pdfkey::PDF_KEY_FILE),
            "{:?}",
            done.created
        );
        assert!(done.created.contains(&TRUST_FILE));
        let b = Credentials::load(&keys).unwrap();
        assert_eq!(b.signer.key_id(), a.signer.key_id());
        assert!(b.pdf.is_some());
        // A listed current PDF key whose file is gone is not replaced silently.
        std::fs::remove_file(keys.join(pdfkey::PDF_KEY_FILE)).unwrap();
        assert!(matches!(
            init(&keys, "Office"),
            Err(OfficeError::Missing { .. })
        ));
    }

    #[test]
    fn a_leftover_staged_key_is_replaced_not_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        std::fs::create_dir_all(&keys).unwrap();
        let staged = keys.join(STAGED_KEY_FILE);
        std::fs::write(&staged, b"left by a crash").unwrap();
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o644)).unwrap();
        Credentials::load_or_create(&keys, "Office").unwrap();
        assert!(!staged.exists());
        assert_eq!(mode(&keys.join(SIGNING_KEY_FILE)), 0o600);
    }
}
