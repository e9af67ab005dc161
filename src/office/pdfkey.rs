//! The office's ECDSA P-256 PDF-signing key and its all-ECDSA chain: a
//! self-signed P-256 PDF root (`pdf-root.key`, `pdf-root.pem`) and the
//! PDF-signing key (`pdf.key`) with its certificate (`pdf.pem`), which PDF
//! viewers (NSS's `pdfsig`, Acrobat, Foxit) validate where they refuse
//! Ed25519. The Ed25519 root binds them to the office: the trust list it
//! signs carries the P-256 root among its `roots` and lists the PDF key
//! (`usage: pdf`) with its validity and revocation like any other key.
//! Key files are created and replaced only by [`super::init`] and
//! [`super::rotate`], under the keys directory's lock.

use std::path::Path;

use p256::ecdsa::{SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use sha2::{Digest, Sha256};

use super::keys::{pki_err, read_pem, write_pem, ROOT_YEARS, SIGNING_YEARS, YEAR};
use super::pki::{self, Certificate};
use super::{KeyUsage, OfficeError, TrustList, TrustedKey};
use crate::model::{now_rfc3339, parse_rfc3339};

/// File name of the office's P-256 PDF-signing key inside the keys directory.
pub const PDF_KEY_FILE: &str = "pdf.key";
/// File name of the PDF-signing key's certificate (issued by the PDF root).
pub const PDF_CERT_FILE: &str = "pdf.pem";
/// File name of the office's P-256 PDF root key.
pub const PDF_ROOT_KEY_FILE: &str = "pdf-root.key";
/// File name of the office's P-256 PDF root certificate: what agencies import
/// into NSS, Acrobat or Foxit so that result PDFs show as trusted.
pub const PDF_ROOT_CERT_FILE: &str = "pdf-root.pem";

/// The id of a P-256 public key: `p256:` and the first 16 hex digits of
/// the SHA-256 of its uncompressed point.
pub fn p256_key_id(public: &VerifyingKey) -> String {
    let h = Sha256::digest(public.to_encoded_point(false).as_bytes());
    format!("p256:{}", &hex::encode(h)[..16])
}

/// A P-256 private key of the office (the PDF-signing key or the PDF root).
pub struct PdfSigner {
    key: SigningKey,
    key_id: String,
}

impl std::fmt::Debug for PdfSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfSigner")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl PdfSigner {
    /// The key's id ([`p256_key_id`]).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The private key, for signing a PDF.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        *self.key.verifying_key()
    }

    fn from_key(key: SigningKey) -> PdfSigner {
        let key_id = p256_key_id(key.verifying_key());
        PdfSigner { key, key_id }
    }

    /// A new key from the operating system's randomness.
    fn generate() -> Result<PdfSigner, OfficeError> {
        loop {
            let mut secret = [0u8; 32];
            getrandom::getrandom(&mut secret).map_err(|e| OfficeError::Random(e.to_string()))?;
            // Zero or at least the group order (odds about 2^-32) is drawn again.
            let key = SigningKey::from_slice(&secret);
            secret.fill(0);
            if let Ok(key) = key {
                return Ok(PdfSigner::from_key(key));
            }
        }
    }

    /// Writes the private key as PKCS#8 PEM, durably, through a temporary
    /// file created exclusively with mode 0600.
    fn write_private(&self, path: &Path) -> Result<(), OfficeError> {
        let pem = self
            .key
            .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
            .map_err(|_| OfficeError::BadKey {
                path: path.to_path_buf(),
            })?;
        crate::fsutil::write_durably(path, pem.as_bytes()).map_err(|e| OfficeError::Io {
            path: path.to_path_buf(),
            source: e.source,
        })
    }

    /// Loads a P-256 key file, refusing one that others can read.
    pub fn load(path: &Path) -> Result<PdfSigner, OfficeError> {
        let pem = super::keys::read_private(path)?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|_| OfficeError::BadP256Key {
            path: path.to_path_buf(),
        })?;
        Ok(PdfSigner::from_key(key))
    }
}

/// The PDF-signing key with its all-ECDSA chain: what a P-256 PDF signature
/// needs.
#[derive(Debug)]
pub struct PdfCredentials {
    /// The PDF-signing key.
    pub signer: PdfSigner,
    /// Its certificate, issued by the PDF root.
    pub cert: Certificate,
    /// The office's P-256 PDF root certificate.
    pub root: Certificate,
}

/// Loads `dir`'s PDF credentials, changing nothing: `None` for a directory
/// set up before they existed (the next `keys init` or issuing run adds
/// them). The key must be listed in `trust` as a current PDF key, its
/// certificate must be its own and chain to the PDF root, and the list must
/// carry that root.
pub(super) fn load(dir: &Path, trust: &TrustList) -> Result<Option<PdfCredentials>, OfficeError> {
    let key_path = dir.join(PDF_KEY_FILE);
    if !key_path.exists() {
        return Ok(None);
    }
    let signer = PdfSigner::load(&key_path)?;
    let entry = trust
        .find_for(signer.key_id(), KeyUsage::Pdf)
        .ok_or_else(|| OfficeError::Inconsistent {
            path: key_path.clone(),
            detail: format!(
                "the PDF-signing key {} is not in {}; run `docseal keys init`",
                signer.key_id(),
                super::TRUST_FILE
            ),
        })?;
    if let Some(state) = match (&entry.revoked_at, &entry.not_after) {
        (Some(at), _) => Some(format!("was revoked at {at}")),
        (None, Some(until)) => Some(format!("was retired at {until}")),
        (None, None) => None,
    } {
        return Err(OfficeError::SigningKeyUnusable {
            key_id: signer.key_id().to_string(),
            state,
        });
    }
    let cert_path = dir.join(PDF_CERT_FILE);
    let cert = read_pem(&cert_path)?.ok_or_else(|| OfficeError::Missing {
        path: cert_path.clone(),
    })?;
    if pki::p256_public_key(&cert).ok() != Some(signer.verifying_key()) {
        return Err(OfficeError::Inconsistent {
            path: cert_path,
            detail: "the certificate is not the PDF-signing key's; run `docseal keys init`".into(),
        });
    }
    let root_path = dir.join(PDF_ROOT_CERT_FILE);
    let root = read_pem(&root_path)?.ok_or_else(|| OfficeError::Missing {
        path: root_path.clone(),
    })?;
    if !trust.root_certificates().contains(&root) {
        return Err(OfficeError::Inconsistent {
            path: root_path,
            detail: format!(
                "the PDF root is not in {}; run `docseal keys init`",
                super::TRUST_FILE
            ),
        });
    }
    pki::verify_issued_by(&cert, &root).map_err(|e| OfficeError::Inconsistent {
        path: cert_path,
        detail: e.to_string(),
    })?;
    Ok(Some(PdfCredentials { signer, cert, root }))
}

/// Whether `dir` lacks the PDF key files an up-to-date directory has.
pub(super) fn missing(dir: &Path) -> bool {
    [
        PDF_KEY_FILE,
        PDF_CERT_FILE,
        PDF_ROOT_KEY_FILE,
        PDF_ROOT_CERT_FILE,
    ]
    .iter()
    .any(|f| !dir.join(f).exists())
}

/// The PDF root key and its certificate, each created when missing (the
/// certificate also when it is not the key's). The caller holds the lock.
fn root_pair(
    dir: &Path,
    office: &str,
    created: &mut Vec<&'static str>,
) -> Result<(PdfSigner, Certificate), OfficeError> {
    let key_path = dir.join(PDF_ROOT_KEY_FILE);
    let key = if key_path.exists() {
        PdfSigner::load(&key_path)?
    } else {
        let key = PdfSigner::generate()?;
        key.write_private(&key_path)?;
        created.push(PDF_ROOT_KEY_FILE);
        key
    };
    let cert_path = dir.join(PDF_ROOT_CERT_FILE);
    if let Some(c) = read_pem(&cert_path)? {
        if pki::p256_public_key(&c).ok() == Some(key.verifying_key()) {
            return Ok((key, c));
        }
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let c = pki::issue_pdf_root(office, &key.key, now - 60, now + ROOT_YEARS * YEAR)
        .map_err(pki_err)?;
    write_pem(&cert_path, &c)?;
    created.push(PDF_ROOT_CERT_FILE);
    Ok((key, c))
}

/// The PDF-signing key's certificate, issued by the PDF root when the one
/// on disk is missing or not this key's under this root.
fn signing_cert(
    dir: &Path,
    signer: &PdfSigner,
    trust: &TrustList,
    root_key: &PdfSigner,
    root: &Certificate,
    office: &str,
    created: &mut Vec<&'static str>,
) -> Result<Certificate, OfficeError> {
    let cert_path = dir.join(PDF_CERT_FILE);
    if let Some(c) = read_pem(&cert_path)? {
        if pki::p256_public_key(&c).ok() == Some(signer.verifying_key())
            && pki::verify_issued_by(&c, root).is_ok()
        {
            return Ok(c);
        }
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let from = trust
        .find_for(signer.key_id(), KeyUsage::Pdf)
        .and_then(|k| parse_rfc3339(&k.not_before))
        .unwrap_or(now);
    let c = pki::issue_pdf_signing_cert(
        office,
        pki::CertKey::P256(&root_key.key),
        root,
        &signer.verifying_key(),
        from - 60,
        from + SIGNING_YEARS * YEAR,
    )
    .map_err(pki_err)?;
    write_pem(&cert_path, &c)?;
    created.push(PDF_CERT_FILE);
    Ok(c)
}

/// Completes `dir`'s PDF credentials under the lock the caller holds: the
/// PDF root, the PDF key and their certificates, each made when missing;
/// the root added to `trust`'s roots and the key listed, when they are not.
/// Returns the credentials and whether `trust` changed (the caller signs it).
pub(super) fn ensure(
    dir: &Path,
    office: &str,
    trust: &mut TrustList,
    created: &mut Vec<&'static str>,
) -> Result<(PdfCredentials, bool), OfficeError> {
    let (root_key, root) = root_pair(dir, office, created)?;
    let mut changed = false;
    let pem = pki::to_pem(&root).map_err(pki_err)?;
    if !trust.roots.contains(&pem) {
        trust.roots.push(pem);
        changed = true;
    }
    let key_path = dir.join(PDF_KEY_FILE);
    let current = trust
        .keys
        .iter()
        .find(|k| k.usage == KeyUsage::Pdf && k.not_after.is_none() && k.revoked_at.is_none())
        .map(|k| k.key_id.clone());
    let signer = if key_path.exists() {
        PdfSigner::load(&key_path)?
    } else if current.is_some() {
        // The list names a current key whose file is gone: never replaced
        // silently (a rotation retires it).
        return Err(OfficeError::Missing { path: key_path });
    } else {
        let key = PdfSigner::generate()?;
        key.write_private(&key_path)?;
        created.push(PDF_KEY_FILE);
        key
    };
    if trust.find_for(signer.key_id(), KeyUsage::Pdf).is_none() {
        if let Some(listed) = current {
            return Err(OfficeError::Inconsistent {
                path: key_path,
                detail: format!(
                    "the PDF-signing key {} is not in {}, which names {listed}; restore the key the list names",
                    signer.key_id(),
                    super::TRUST_FILE
                ),
            });
        }
        trust.keys.push(TrustedKey::for_pdf_key(
            signer.key_id(),
            &signer.verifying_key(),
            office,
            &now_rfc3339(),
        ));
        changed = true;
    }
    let cert = signing_cert(dir, &signer, trust, &root_key, &root, office, created)?;
    Ok((PdfCredentials { signer, cert, root }, changed))
}

/// A rotation of the PDF key under way ([`begin_rotation`]).
pub(super) struct PdfRotation {
    /// The retired key's id, when there was one.
    pub old: Option<String>,
    /// The new key.
    pub new: PdfSigner,
}

/// Starts a rotation of the PDF key: the new key, listed in `trust` from
/// `now`, the old one's validity ended (its private key kept under `kept`
/// when given). The new key is not written yet: the caller signs and saves
/// `trust` first, then calls [`finish_rotation`], so a crash never leaves
/// an unlisted key in use. The caller holds the lock.
pub(super) fn begin_rotation(
    dir: &Path,
    office: &str,
    trust: &mut TrustList,
    now: &str,
    kept: Option<&Path>,
) -> Result<PdfRotation, OfficeError> {
    let key_path = dir.join(PDF_KEY_FILE);
    let old = if key_path.exists() {
        let old = PdfSigner::load(&key_path)?;
        if let Some(kept) = kept {
            old.write_private(&kept.join(format!("{}.key", old.key_id.replace(':', "_"))))?;
        }
        for k in trust.keys.iter_mut().filter(|k| k.key_id == old.key_id) {
            k.not_after.get_or_insert_with(|| now.to_string());
        }
        Some(old.key_id.clone())
    } else {
        None
    };
    let new = PdfSigner::generate()?;
    trust.keys.push(TrustedKey::for_pdf_key(
        new.key_id(),
        &new.verifying_key(),
        office,
        now,
    ));
    Ok(PdfRotation { old, new })
}

/// Writes the rotated PDF key (replacing the old one's file) and its
/// certificate, once `trust` naming it is saved.
pub(super) fn finish_rotation(
    dir: &Path,
    office: &str,
    trust: &TrustList,
    rotation: &PdfRotation,
) -> Result<(), OfficeError> {
    let mut created = Vec::new();
    let (root_key, root) = root_pair(dir, office, &mut created)?;
    rotation.new.write_private(&dir.join(PDF_KEY_FILE))?;
    signing_cert(
        dir,
        &rotation.new,
        trust,
        &root_key,
        &root,
        office,
        &mut created,
    )?;
    Ok(())
}

/// Adds the PDF root to `trust`'s roots when it is not there (a rotation
/// of a directory that had none), creating it when missing.
pub(super) fn ensure_root_listed(
    dir: &Path,
    office: &str,
    trust: &mut TrustList,
) -> Result<(), OfficeError> {
    let (_, root) = root_pair(dir, office, &mut Vec::new())?;
    let pem = pki::to_pem(&root).map_err(pki_err)?;
    if !trust.roots.contains(&pem) {
        trust.roots.push(pem);
    }
    Ok(())
}
