//! X.509 certificates for the issuing office: a self-signed Ed25519 root per
//! office and the Ed25519 document-signing certificate it issues, and a
//! self-signed ECDSA P-256 PDF root with the P-256 certificate of the key PDF
//! viewers validate (an all-ECDSA chain: NSS refuses Ed25519 certificates),
//! with DER and PEM export and import and the checks a verifier needs.

use std::time::Duration;

use der::asn1::{
    Any, BitString, GeneralizedTime, ObjectIdentifier, OctetString, PrintableStringRef, SetOfVec,
    UtcTime, Utf8StringRef,
};
use der::pem::LineEnding;
use der::{DateTime, Decode, DecodePem, Encode, EncodePem};
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::ext::{AsExtension, Extension};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

pub use x509_cert::Certificate;

use super::Signer;

/// The key a certificate is signed with: the office's Ed25519 root, or its
/// ECDSA P-256 PDF root (whose chain PDF viewers can check).
#[derive(Clone, Copy)]
pub enum CertKey<'a> {
    /// Ed25519 (RFC 8410).
    Ed25519(&'a Signer),
    /// ECDSA P-256 with SHA-256 (RFC 5758).
    P256(&'a p256::ecdsa::SigningKey),
}

impl CertKey<'_> {
    /// The key identifier of the public half (see [`key_identifier`]).
    fn key_identifier(&self) -> Vec<u8> {
        match self {
            CertKey::Ed25519(k) => key_identifier(&k.verifying_key()),
            CertKey::P256(k) => {
                key_identifier_of(k.verifying_key().to_encoded_point(false).as_bytes())
            }
        }
    }

    /// The signature algorithm (no parameters, RFC 8410 and RFC 5758).
    fn algorithm(&self) -> AlgorithmIdentifierOwned {
        let oid = match self {
            CertKey::Ed25519(_) => ID_ED25519,
            CertKey::P256(_) => ID_ECDSA_WITH_SHA256,
        };
        AlgorithmIdentifierOwned {
            oid,
            parameters: None,
        }
    }

    /// The signature over `msg` as the certificate's BIT STRING holds it
    /// (deterministic for both: RFC 8032 and RFC 6979).
    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            CertKey::Ed25519(k) => k.sign(msg).to_bytes().to_vec(),
            CertKey::P256(k) => {
                let sig: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(*k, msg);
                sig.to_der().as_bytes().to_vec()
            }
        }
    }
}

/// The Ed25519 algorithm (RFC 8410).
pub const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// An elliptic-curve public key (RFC 5480).
pub const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// The curve P-256, `secp256r1` (RFC 5480).
pub const ID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// ECDSA with SHA-256 (RFC 5758).
pub const ID_ECDSA_WITH_SHA256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ID_AT_COUNTRY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
const ID_AT_ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const ID_AT_COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// Errors of issuing, reading and checking certificates.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// A certificate could not be encoded (a name or time out of range).
    #[error("the certificate cannot be encoded: {0}")]
    Encode(#[source] der::Error),
    /// Bytes that should hold a certificate do not.
    #[error("not a valid X.509 certificate ({format}): {source}")]
    Parse {
        /// `DER` or `PEM`.
        format: &'static str,
        /// What the decoder found.
        #[source]
        source: der::Error,
    },
    /// The validity period is empty or outside what X.509 can express.
    #[error(
        "the validity period {not_before}..{not_after} (Unix seconds) is empty or out of range"
    )]
    BadValidity {
        /// Start, Unix seconds.
        not_before: i64,
        /// End, Unix seconds.
        not_after: i64,
    },
    /// The certificate's key is not an Ed25519 public key.
    #[error("the certificate for {subject} does not hold an Ed25519 public key")]
    NotEd25519 {
        /// The certificate's subject.
        subject: String,
    },
    /// The certificate's key is not an ECDSA P-256 public key.
    #[error("the certificate for {subject} does not hold an ECDSA P-256 public key")]
    NotP256 {
        /// The certificate's subject.
        subject: String,
    },
    /// The certificate names another issuer than the one it is checked against.
    #[error("the certificate for {subject} was issued by {issuer}, not by {expected}")]
    WrongIssuer {
        /// The certificate's subject.
        subject: String,
        /// Its issuer.
        issuer: String,
        /// The issuer it was checked against.
        expected: String,
    },
    /// The issuer's signature on the certificate does not verify.
    #[error("the signature on the certificate for {subject} does not verify with the key of {issuer}: it was altered or issued by someone else")]
    BadSignature {
        /// The certificate's subject.
        subject: String,
        /// The issuer it was checked against.
        issuer: String,
    },
    /// The issuer is not a certification authority.
    #[error("{issuer} is not a certification authority (basicConstraints CA:true and keyCertSign are required)")]
    NotCa {
        /// The issuer.
        issuer: String,
    },
}

/// The certificate's subject, RFC 4514 form (`CN=...,O=...,C=VN`).
pub fn subject(cert: &Certificate) -> String {
    cert.tbs_certificate.subject.to_string()
}

/// The certificate's issuer, RFC 4514 form.
pub fn issuer(cert: &Certificate) -> String {
    cert.tbs_certificate.issuer.to_string()
}

/// The certificate's validity as Unix seconds, inclusive.
pub fn validity(cert: &Certificate) -> (i64, i64) {
    let v = &cert.tbs_certificate.validity;
    (unix(v.not_before), unix(v.not_after))
}

/// Whether the certificate was valid at `at` (Unix seconds).
pub fn is_valid_at(cert: &Certificate, at: i64) -> bool {
    let (nb, na) = validity(cert);
    nb <= at && at <= na
}

fn unix(t: Time) -> i64 {
    i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// The certificate's Ed25519 public key.
pub fn public_key(cert: &Certificate) -> Result<VerifyingKey, PkiError> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let not_ed = || PkiError::NotEd25519 {
        subject: subject(cert),
    };
    if spki.algorithm.oid != ID_ED25519 {
        return Err(not_ed());
    }
    let raw: [u8; 32] = spki
        .subject_public_key
        .as_bytes()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(not_ed)?;
    VerifyingKey::from_bytes(&raw).map_err(|_| not_ed())
}

/// The key identifier docseal puts in SubjectKeyIdentifier: the leftmost 160
/// bits of the SHA-256 of the public key (RFC 7093, method 1).
pub fn key_identifier(public: &VerifyingKey) -> Vec<u8> {
    key_identifier_of(public.as_bytes())
}

/// [`key_identifier`] of a public key's bytes as its SubjectPublicKeyInfo
/// holds them (for P-256, the uncompressed point).
fn key_identifier_of(public: &[u8]) -> Vec<u8> {
    Sha256::digest(public)[..20].to_vec()
}

/// The certificate's ECDSA P-256 public key.
pub fn p256_public_key(cert: &Certificate) -> Result<p256::ecdsa::VerifyingKey, PkiError> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let not_p256 = || PkiError::NotP256 {
        subject: subject(cert),
    };
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    if spki.algorithm.oid != ID_EC_PUBLIC_KEY || curve != Some(ID_P256) {
        return Err(not_p256());
    }
    let point = spki.subject_public_key.as_bytes().ok_or_else(not_p256)?;
    p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| not_p256())
}

fn ed25519_spki(public: &VerifyingKey) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
    Ok(SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: ID_ED25519,
            parameters: None,
        },
        subject_public_key: BitString::from_bytes(public.as_bytes()).map_err(PkiError::Encode)?,
    })
}

fn p256_spki(public: &p256::ecdsa::VerifyingKey) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
    Ok(SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: ID_EC_PUBLIC_KEY,
            parameters: Some(Any::encode_from(&ID_P256).map_err(PkiError::Encode)?),
        },
        subject_public_key: BitString::from_bytes(public.to_encoded_point(false).as_bytes())
            .map_err(PkiError::Encode)?,
    })
}

/// DER bytes of a certificate.
pub fn to_der(cert: &Certificate) -> Result<Vec<u8>, PkiError> {
    cert.to_der().map_err(PkiError::Encode)
}

/// The certificate's SHA-256 fingerprint: the SHA-256 of its DER bytes,
/// lower-case hex.
pub fn fingerprint(cert: &Certificate) -> Result<String, PkiError> {
    Ok(hex::encode(Sha256::digest(to_der(cert)?)))
}

/// A fingerprint as people compare it: upper-case hex pairs joined by colons,
/// as `openssl x509 -noout -fingerprint -sha256` prints it.
pub fn fingerprint_for_people(hex_fingerprint: &str) -> String {
    hex_fingerprint
        .as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(":")
}

/// PEM text of a certificate (`-----BEGIN CERTIFICATE-----`).
pub fn to_pem(cert: &Certificate) -> Result<String, PkiError> {
    cert.to_pem(LineEnding::LF).map_err(PkiError::Encode)
}

/// A certificate from DER bytes.
pub fn from_der(bytes: &[u8]) -> Result<Certificate, PkiError> {
    Certificate::from_der(bytes).map_err(|source| PkiError::Parse {
        format: "DER",
        source,
    })
}

/// A certificate from PEM text.
pub fn from_pem(text: &str) -> Result<Certificate, PkiError> {
    Certificate::from_pem(text).map_err(|source| PkiError::Parse {
        format: "PEM",
        source,
    })
}

/// The extensions of a root: CA:true with no intermediate below it,
/// keyCertSign and cRLSign, and its subject key identifier.
fn ca_extensions(name: &Name, ski: &[u8]) -> Result<Vec<Extension>, PkiError> {
    Ok(vec![
        extension(
            &BasicConstraints {
                ca: true,
                path_len_constraint: Some(0),
            },
            name,
        )?,
        extension(&KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign), name)?,
        extension(&subject_key_id(ski)?, name)?,
    ])
}

/// Issues the office's self-signed root: CA:true, keyCertSign and cRLSign,
/// valid from `not_before` to `not_after` (Unix seconds). Deterministic.
pub fn issue_root(
    office: &str,
    key: &Signer,
    not_before: i64,
    not_after: i64,
) -> Result<Certificate, PkiError> {
    let name = office_name(office, "Root CA")?;
    let public = key.verifying_key();
    let extensions = ca_extensions(&name, &key_identifier(&public))?;
    build(
        CertKey::Ed25519(key),
        name.clone(),
        name,
        ed25519_spki(&public)?,
        not_before,
        not_after,
        extensions,
    )
}

/// Issues the office's self-signed ECDSA P-256 root for PDF signatures
/// (what agencies import into NSS, Acrobat or Foxit, which do not accept
/// Ed25519): CA:true, keyCertSign and cRLSign. Deterministic.
pub fn issue_pdf_root(
    office: &str,
    key: &p256::ecdsa::SigningKey,
    not_before: i64,
    not_after: i64,
) -> Result<Certificate, PkiError> {
    let name = office_name(office, "PDF Root CA")?;
    let signer = CertKey::P256(key);
    let extensions = ca_extensions(&name, &signer.key_identifier())?;
    build(
        signer,
        name.clone(),
        name,
        p256_spki(key.verifying_key())?,
        not_before,
        not_after,
        extensions,
    )
}

/// Issues the certificate of the office's ECDSA P-256 PDF-signing key under
/// `root_key`: its P-256 PDF root ([`issue_pdf_root`]), an all-ECDSA chain
/// that NSS (`pdfsig`), Acrobat and Foxit validate, or the Ed25519 root.
/// Deterministic.
pub fn issue_pdf_signing_cert(
    office: &str,
    root_key: CertKey<'_>,
    root_cert: &Certificate,
    signing_public_key: &p256::ecdsa::VerifyingKey,
    not_before: i64,
    not_after: i64,
) -> Result<Certificate, PkiError> {
    let name = office_name(office, "PDF Signing")?;
    issue_leaf(
        name,
        root_key,
        root_cert,
        p256_spki(signing_public_key)?,
        not_before,
        not_after,
    )
}

/// Issues the document-signing certificate for `signing_public_key` under the
/// office's root: CA:false, digitalSignature and nonRepudiation, with
/// authority and subject key identifiers. Deterministic.
pub fn issue_signing_cert(
    office: &str,
    root_key: &Signer,
    root_cert: &Certificate,
    signing_public_key: &VerifyingKey,
    not_before: i64,
    not_after: i64,
) -> Result<Certificate, PkiError> {
    let name = office_name(office, "Document Signing")?;
    issue_leaf(
        name,
        CertKey::Ed25519(root_key),
        root_cert,
        ed25519_spki(signing_public_key)?,
        not_before,
        not_after,
    )
}

fn issue_leaf(
    name: Name,
    root_key: CertKey<'_>,
    root_cert: &Certificate,
    spki: SubjectPublicKeyInfoOwned,
    not_before: i64,
    not_after: i64,
) -> Result<Certificate, PkiError> {
    let issuer = root_cert.tbs_certificate.subject.clone();
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(
            OctetString::new(root_key.key_identifier()).map_err(PkiError::Encode)?,
        ),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    let ski = key_identifier_of(spki.subject_public_key.raw_bytes());
    let extensions = vec![
        extension(
            &BasicConstraints {
                ca: false,
                path_len_constraint: None,
            },
            &name,
        )?,
        extension(
            &KeyUsage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation),
            &name,
        )?,
        extension(&aki, &name)?,
        extension(&subject_key_id(&ski)?, &name)?,
    ];
    build(
        root_key, issuer, name, spki, not_before, not_after, extensions,
    )
}

/// Checks that `cert` was issued by `issuer_cert`: names match, the issuer is
/// a CA, and the issuer's key verifies the certificate's signature.
pub fn verify_issued_by(cert: &Certificate, issuer_cert: &Certificate) -> Result<(), PkiError> {
    if cert.tbs_certificate.issuer != issuer_cert.tbs_certificate.subject {
        return Err(PkiError::WrongIssuer {
            subject: subject(cert),
            issuer: issuer(cert),
            expected: subject(issuer_cert),
        });
    }
    if !is_ca(issuer_cert) {
        return Err(PkiError::NotCa {
            issuer: subject(issuer_cert),
        });
    }
    let bad = || PkiError::BadSignature {
        subject: subject(cert),
        issuer: subject(issuer_cert),
    };
    let tbs = cert.tbs_certificate.to_der().map_err(PkiError::Encode)?;
    let sig = cert.signature.as_bytes().ok_or_else(bad)?;
    match cert.signature_algorithm.oid {
        ID_ED25519 => {
            let key = public_key(issuer_cert)?;
            let sig: [u8; 64] = sig.try_into().map_err(|_| bad())?;
            key.verify(&tbs, &Signature::from_bytes(&sig))
                .map_err(|_| bad())
        }
        ID_ECDSA_WITH_SHA256 => {
            let key = p256_public_key(issuer_cert)?;
            let sig = p256::ecdsa::Signature::from_der(sig).map_err(|_| bad())?;
            p256::ecdsa::signature::Verifier::verify(&key, &tbs, &sig).map_err(|_| bad())
        }
        _ => Err(bad()),
    }
}

/// Whether the certificate is a CA allowed to sign certificates.
pub fn is_ca(cert: &Certificate) -> bool {
    let ca = matches!(
        cert.tbs_certificate.get::<BasicConstraints>(),
        Ok(Some((_, bc))) if bc.ca
    );
    let cert_sign = match cert.tbs_certificate.get::<KeyUsage>() {
        Ok(Some((_, ku))) => ku.key_cert_sign(),
        Ok(None) => true,
        Err(_) => false,
    };
    ca && cert_sign
}

/// Whether the certificate may sign documents (digitalSignature or
/// nonRepudiation, when it says).
pub fn may_sign_documents(cert: &Certificate) -> bool {
    match cert.tbs_certificate.get::<KeyUsage>() {
        Ok(Some((_, ku))) => ku.digital_signature() || ku.non_repudiation(),
        Ok(None) => true,
        Err(_) => false,
    }
}

fn build(
    signer: CertKey<'_>,
    issuer: Name,
    subject: Name,
    spki: SubjectPublicKeyInfoOwned,
    not_before: i64,
    not_after: i64,
    extensions: Vec<Extension>,
) -> Result<Certificate, PkiError> {
    let bad_validity = || PkiError::BadValidity {
        not_before,
        not_after,
    };
    if not_after <= not_before {
        return Err(bad_validity());
    }
    let validity = Validity {
        not_before: x509_time(not_before).ok_or_else(bad_validity)?,
        not_after: x509_time(not_after).ok_or_else(bad_validity)?,
    };
    let algorithm = signer.algorithm();
    let serial = serial_number(&subject, spki.subject_public_key.raw_bytes(), not_before)?;
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: serial,
        signature: algorithm.clone(),
        issuer,
        validity,
        subject,
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let tbs_der = tbs.to_der().map_err(PkiError::Encode)?;
    let signature = signer.sign(&tbs_der);
    Ok(Certificate {
        tbs_certificate: tbs,
        signature_algorithm: algorithm,
        signature: BitString::from_bytes(&signature).map_err(PkiError::Encode)?,
    })
}

/// A positive 128-bit serial derived from what the certificate is about, so
/// that issuing is deterministic and two different certificates differ.
fn serial_number(subject: &Name, public: &[u8], not_before: i64) -> Result<SerialNumber, PkiError> {
    let mut h = Sha256::new();
    h.update(b"docseal/certificate-serial\0");
    h.update(subject.to_der().map_err(PkiError::Encode)?);
    h.update(public);
    h.update(not_before.to_be_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&h.finalize()[..16]);
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::new(&bytes).map_err(PkiError::Encode)
}

/// UTCTime through 2049, GeneralizedTime after (RFC 5280, 4.1.2.5).
fn x509_time(unix_seconds: i64) -> Option<Time> {
    let secs = u64::try_from(unix_seconds).ok()?;
    let dt = DateTime::from_unix_duration(Duration::from_secs(secs)).ok()?;
    if dt.year() < 2050 {
        UtcTime::from_date_time(dt).ok().map(Time::UtcTime)
    } else {
        Some(Time::GeneralTime(GeneralizedTime::from_date_time(dt)))
    }
}

fn office_name(office: &str, role: &str) -> Result<Name, PkiError> {
    let country = Any::encode_from(&PrintableStringRef::new("VN").map_err(PkiError::Encode)?)
        .map_err(PkiError::Encode)?;
    let org = Any::encode_from(&Utf8StringRef::new(office).map_err(PkiError::Encode)?)
        .map_err(PkiError::Encode)?;
    let cn_text = format!("{office} {role}");
    let cn = Any::encode_from(&Utf8StringRef::new(&cn_text).map_err(PkiError::Encode)?)
        .map_err(PkiError::Encode)?;
    let rdn = |oid, value| -> Result<RelativeDistinguishedName, PkiError> {
        let set = SetOfVec::try_from(vec![AttributeTypeAndValue { oid, value }])
            .map_err(PkiError::Encode)?;
        Ok(RelativeDistinguishedName(set))
    };
    Ok(RdnSequence(vec![
        rdn(ID_AT_COUNTRY, country)?,
        rdn(ID_AT_ORGANIZATION, org)?,
        rdn(ID_AT_COMMON_NAME, cn)?,
    ]))
}

fn subject_key_id(id: &[u8]) -> Result<SubjectKeyIdentifier, PkiError> {
    Ok(SubjectKeyIdentifier(
        OctetString::new(id).map_err(PkiError::Encode)?,
    ))
}

fn extension<T: AsExtension>(ext: &T, subject: &Name) -> Result<Extension, PkiError> {
    ext.to_extension(subject, &[]).map_err(PkiError::Encode)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFICE: &str = "UBND phường Bến Nghé, TP. Hồ Chí Minh";
    const T2024: i64 = 1_704_067_200; // 2024-01-01T00:00:00Z
    const T2034: i64 = 2_019_686_400; // 2034-01-01T00:00:00Z

    fn chain() -> (Signer, Certificate, Signer, Certificate) {
        let root_key = Signer::from_secret(&[1u8; 32]);
        let root = issue_root(OFFICE, &root_key, T2024, T2034 + 3600 * 24 * 365 * 20).unwrap();
        let signing_key = Signer::from_secret(&[2u8; 32]);
        let cert = issue_signing_cert(
            OFFICE,
            &root_key,
            &root,
            &signing_key.verifying_key(),
            T2024,
            T2034,
        )
        .unwrap();
        (root_key, root, signing_key, cert)
    }

    #[test]
    fn the_chain_verifies_and_round_trips() {
        let (_, root, signing_key, cert) = chain();
        verify_issued_by(&root, &root).unwrap();
        verify_issued_by(&cert, &root).unwrap();
        assert!(is_ca(&root));
        assert!(!is_ca(&cert));
        assert!(may_sign_documents(&cert));
        assert_eq!(public_key(&cert).unwrap(), signing_key.verifying_key());
        assert_eq!(validity(&cert), (T2024, T2034));
        assert!(is_valid_at(&cert, T2024 + 1) && !is_valid_at(&cert, T2034 + 1));
        assert!(subject(&cert).contains("CN=UBND phường Bến Nghé"));
        assert_eq!(issuer(&cert), subject(&root));
        let der = to_der(&cert).unwrap();
        assert_eq!(from_der(&der).unwrap(), cert);
        let pem = to_pem(&root).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(from_pem(&pem).unwrap(), root);
        // Issuing is deterministic.
        assert_eq!(to_der(&chain().3).unwrap(), der);
    }

    #[test]
    fn a_foreign_or_altered_certificate_does_not_verify() {
        let (_, root, _, cert) = chain();
        let other_key = Signer::from_secret(&[9u8; 32]);
        let other_root = issue_root(OFFICE, &other_key, T2024, T2034).unwrap();
        assert!(matches!(
            verify_issued_by(&cert, &other_root),
            Err(PkiError::BadSignature { .. })
        ));
        let mut altered = cert.clone();
        altered.tbs_certificate.validity.not_after = x509_time(T2034 + 1).unwrap();
        assert!(matches!(
            verify_issued_by(&altered, &root),
            Err(PkiError::BadSignature { .. })
        ));
        assert!(matches!(
            verify_issued_by(&root, &cert),
            Err(PkiError::WrongIssuer { .. })
        ));
        assert!(from_der(b"not a certificate").is_err());
        assert!(matches!(
            issue_root(OFFICE, &other_key, T2034, T2024),
            Err(PkiError::BadValidity { .. })
        ));
    }

    #[test]
    fn the_p256_pdf_chain_verifies_here_and_in_openssl() {
        let root_key = p256::ecdsa::SigningKey::from_slice(&[3u8; 32]).unwrap();
        let root = issue_pdf_root(OFFICE, &root_key, T2024, T2034 + 3600).unwrap();
        let key = p256::ecdsa::SigningKey::from_slice(&[4u8; 32]).unwrap();
        let cert = issue_pdf_signing_cert(
            OFFICE,
            CertKey::P256(&root_key),
            &root,
            key.verifying_key(),
            T2024,
            T2034,
        )
        .unwrap();
        verify_issued_by(&root, &root).unwrap();
        verify_issued_by(&cert, &root).unwrap();
        assert!(is_ca(&root) && !is_ca(&cert));
        assert_eq!(p256_public_key(&cert).unwrap(), *key.verifying_key());
        assert!(subject(&root).contains("PDF Root CA"));
        // Another P-256 root, or the Ed25519 root, did not issue it.
        let other_key = p256::ecdsa::SigningKey::from_slice(&[5u8; 32]).unwrap();
        let other = issue_pdf_root(OFFICE, &other_key, T2024, T2034).unwrap();
        assert!(matches!(
            verify_issued_by(&cert, &other),
            Err(PkiError::BadSignature { .. })
        ));
        let mut altered = cert.clone();
        altered.tbs_certificate.validity.not_after = x509_time(T2034 + 1).unwrap();
        assert!(verify_issued_by(&altered, &root).is_err());
        // Deterministic (RFC 6979).
        assert_eq!(
            issue_pdf_root(OFFICE, &root_key, T2024, T2034 + 3600).unwrap(),
            root
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("root.pem"), to_pem(&root).unwrap()).unwrap();
        std::fs::write(dir.path().join("leaf.pem"), to_pem(&cert).unwrap()).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(dir.path().join("root.pem"))
            .arg("-attime")
            .arg((T2024 + 3600).to_string())
            .arg(dir.path().join("leaf.pem"))
            .output()
            .expect("openssl must be installed");
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn openssl_parses_both_certificates() {
        let (_, root, _, cert) = chain();
        let dir = tempfile::tempdir().unwrap();
        for (name, c) in [("root.pem", &root), ("signing.pem", &cert)] {
            let path = dir.path().join(name);
            std::fs::write(&path, to_pem(c).unwrap()).unwrap();
            let out = std::process::Command::new("openssl")
                .args(["x509", "-text", "-noout", "-in"])
                .arg(&path)
                .output()
                .expect("openssl must be installed");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "openssl rejected {name}: {text}");
            assert!(text.contains("ED25519"), "{text}");
            assert!(text.contains("Subject Key Identifier"), "{text}");
        }
        let out = std::process::Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(dir.path().join("root.pem"))
            .arg("-attime")
            .arg((T2024 + 3600).to_string())
            .arg(dir.path().join("signing.pem"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
