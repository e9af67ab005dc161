//! The office's signing and root keys: key files (PKCS#8 PEM, owner-only),
//! creation, rotation, and the credentials issuing needs (signing key,
//! its certificate, the root certificate).

use std::io::Write;
use std::path::Path;

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::pki::{self, Certificate, PkiError};
use super::{
    OfficeError, TrustList, TrustedKey, ROOT_CERT_FILE, ROOT_KEY_FILE, SIGNING_CERT_FILE,
    SIGNING_KEY_FILE, TRUST_FILE,
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

    /// Loads the signing key from `dir`, or, when there is none, creates one
    /// (file mode 0600) and a trust file naming its public key for `office`.
    pub fn load_or_create(dir: &Path, office: &str) -> Result<Signer, OfficeError> {
        let key_path = dir.join(SIGNING_KEY_FILE);
        if key_path.exists() {
            return Signer::load(&key_path);
        }
        Signer::create(dir, office)
    }

    /// Creates a new signing key in `dir` (replacing the current one, which the
    /// caller has retired) and adds it to the trust file, valid from now.
    fn create(dir: &Path, office: &str) -> Result<Signer, OfficeError> {
        let key_path = dir.join(SIGNING_KEY_FILE);
        let mut secret = [0u8; 32];
        getrandom::getrandom(&mut secret).map_err(|e| OfficeError::Random(e.to_string()))?;
        let signer = Signer::from_secret(&secret);
        secret.fill(0);
        let tmp = dir.join(format!("{SIGNING_KEY_FILE}.new"));
        signer.write_private(&tmp)?;
        let trust_path = dir.join(TRUST_FILE);
        let mut trust = if trust_path.exists() {
            TrustList::load(&trust_path)?
        } else {
            TrustList::empty()
        };
        trust
            .keys
            .push(TrustedKey::for_signer(&signer, office, &now_rfc3339()));
        trust.save(&trust_path)?;
        std::fs::rename(&tmp, &key_path).map_err(|source| OfficeError::Io {
            path: key_path.clone(),
            source,
        })?;
        Ok(signer)
    }

    /// Writes the private key as PKCS#8 PEM to a new file readable by its owner only.
    fn write_private(&self, path: &Path) -> Result<(), OfficeError> {
        let io = |source| OfficeError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let pem = self
            .key
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|_| OfficeError::BadKey {
                path: path.to_path_buf(),
            })?;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(io)?;
        f.write_all(pem.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)
    }

    /// Retires the current signing key and creates a new one. The old key's
    /// validity ends now in the trust file, so documents it signed before stay
    /// valid; its private half moves to `retired/KEY.key`.
    pub fn rotate(dir: &Path, office: &str) -> Result<(String, Signer), OfficeError> {
        let key_path = dir.join(SIGNING_KEY_FILE);
        let old = Signer::load(&key_path)?;
        let retired = dir
            .join("retired")
            .join(format!("{}.key", old.key_id.replace(':', "_")));
        old.write_private(&retired)?;
        let trust_path = dir.join(TRUST_FILE);
        let mut trust = TrustList::load(&trust_path)?;
        let now = now_rfc3339();
        for k in trust.keys.iter_mut().filter(|k| k.key_id == old.key_id) {
            k.not_after = Some(now.clone());
        }
        trust.save(&trust_path)?;
        let new = Signer::create(dir, office)?;
        Ok((old.key_id.clone(), new))
    }

    /// Loads a signing key file, refusing one that others can read.
    pub fn load(path: &Path) -> Result<Signer, OfficeError> {
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
        let pem = std::fs::read_to_string(path).map_err(|source| OfficeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|_| OfficeError::BadKey {
            path: path.to_path_buf(),
        })?;
        let key_id = key_id(&key.verifying_key());
        Ok(Signer { key, key_id })
    }
}

/// Years a root certificate is valid.
const ROOT_YEARS: i64 = 20;
/// Years a signing certificate is valid.
const SIGNING_YEARS: i64 = 5;
const YEAR: i64 = 365 * 24 * 3600;

/// The signing key with its certificate chain: what issuing needs.
#[derive(Debug)]
pub struct Credentials {
    /// The signing key.
    pub signer: Signer,
    /// Its certificate, issued by the root.
    pub cert: Certificate,
    /// The office's root certificate.
    pub root: Certificate,
}

impl Credentials {
    /// Loads the office's keys and certificates from `dir`, creating whatever
    /// is missing: the root key and certificate (`root.pem`), the signing key,
    /// its certificate, and the trust file listing both.
    pub fn load_or_create(dir: &Path, office: &str) -> Result<Credentials, OfficeError> {
        let signer = Signer::load_or_create(dir, office)?;
        let root_key_path = dir.join(ROOT_KEY_FILE);
        let root_key = if root_key_path.exists() {
            Signer::load(&root_key_path)?
        } else {
            let mut secret = [0u8; 32];
            getrandom::getrandom(&mut secret).map_err(|e| OfficeError::Random(e.to_string()))?;
            let k = Signer::from_secret(&secret);
            secret.fill(0);
            k.write_private(&root_key_path)?;
            k
        };
        let pki_err = |e: PkiError| OfficeError::Serialize(e.to_string());
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let root_path = dir.join(ROOT_CERT_FILE);
        let root = match read_pem(&root_path)? {
            Some(c) if pki::public_key(&c).ok() == Some(root_key.verifying_key()) => c,
            _ => {
                let c = pki::issue_root(office, &root_key, now - 60, now + ROOT_YEARS * YEAR)
                    .map_err(pki_err)?;
                write_pem(&root_path, &c)?;
                c
            }
        };
        let cert_path = dir.join(SIGNING_CERT_FILE);
        let cert = match read_pem(&cert_path)? {
            Some(c) if pki::public_key(&c).ok() == Some(signer.verifying_key()) => c,
            _ => {
                let trust = TrustList::load(&dir.join(TRUST_FILE))?;
                let from = trust
                    .find(signer.key_id())
                    .and_then(|k| parse_rfc3339(&k.not_before))
                    .unwrap_or(now);
                let c = pki::issue_signing_cert(
                    office,
                    &root_key,
                    &root,
                    &signer.verifying_key(),
                    from - 60,
                    from + SIGNING_YEARS * YEAR,
                )
                .map_err(pki_err)?;
                write_pem(&cert_path, &c)?;
                c
            }
        };
        let trust_path = dir.join(TRUST_FILE);
        let mut trust = TrustList::load(&trust_path)?;
        let signed_by_root = trust.check_signature().is_ok_and(|c| c == root);
        if !signed_by_root {
            trust.sign(&root_key, &root)?;
            trust.save(&trust_path)?;
        }
        Ok(Credentials { signer, cert, root })
    }

    /// Signs `trust` with the office's root key (from `dir`) and writes it
    /// as `dir`'s trust file.
    pub fn save_trust(dir: &Path, trust: &mut TrustList) -> Result<(), OfficeError> {
        let root_key = Signer::load(&dir.join(ROOT_KEY_FILE))?;
        let root_path = dir.join(ROOT_CERT_FILE);
        let root = read_pem(&root_path)?.ok_or_else(|| OfficeError::BadTrust {
            path: root_path.clone(),
            detail: "no root certificate; run `docseal keys init`".into(),
        })?;
        trust.sign(&root_key, &root)?;
        trust.save(&dir.join(TRUST_FILE))
    }
}

fn read_pem(path: &Path) -> Result<Option<Certificate>, OfficeError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(pki::from_pem(&text).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(OfficeError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn write_pem(path: &Path, cert: &Certificate) -> Result<(), OfficeError> {
    let pem = pki::to_pem(cert).map_err(|e| OfficeError::Serialize(e.to_string()))?;
    crate::fsutil::write_durably(path, pem.as_bytes()).map_err(|e| OfficeError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn created_key_is_private_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let a = Signer::load_or_create(dir.path(), "Office").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SIGNING_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let b = Signer::load_or_create(dir.path(), "Office").unwrap();
        assert_eq!(a.key_id(), b.key_id());
        let (old, c) = Signer::rotate(dir.path(), "Office").unwrap();
        assert_eq!(old, a.key_id());
        assert_ne!(c.key_id(), a.key_id());
        let mut trust = TrustList::load(&dir.path().join(TRUST_FILE)).unwrap();
        assert_eq!(trust.keys.len(), 2);
        assert!(trust.find(a.key_id()).unwrap().not_after.is_some());
        assert!(trust.revoke(c.key_id(), "lost", "yesterday").is_err());
        trust
            .revoke(c.key_id(), "lost", "2030-01-01T00:00:00Z")
            .unwrap();
        assert_eq!(
            Signer::load_or_create(dir.path(), "Office")
                .unwrap()
                .key_id(),
            c.key_id()
        );
        assert!(!format!("{a:?}").contains(&hex::encode(a.key.to_bytes())));
    }
}
