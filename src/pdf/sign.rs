//! The PDF signature of a result document: PAdES B-B with Ed25519 (ISO 32002)
//! or ECDSA P-256 ([`PdfKey`]).
//!
//! Signing appends an incremental update to the PDF (the original bytes stay
//! as they are) with an invisible signature field and a `/Sig` dictionary whose
//! `/Contents` holds a detached CMS SignedData: digest SHA-512 with an Ed25519
//! signature, or SHA-256 with ECDSA P-256, over the signed attributes
//! (contentType, messageDigest, ESS signingCertificateV2), and the signing
//! and root certificates. Verification accepts both. Verifying
//! checks the byte range, the digest, the signature, and the certificate chain
//! against trusted roots at the signing time.

use std::collections::BTreeMap;

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{Any, ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, Encode, SliceReader};
use ed25519_dalek::{Signature, Verifier as _};
use lopdf::{Dictionary, Object, ObjectId};
use sha2::{Digest, Sha256, Sha512};
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::syntax::{decode_text, literal, parse_pdf_date, pdf_date, string_token, text_string};
use crate::model::format_rfc3339;
use crate::office::pki::{self, Certificate, PkiError, ID_ECDSA_WITH_SHA256, ID_ED25519};
use crate::office::{self, Signer};

/// Which key signs result PDFs (`pdf_signature`): the office's ECDSA P-256
/// PDF key by default, since Acrobat, Foxit and poppler's `pdfsig` do not
/// accept Ed25519 PDF signatures; or the Ed25519 document key (what
/// documents issued before the setting existed carry). The manifest and the
/// QR seal are Ed25519 either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PdfAlgorithm {
    /// `ecdsa-p256`: SHA-256 and ECDSA P-256, chained to the office's P-256
    /// PDF root.
    #[default]
    EcdsaP256,
    /// `ed25519`: SHA-512 and Ed25519 (ISO 32002) with the document key.
    Ed25519,
}

impl PdfAlgorithm {
    /// The setting's value for this algorithm.
    pub fn as_str(self) -> &'static str {
        match self {
            PdfAlgorithm::EcdsaP256 => "ecdsa-p256",
            PdfAlgorithm::Ed25519 => "ed25519",
        }
    }
}

impl std::str::FromStr for PdfAlgorithm {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<PdfAlgorithm, &'static str> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ecdsa-p256" => Ok(PdfAlgorithm::EcdsaP256),
            "ed25519" => Ok(PdfAlgorithm::Ed25519),
            _ => Err("ecdsa-p256 or ed25519"),
        }
    }
}

/// The key a PDF signature is made with.
#[derive(Clone, Copy)]
pub enum PdfKey<'a> {
    /// Ed25519 over SHA-512 (ISO 32002): pyHanko validates it; Acrobat,
    /// Foxit and poppler's `pdfsig` do not.
    Ed25519(&'a Signer),
    /// ECDSA P-256 over SHA-256: what common PDF viewers validate.
    P256(&'a p256::ecdsa::SigningKey),
}

impl PdfKey<'_> {
    /// Whether `cert` holds this key's public half.
    fn matches(&self, cert: &Certificate) -> Result<bool, PkiError> {
        Ok(match self {
            PdfKey::Ed25519(k) => pki::public_key(cert)? == k.verifying_key(),
            PdfKey::P256(k) => pki::p256_public_key(cert)? == *k.verifying_key(),
        })
    }

    /// The digest algorithm over the signed bytes.
    fn digest_oid(&self) -> ObjectIdentifier {
        match self {
            PdfKey::Ed25519(_) => ID_SHA512,
            PdfKey::P256(_) => ID_SHA256,
        }
    }

    /// The digest of `parts` by [`PdfKey::digest_oid`].
    fn digest(&self, parts: &[&[u8]]) -> Vec<u8> {
        digest_by(self.digest_oid(), parts)
    }

    /// The signature algorithm and the signature over `msg` (deterministic
    /// for both: RFC 8032 and RFC 6979).
    fn sign(&self, msg: &[u8]) -> (ObjectIdentifier, Vec<u8>) {
        match self {
            PdfKey::Ed25519(k) => (ID_ED25519, k.sign(msg).to_bytes().to_vec()),
            PdfKey::P256(k) => {
                let sig: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(*k, msg);
                (ID_ECDSA_WITH_SHA256, sig.to_der().as_bytes().to_vec())
            }
        }
    }
}

pub use crate::office::p256_key_id;

fn digest_by(oid: ObjectIdentifier, parts: &[&[u8]]) -> Vec<u8> {
    if oid == ID_SHA256 {
        let mut h = Sha256::new();
        parts.iter().for_each(|p| h.update(p));
        h.finalize().to_vec()
    } else {
        let mut h = Sha512::new();
        parts.iter().for_each(|p| h.update(p));
        h.finalize().to_vec()
    }
}

/// Hex digits reserved for the CMS in `/Contents` (8 KiB of DER).
pub const CONTENTS_HEX_LEN: usize = 16 * 1024;

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

const SUBFILTER_CADES: &[u8] = b"ETSI.CAdES.detached";
const SUBFILTER_PKCS7: &[u8] = b"adbe.pkcs7.detached";
/// Room left for the four `/ByteRange` numbers.
const BYTE_RANGE_WIDTH: usize = 48;

/// Errors of signing and verifying PDF signatures. Messages never contain key
/// material.
#[derive(Debug, thiserror::Error)]
pub enum PdfSignError {
    /// The bytes are not a PDF that can be read.
    #[error("not a readable PDF: {0}")]
    NotAPdf(String),
    /// The PDF is encrypted.
    #[error("the PDF is encrypted; sign or verify only unencrypted result documents")]
    Encrypted,
    /// The PDF's cross-reference data had to be repaired to read it.
    #[error("the PDF's cross-reference table is damaged; an incremental update cannot be appended to it safely")]
    Damaged,
    /// The PDF has no page to put the signature field on.
    #[error("the PDF has no pages")]
    NoPage,
    /// The signing key does not belong to the signing certificate.
    #[error("the signing key does not match the public key of the signing certificate {subject}")]
    KeyMismatch {
        /// The certificate's subject.
        subject: String,
    },
    /// The CMS does not fit the space reserved for it.
    #[error("the signature needs {needed} hex digits but only {room} are reserved")]
    ContentsTooLarge {
        /// Hex digits needed.
        needed: usize,
        /// Hex digits reserved.
        room: usize,
    },
    /// A certificate or the CMS could not be encoded.
    #[error("the signature cannot be encoded: {0}")]
    Encode(#[source] der::Error),
    /// The PDF carries no signature.
    #[error("the PDF is not signed: it has no signature field with a byte range")]
    Unsigned,
    /// A signature dictionary was found but it is not well-formed.
    #[error("the signature dictionary is damaged: {0}")]
    Malformed(String),
    /// The byte range leaves out more than the signature value itself.
    #[error("the signature does not cover the whole file: {0}")]
    PartialCoverage(String),
    /// The file ends before the end of the signed byte range.
    #[error("the file is {len} bytes but the signature covers {covered}: it was truncated")]
    Truncated {
        /// The file's length.
        len: usize,
        /// Where the signed range ends.
        covered: usize,
    },
    /// The signature value is not a CMS SignedData docseal understands.
    #[error("the signature value is not a valid CMS SignedData: {0}")]
    BadCms(String),
    /// The signature uses an algorithm or form this verifier does not accept.
    #[error("unsupported signature: {0}; docseal accepts Ed25519 with SHA-512 (ISO 32002)")]
    Unsupported(String),
    /// The digest of the signed bytes does not match the signed messageDigest.
    #[error("the signed bytes of the PDF were changed after signing (their SHA-512 does not match the signature)")]
    DigestMismatch,
    /// The Ed25519 signature over the signed attributes does not verify.
    #[error("the signature does not verify with the key of the signing certificate {subject}: the signature was altered or made with another key")]
    BadSignature {
        /// The signing certificate's subject.
        subject: String,
    },
    /// The CMS does not contain the certificate of its signer.
    #[error("the signature does not include its signing certificate")]
    SignerCertMissing,
    /// The signingCertificateV2 attribute names another certificate.
    #[error("the signed signingCertificateV2 attribute does not match the included certificate {subject}: the certificate was substituted")]
    SigningCertMismatch {
        /// The included certificate's subject.
        subject: String,
    },
    /// The signing certificate is not issued by any trusted root.
    #[error("the signing certificate {subject} (issued by {issuer}) is not issued by any trusted root; add the issuing office's root certificate to the trust list if it is genuine")]
    Untrusted {
        /// The signing certificate's subject.
        subject: String,
        /// Its issuer.
        issuer: String,
    },
    /// The signing certificate may not sign documents.
    #[error("the certificate {subject} is not allowed to sign documents (key usage)")]
    NotForSigning {
        /// The certificate's subject.
        subject: String,
    },
    /// The signing time is missing or unreadable.
    #[error("the signature has no readable signing time (/M)")]
    NoSigningTime,
    /// A certificate of the chain was not valid when the document was signed.
    #[error("the certificate {subject} was not valid at the signing time {signed_at} (valid {not_before} to {not_after})")]
    NotValidAtSigningTime {
        /// The certificate's subject.
        subject: String,
        /// The signing time, RFC 3339.
        signed_at: String,
        /// Start of validity, RFC 3339.
        not_before: String,
        /// End of validity, RFC 3339.
        not_after: String,
    },
    /// A certificate is unusable.
    #[error(transparent)]
    Certificate(#[from] PkiError),
}

/// How much of the file the signature covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Every byte but the signature value.
    WholeFile,
    /// The signed revision, followed by bytes added later.
    UpdatedAfterSigning {
        /// How many bytes follow the signed revision.
        appended_bytes: usize,
    },
}

impl std::fmt::Display for Coverage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Coverage::WholeFile => f.write_str("the signature covers the whole file"),
            Coverage::UpdatedAfterSigning { appended_bytes } => write!(
                f,
                "an incremental update was added after signing ({appended_bytes} bytes after the signed revision are not covered by the signature)"
            ),
        }
    }
}

/// A PDF signature that verified.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfSignature {
    /// The signing certificate.
    pub signer: Certificate,
    /// Its subject, RFC 4514 form.
    pub signer_subject: String,
    /// The id of the signing key (`office::key_id`).
    pub key_id: String,
    /// The trusted root the signing certificate chains to, by subject.
    pub root_subject: String,
    /// The signing time (`/M`), Unix seconds.
    pub signing_time: i64,
    /// `/Reason`, if given.
    pub reason: Option<String>,
    /// `/Location`, if given.
    pub location: Option<String>,
    /// `/ByteRange`.
    pub byte_range: [usize; 4],
    /// How much of the file is covered.
    pub coverage: Coverage,
}

/// Signs a PDF: appends an incremental update with an invisible signature
/// field on the last page and a PAdES B-B (ETSI.CAdES.detached) signature.
/// The original bytes are kept unchanged as the prefix of the result. The same
/// inputs give the same bytes.
#[allow(clippy::too_many_arguments)]
pub fn sign_pdf(
    pdf: &[u8],
    key: &Signer,
    signing_cert: &Certificate,
    root_cert: &Certificate,
    signing_time: i64,
    reason: &str,
    location: &str,
) -> Result<Vec<u8>, PdfSignError> {
    sign_pdf_with(
        pdf,
        PdfKey::Ed25519(key),
        signing_cert,
        root_cert,
        signing_time,
        reason,
        location,
    )
}

/// [`sign_pdf`] with either kind of key: the digest and signature follow
/// the key (SHA-512 and Ed25519, or SHA-256 and ECDSA P-256).
#[allow(clippy::too_many_arguments)]
pub fn sign_pdf_with(
    pdf: &[u8],
    key: PdfKey<'_>,
    signing_cert: &Certificate,
    root_cert: &Certificate,
    signing_time: i64,
    reason: &str,
    location: &str,
) -> Result<Vec<u8>, PdfSignError> {
    if !key.matches(signing_cert)? {
        return Err(PdfSignError::KeyMismatch {
            subject: pki::subject(signing_cert),
        });
    }
    let doc = load(pdf)?;
    if doc.xref_recovery.is_some() {
        return Err(PdfSignError::Damaged);
    }
    let prev = last_startxref(pdf).ok_or(PdfSignError::Damaged)?;
    let root_id = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| PdfSignError::NotAPdf("the trailer has no /Root".into()))?;
    let page_id = *doc
        .get_pages()
        .values()
        .next_back()
        .ok_or(PdfSignError::NoPage)?;
    let trailer_size = doc
        .trailer
        .get(b"Size")
        .and_then(Object::as_i64)
        .ok()
        .and_then(|s| u32::try_from(s).ok())
        .unwrap_or(0);
    let first_new = trailer_size
        .max(doc.reference_table.size)
        .max(doc.max_id + 1);
    let sig_id: ObjectId = (first_new, 0);
    let field_id: ObjectId = (first_new + 1, 0);
    let mut next_id = first_new + 2;

    // Objects this update writes, by id.
    let mut updated: BTreeMap<ObjectId, Object> = BTreeMap::new();

    // The page gets the widget in /Annots.
    let mut page = dict_of(&doc, page_id)?.clone();
    match page.get(b"Annots") {
        Ok(Object::Reference(annots_id)) => {
            let annots_id = *annots_id;
            let mut annots = doc
                .get_object(annots_id)
                .and_then(Object::as_array)
                .map_err(|_| {
                    PdfSignError::NotAPdf("the last page's /Annots is not an array".into())
                })?
                .clone();
            annots.push(Object::Reference(field_id));
            updated.insert(annots_id, Object::Array(annots));
        }
        Ok(Object::Array(a)) => {
            let mut a = a.clone();
            a.push(Object::Reference(field_id));
            page.set("Annots", Object::Array(a));
            updated.insert(page_id, Object::Dictionary(page));
        }
        _ => {
            page.set("Annots", Object::Array(vec![Object::Reference(field_id)]));
            updated.insert(page_id, Object::Dictionary(page));
        }
    }

    // The catalog's /AcroForm lists the field and says the document is signed.
    let mut catalog = dict_of(&doc, root_id)?.clone();
    let (form_id, mut form) = match catalog.get(b"AcroForm") {
        Ok(Object::Reference(id)) => (Some(*id), dict_of(&doc, *id)?.clone()),
        Ok(Object::Dictionary(d)) => (None, d.clone()),
        _ => (None, Dictionary::new()),
    };
    let mut field_names = Vec::new();
    match form.get(b"Fields") {
        Ok(Object::Reference(fields_id)) => {
            let fields_id = *fields_id;
            let mut fields = doc
                .get_object(fields_id)
                .and_then(Object::as_array)
                .map_err(|_| PdfSignError::NotAPdf("/AcroForm /Fields is not an array".into()))?
                .clone();
            field_names = top_level_names(&doc, &fields);
            fields.push(Object::Reference(field_id));
            updated.insert(fields_id, Object::Array(fields));
        }
        Ok(Object::Array(a)) => {
            field_names = top_level_names(&doc, a);
            let mut a = a.clone();
            a.push(Object::Reference(field_id));
            form.set("Fields", Object::Array(a));
        }
        _ => form.set("Fields", Object::Array(vec![Object::Reference(field_id)])),
    }
    form.set("SigFlags", Object::Integer(3));
    match form_id {
        Some(id) => {
            updated.insert(id, Object::Dictionary(form));
        }
        None => {
            catalog.set("AcroForm", Object::Dictionary(form));
            updated.insert(root_id, Object::Dictionary(catalog));
        }
    }

    let mut n = 1;
    let field_name = loop {
        let name = format!("Signature{n}");
        if !field_names.iter().any(|f| f.as_slice() == name.as_bytes()) {
            break name;
        }
        n += 1;
    };
    let mut field = Dictionary::new();
    field.set("Type", Object::Name(b"Annot".to_vec()));
    field.set("Subtype", Object::Name(b"Widget".to_vec()));
    field.set("FT", Object::Name(b"Sig".to_vec()));
    field.set(
        "T",
        Object::String(field_name.into_bytes(), lopdf::StringFormat::Literal),
    );
    field.set("F", Object::Integer(132));
    field.set("Rect", Object::Array(vec![Object::Integer(0); 4]));
    field.set("P", Object::Reference(page_id));
    field.set("V", Object::Reference(sig_id));
    updated.insert(field_id, Object::Dictionary(field));

    // Write the update.
    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") && !out.ends_with(b"\r") {
        out.push(b'\n');
    }
    let mut offsets: BTreeMap<u32, usize> = BTreeMap::new();

    offsets.insert(sig_id.0, out.len());
    out.extend_from_slice(format!("{} 0 obj\n", sig_id.0).as_bytes());
    out.extend_from_slice(b"<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached");
    out.extend_from_slice(b" /M ");
    out.extend_from_slice(&literal(pdf_date(signing_time).as_bytes()));
    out.extend_from_slice(b" /Reason ");
    out.extend_from_slice(&string_token(&text_string(reason)));
    out.extend_from_slice(b" /Location ");
    out.extend_from_slice(&string_token(&text_string(location)));
    out.extend_from_slice(b" /ByteRange [");
    let byte_range_at = out.len();
    out.extend_from_slice(&[b' '; BYTE_RANGE_WIDTH]);
    out.extend_from_slice(b"] /Contents ");
    let hole_start = out.len();
    out.push(b'<');
    out.extend_from_slice(&[b'0'; CONTENTS_HEX_LEN]);
    out.push(b'>');
    let hole_end = out.len();
    out.extend_from_slice(b">>\nendobj\n");

    for (id, object) in &updated {
        offsets.insert(id.0, out.len());
        out.extend_from_slice(format!("{} {} obj\n", id.0, id.1).as_bytes());
        lopdf::Writer::write_object(&mut out, object)
            .map_err(|e| PdfSignError::NotAPdf(e.to_string()))?;
        out.extend_from_slice(b"\nendobj\n");
    }

    let mut trailer = Dictionary::new();
    trailer.set("Root", Object::Reference(root_id));
    for key in [b"Info".as_slice(), b"ID"] {
        if let Ok(v) = doc.trailer.get(key) {
            trailer.set(key, v.clone());
        }
    }
    trailer.set("Prev", Object::Integer(prev as i64));
    match doc.reference_table.cross_reference_type {
        lopdf::xref::XrefType::CrossReferenceTable => {
            trailer.set("Size", Object::Integer(i64::from(next_id)));
            let xref_at = out.len();
            out.extend_from_slice(b"xref\n");
            for run in runs(&offsets) {
                out.extend_from_slice(format!("{} {}\n", run[0].0, run.len()).as_bytes());
                for (_, off) in run {
                    out.extend_from_slice(format!("{off:010} 00000 n\r\n").as_bytes());
                }
            }
            out.extend_from_slice(b"trailer\n");
            lopdf::Writer::write_object(&mut out, &Object::Dictionary(trailer))
                .map_err(|e| PdfSignError::NotAPdf(e.to_string()))?;
            out.extend_from_slice(format!("\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
        }
        lopdf::xref::XrefType::CrossReferenceStream => {
            let xref_id = next_id;
            next_id += 1;
            let xref_at = out.len();
            offsets.insert(xref_id, xref_at);
            let mut index = Vec::new();
            let mut data = Vec::new();
            for run in runs(&offsets) {
                index.push(Object::Integer(i64::from(run[0].0)));
                index.push(Object::Integer(run.len() as i64));
                for (_, off) in run {
                    let off = u32::try_from(off).map_err(|_| {
                        PdfSignError::NotAPdf("the PDF is larger than 4 GiB".into())
                    })?;
                    data.push(1u8);
                    data.extend_from_slice(&off.to_be_bytes());
                    data.extend_from_slice(&[0, 0]);
                }
            }
            trailer.set("Type", Object::Name(b"XRef".to_vec()));
            trailer.set("Size", Object::Integer(i64::from(next_id)));
            trailer.set("Index", Object::Array(index));
            trailer.set(
                "W",
                Object::Array(vec![
                    Object::Integer(1),
                    Object::Integer(4),
                    Object::Integer(2),
                ]),
            );
            trailer.set("Length", Object::Integer(data.len() as i64));
            out.extend_from_slice(format!("{xref_id} 0 obj\n").as_bytes());
            lopdf::Writer::write_object(&mut out, &Object::Dictionary(trailer))
                .map_err(|e| PdfSignError::NotAPdf(e.to_string()))?;
            out.extend_from_slice(b"\nstream\n");
            out.extend_from_slice(&data);
            out.extend_from_slice(b"\nendstream\nendobj\n");
            out.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
        }
    }

    // Fill in the byte range, then the signature.
    let byte_range = [0, hole_start, hole_end, out.len() - hole_end];
    let numbers = format!(
        "{} {} {} {}",
        byte_range[0], byte_range[1], byte_range[2], byte_range[3]
    );
    out[byte_range_at..byte_range_at + numbers.len()].copy_from_slice(numbers.as_bytes());

    let digest = key.digest(&[&out[..hole_start], &out[hole_end..]]);
    let cms = signed_data(&digest, key, signing_cert, root_cert)?;
    let hex = hex::encode_upper(&cms);
    if hex.len() > CONTENTS_HEX_LEN {
        return Err(PdfSignError::ContentsTooLarge {
            needed: hex.len(),
            room: CONTENTS_HEX_LEN,
        });
    }
    out[hole_start + 1..hole_start + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(out)
}

/// Verifies the signature of a signed PDF against trusted roots: the byte
/// range, the digest (SHA-512 or SHA-256), the Ed25519 or ECDSA P-256 signature over the signed
/// attributes, the signing certificate's chain to a trusted root and its
/// validity at the signing time. Bytes appended after the signed revision are
/// reported in [`PdfSignature::coverage`], not treated as an error.
pub fn verify_pdf(pdf: &[u8], trusted_roots: &[Certificate]) -> Result<PdfSignature, PdfSignError> {
    let found = find_signature_in(pdf)?;
    let coverage = coverage_of(&found, pdf);
    let br = found.byte_range;
    let covered = br[2] + br[3];
    let subfilter = found.subfilter.as_slice();
    if subfilter != SUBFILTER_CADES && subfilter != SUBFILTER_PKCS7 {
        return Err(PdfSignError::Unsupported(format!(
            "/SubFilter /{}",
            String::from_utf8_lossy(subfilter)
        )));
    }

    // The CMS.
    let mut reader =
        SliceReader::new(&found.contents).map_err(|e| PdfSignError::BadCms(e.to_string()))?;
    let info = ContentInfo::decode(&mut reader).map_err(|e| PdfSignError::BadCms(e.to_string()))?;
    // The reserved space after the signature must be untouched zero padding.
    let used = usize::try_from(der::Reader::position(&reader)).unwrap_or(found.contents.len());
    if found
        .contents
        .get(used..)
        .is_some_and(|rest| rest.iter().any(|&b| b != 0))
    {
        return Err(PdfSignError::BadCms(
            "the signature value has data after it; the file was changed after signing".into(),
        ));
    }
    if info.content_type != ID_SIGNED_DATA {
        return Err(PdfSignError::BadCms(format!(
            "content type {} is not signedData",
            info.content_type
        )));
    }
    let sd: SignedData = info
        .content
        .decode_as()
        .map_err(|e| PdfSignError::BadCms(e.to_string()))?;
    if sd.encap_content_info.econtent.is_some() {
        return Err(PdfSignError::Unsupported(
            "the CMS is not detached (it embeds content)".into(),
        ));
    }
    let signer_info = match sd.signer_infos.0.as_slice() {
        [one] => one,
        [] => return Err(PdfSignError::BadCms("no SignerInfo".into())),
        _ => return Err(PdfSignError::Unsupported("more than one SignerInfo".into())),
    };
    let digest_oid = signer_info.digest_alg.oid;
    let signature_oid = signer_info.signature_algorithm.oid;
    match (digest_oid, signature_oid) {
        (ID_SHA512, ID_ED25519) | (ID_SHA256, ID_ECDSA_WITH_SHA256) => {}
        (ID_SHA512 | ID_SHA256, _) => {
            return Err(PdfSignError::Unsupported(format!(
                "signature algorithm {signature_oid} with digest {digest_oid}"
            )))
        }
        _ => {
            return Err(PdfSignError::Unsupported(format!(
                "digest algorithm {digest_oid}"
            )))
        }
    }
    let attrs = signer_info
        .signed_attrs
        .as_ref()
        .ok_or_else(|| PdfSignError::BadCms("no signed attributes".into()))?;
    let content_type: ObjectIdentifier = single_attr(attrs, ID_CONTENT_TYPE)?
        .ok_or_else(|| PdfSignError::BadCms("no contentType attribute".into()))?;
    if content_type != ID_DATA {
        return Err(PdfSignError::BadCms(format!(
            "the contentType attribute is {content_type}, not id-data"
        )));
    }
    let message_digest: OctetString = single_attr(attrs, ID_MESSAGE_DIGEST)?
        .ok_or_else(|| PdfSignError::BadCms("no messageDigest attribute".into()))?;
    if message_digest.as_bytes() != digest_by(digest_oid, &[&pdf[..br[1]], &pdf[br[2]..covered]]) {
        return Err(PdfSignError::DigestMismatch);
    }

    // The signer's certificate.
    let certs: Vec<&Certificate> = sd
        .certificates
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    CertificateChoices::Certificate(c) => Some(c),
                    CertificateChoices::Other(_) => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let signer = certs
        .iter()
        .copied()
        .find(|c| identifies(&signer_info.sid, c))
        .ok_or(PdfSignError::SignerCertMissing)?;
    let subject = pki::subject(signer);
    let ess: Option<SigningCertificateV2> = single_attr(attrs, ID_SIGNING_CERTIFICATE_V2)?;
    match ess {
        Some(ess) => {
            let signer_der = pki::to_der(signer)?;
            let first = ess
                .certs
                .first()
                .ok_or_else(|| PdfSignError::BadCms("empty signingCertificateV2".into()))?;
            let alg = first.hash_algorithm.as_ref().map_or(ID_SHA256, |a| a.oid);
            let hash = match alg {
                ID_SHA256 => Sha256::digest(&signer_der).to_vec(),
                ID_SHA512 => Sha512::digest(&signer_der).to_vec(),
                other => {
                    return Err(PdfSignError::Unsupported(format!(
                        "signingCertificateV2 hash algorithm {other}"
                    )))
                }
            };
            if first.cert_hash.as_bytes() != hash.as_slice() {
                return Err(PdfSignError::SigningCertMismatch { subject });
            }
        }
        None if subfilter == SUBFILTER_CADES => {
            return Err(PdfSignError::BadCms(
                "no signingCertificateV2 attribute, which PAdES requires".into(),
            ))
        }
        None => {}
    }

    // The signature.
    let signed_bytes = attrs.to_der().map_err(PdfSignError::Encode)?;
    let bad = || PdfSignError::BadSignature {
        subject: subject.clone(),
    };
    let key_id = if signature_oid == ID_ED25519 {
        let public = pki::public_key(signer)?;
        let sig: [u8; 64] = signer_info
            .signature
            .as_bytes()
            .try_into()
            .map_err(|_| bad())?;
        public
            .verify(&signed_bytes, &Signature::from_bytes(&sig))
            .map_err(|_| bad())?;
        office::key_id(&public)
    } else {
        let public = pki::p256_public_key(signer)?;
        let sig = p256::ecdsa::Signature::from_der(signer_info.signature.as_bytes())
            .map_err(|_| bad())?;
        p256::ecdsa::signature::Verifier::verify(&public, &signed_bytes, &sig)
            .map_err(|_| bad())?;
        p256_key_id(&public)
    };

    // The chain and the signing time.
    let root = trusted_roots
        .iter()
        .find(|root| pki::verify_issued_by(signer, root).is_ok())
        .ok_or_else(|| PdfSignError::Untrusted {
            subject: subject.clone(),
            issuer: pki::issuer(signer),
        })?;
    if !pki::may_sign_documents(signer) || pki::is_ca(signer) {
        return Err(PdfSignError::NotForSigning { subject });
    }
    let signing_time = found.signing_time.ok_or(PdfSignError::NoSigningTime)?;
    for cert in [signer, root] {
        if !pki::is_valid_at(cert, signing_time) {
            let (nb, na) = pki::validity(cert);
            return Err(PdfSignError::NotValidAtSigningTime {
                subject: pki::subject(cert),
                signed_at: format_rfc3339(signing_time),
                not_before: format_rfc3339(nb),
                not_after: format_rfc3339(na),
            });
        }
    }
    // The CMS's certificates are not covered by the signature: any besides
    // the signer's must be exactly a trusted root, so none changes unnoticed.
    if let Some(other) = certs
        .iter()
        .find(|c| **c != signer && !trusted_roots.contains(c))
    {
        return Err(PdfSignError::BadCms(format!(
            "it carries a certificate ({}) that is neither the signer's nor a trusted root; the file was changed after signing",
            pki::subject(other)
        )));
    }
    Ok(PdfSignature {
        signer: signer.clone(),
        signer_subject: subject,
        key_id,
        root_subject: pki::subject(root),
        signing_time,
        reason: found.reason,
        location: found.location,
        byte_range: br,
        coverage,
    })
}

/// ESS signingCertificateV2 (RFC 5035).
#[derive(Clone, Debug, Eq, PartialEq, der::Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
    #[asn1(optional = "true")]
    policies: Option<Vec<Any>>,
}

/// ESSCertIDv2 (RFC 5035); the hash algorithm defaults to SHA-256.
#[derive(Clone, Debug, Eq, PartialEq, der::Sequence)]
struct EssCertIdV2 {
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<IssuerSerial>,
}

/// IssuerSerial (RFC 5035).
#[derive(Clone, Debug, Eq, PartialEq, der::Sequence)]
struct IssuerSerial {
    issuer: Vec<GeneralName>,
    serial_number: SerialNumber,
}

fn attribute<T: Encode>(oid: ObjectIdentifier, value: &T) -> Result<Attribute, PdfSignError> {
    let any = Any::from_der(&value.to_der().map_err(PdfSignError::Encode)?)
        .map_err(PdfSignError::Encode)?;
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![any]).map_err(PdfSignError::Encode)?,
    })
}

/// The DER CMS SignedData over a SHA-512 digest.
fn signed_data(
    digest: &[u8],
    key: PdfKey<'_>,
    signing_cert: &Certificate,
    root_cert: &Certificate,
) -> Result<Vec<u8>, PdfSignError> {
    let tbs = &signing_cert.tbs_certificate;
    let ess = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: None,
            cert_hash: OctetString::new(Sha256::digest(pki::to_der(signing_cert)?).to_vec())
                .map_err(PdfSignError::Encode)?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(tbs.issuer.clone())],
                serial_number: tbs.serial_number.clone(),
            }),
        }],
        policies: None,
    };
    let attrs = SetOfVec::try_from(vec![
        attribute(ID_CONTENT_TYPE, &ID_DATA)?,
        attribute(
            ID_MESSAGE_DIGEST,
            &OctetString::new(digest).map_err(PdfSignError::Encode)?,
        )?,
        attribute(ID_SIGNING_CERTIFICATE_V2, &ess)?,
    ])
    .map_err(PdfSignError::Encode)?;
    let (signature_oid, signature) = key.sign(&attrs.to_der().map_err(PdfSignError::Encode)?);
    let digest_alg = AlgorithmIdentifierOwned {
        oid: key.digest_oid(),
        parameters: None,
    };
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: tbs.issuer.clone(),
            serial_number: tbs.serial_number.clone(),
        }),
        digest_alg: digest_alg.clone(),
        signed_attrs: Some(attrs),
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: signature_oid,
            parameters: None,
        },
        signature: OctetString::new(signature).map_err(PdfSignError::Encode)?,
        unsigned_attrs: None,
    };
    let sd = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![digest_alg]).map_err(PdfSignError::Encode)?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: Some(
            CertificateSet::try_from(vec![
                CertificateChoices::Certificate(signing_cert.clone()),
                CertificateChoices::Certificate(root_cert.clone()),
            ])
            .map_err(PdfSignError::Encode)?,
        ),
        crls: None,
        signer_infos: SignerInfos(
            SetOfVec::try_from(vec![signer_info]).map_err(PdfSignError::Encode)?,
        ),
    };
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&sd).map_err(PdfSignError::Encode)?,
    }
    .to_der()
    .map_err(PdfSignError::Encode)
}

/// The one value of a signed attribute, if the attribute is there.
fn single_attr<T: for<'b> Decode<'b>>(
    attrs: &SetOfVec<Attribute>,
    oid: ObjectIdentifier,
) -> Result<Option<T>, PdfSignError> {
    let mut matching = attrs.iter().filter(|a| a.oid == oid);
    let Some(attr) = matching.next() else {
        return Ok(None);
    };
    if matching.next().is_some() || attr.values.len() != 1 {
        return Err(PdfSignError::BadCms(format!(
            "attribute {oid} must appear once with one value"
        )));
    }
    let value = attr
        .values
        .get(0)
        .ok_or_else(|| PdfSignError::BadCms(format!("attribute {oid} has no value")))?;
    value
        .to_der()
        .and_then(|der| T::from_der(&der))
        .map(Some)
        .map_err(|e| PdfSignError::BadCms(format!("attribute {oid}: {e}")))
}

/// Whether `cert` is the one a SignerIdentifier names.
fn identifies(sid: &SignerIdentifier, cert: &Certificate) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            ias.issuer == cert.tbs_certificate.issuer
                && ias.serial_number == cert.tbs_certificate.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => matches!(
            cert.tbs_certificate.get::<SubjectKeyIdentifier>(),
            Ok(Some((_, own))) if own == *ski
        ),
    }
}

/// A signature found in a PDF, before any cryptographic check.
struct FoundSignature {
    byte_range: [usize; 4],
    contents: Vec<u8>,
    subfilter: Vec<u8>,
    signing_time: Option<i64>,
    reason: Option<String>,
    location: Option<String>,
}

/// Finds the first signature whose `/ByteRange` is backed by a signature
/// field of the revision it signs.
/// How much of `pdf` its signature covers, found by the bytes alone (no
/// object is parsed): what a verifier checks before it reads anything else,
/// so that bytes appended after signing are never parsed.
pub fn signed_coverage(pdf: &[u8]) -> Result<Coverage, PdfSignError> {
    let found = find_signature_in(pdf)?;
    Ok(coverage_of(&found, pdf))
}

fn find_signature_in(pdf: &[u8]) -> Result<FoundSignature, PdfSignError> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(PdfSignError::NotAPdf("it does not start with %PDF-".into()));
    }
    find_signature(pdf)
}

fn coverage_of(found: &FoundSignature, pdf: &[u8]) -> Coverage {
    let br = found.byte_range;
    let covered = br[2] + br[3];
    if covered == pdf.len() {
        Coverage::WholeFile
    } else {
        Coverage::UpdatedAfterSigning {
            appended_bytes: pdf.len().saturating_sub(covered),
        }
    }
}

fn find_signature(pdf: &[u8]) -> Result<FoundSignature, PdfSignError> {
    let mut first_problem: Option<PdfSignError> = None;
    let mut from = 0;
    while let Some(pos) = find(&pdf[from..], b"/ByteRange").map(|p| p + from) {
        from = pos + 1;
        match signature_at(pdf, pos) {
            Ok(Some(found)) => return Ok(found),
            Ok(None) => {}
            Err(e) => {
                first_problem.get_or_insert(e);
            }
        }
    }
    Err(first_problem.unwrap_or(PdfSignError::Unsigned))
}

/// The signature whose `/ByteRange` key is at `pos`, if it is one.
fn signature_at(pdf: &[u8], pos: usize) -> Result<Option<FoundSignature>, PdfSignError> {
    let Some(br) = parse_byte_range(&pdf[pos + b"/ByteRange".len()..]) else {
        return Err(PdfSignError::Malformed(
            "/ByteRange is not an array of four numbers".into(),
        ));
    };
    if br[0] != 0 {
        return Err(PdfSignError::PartialCoverage(format!(
            "it starts at byte {}, not at the beginning",
            br[0]
        )));
    }
    let covered = br[2]
        .checked_add(br[3])
        .ok_or_else(|| PdfSignError::Malformed("/ByteRange overflows".into()))?;
    if br[1] >= br[2] || br[2] > covered {
        return Err(PdfSignError::Malformed(format!(
            "/ByteRange [{} {} {} {}] is not in order",
            br[0], br[1], br[2], br[3]
        )));
    }
    if covered > pdf.len() {
        return Err(PdfSignError::Truncated {
            len: pdf.len(),
            covered,
        });
    }
    let hole = &pdf[br[1]..br[2]];
    if hole.len() < 2 || hole[0] != b'<' || hole[hole.len() - 1] != b'>' {
        return Err(PdfSignError::PartialCoverage(
            "the bytes left out are not just the signature value".into(),
        ));
    }
    let digits = &hole[1..hole.len() - 1];
    // One case throughout: a digit whose case changed would decode the same,
    // and an unsigned change of the file must not go unnoticed.
    let upper = digits.iter().any(u8::is_ascii_uppercase);
    let lower = digits.iter().any(u8::is_ascii_lowercase);
    let contents = hex::decode(digits)
        .ok()
        .filter(|_| !(upper && lower))
        .ok_or_else(|| {
            PdfSignError::PartialCoverage(
                "the bytes left out are not just the signature value".into(),
            )
        })?;
    let doc = load(&pdf[..covered])?;
    let Some(sig) = signature_dict(&doc, &br) else {
        return Ok(None);
    };
    let same_contents = matches!(sig.get(b"Contents"), Ok(Object::String(c, _)) if *c == contents);
    if !same_contents {
        return Err(PdfSignError::PartialCoverage(
            "the bytes left out are not the /Contents of the signature".into(),
        ));
    }
    let name = |key: &[u8]| match sig.get(key) {
        Ok(Object::Name(n)) => n.clone(),
        _ => Vec::new(),
    };
    let text = |key: &[u8]| match sig.get(key) {
        Ok(Object::String(s, _)) => Some(decode_text(s)),
        _ => None,
    };
    let signing_time = match sig.get(b"M") {
        Ok(Object::String(s, _)) => parse_pdf_date(s),
        _ => None,
    };
    Ok(Some(FoundSignature {
        byte_range: br,
        contents,
        subfilter: name(b"SubFilter"),
        signing_time,
        reason: text(b"Reason"),
        location: text(b"Location"),
    }))
}

/// The `/V` of a signature field of `doc` whose `/ByteRange` is `br`.
fn signature_dict<'a>(doc: &'a lopdf::Document, br: &[usize; 4]) -> Option<&'a Dictionary> {
    let catalog = doc.catalog().ok()?;
    let form = deref_dict(doc, catalog.get(b"AcroForm").ok()?)?;
    let (_, fields) = doc.dereference(form.get(b"Fields").ok()?).ok()?;
    let mut stack: Vec<&Object> = fields.as_array().ok()?.iter().collect();
    let mut seen = 0;
    while let Some(obj) = stack.pop() {
        seen += 1;
        if seen > 10_000 {
            return None;
        }
        let Some(field) = deref_dict(doc, obj) else {
            continue;
        };
        if let Ok(Object::Array(kids)) = field.get(b"Kids") {
            stack.extend(kids.iter());
        }
        let is_sig = matches!(field.get(b"FT"), Ok(Object::Name(n)) if n == b"Sig");
        if !is_sig {
            continue;
        }
        let Some(v) = field.get(b"V").ok().and_then(|v| deref_dict(doc, v)) else {
            continue;
        };
        let matches = match v.get(b"ByteRange") {
            Ok(Object::Array(a)) => {
                a.len() == 4
                    && a.iter().zip(br).all(|(o, n)| {
                        o.as_i64().ok().and_then(|i| usize::try_from(i).ok()) == Some(*n)
                    })
            }
            _ => false,
        };
        if matches {
            return Some(v);
        }
    }
    None
}

fn deref_dict<'a>(doc: &'a lopdf::Document, obj: &'a Object) -> Option<&'a Dictionary> {
    doc.dereference(obj).ok()?.1.as_dict().ok()
}

fn dict_of(doc: &lopdf::Document, id: ObjectId) -> Result<&Dictionary, PdfSignError> {
    doc.get_object(id)
        .and_then(Object::as_dict)
        .map_err(|_| PdfSignError::NotAPdf(format!("object {} {} is not a dictionary", id.0, id.1)))
}

fn top_level_names(doc: &lopdf::Document, fields: &[Object]) -> Vec<Vec<u8>> {
    fields
        .iter()
        .filter_map(|f| deref_dict(doc, f))
        .filter_map(|d| match d.get(b"T") {
            Ok(Object::String(s, _)) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn load(pdf: &[u8]) -> Result<lopdf::Document, PdfSignError> {
    let doc = lopdf::Document::load_mem(pdf).map_err(|e| PdfSignError::NotAPdf(e.to_string()))?;
    if doc.encryption_state.is_some() || doc.trailer.has(b"Encrypt") {
        return Err(PdfSignError::Encrypted);
    }
    Ok(doc)
}

/// The offset after the last `startxref`.
fn last_startxref(pdf: &[u8]) -> Option<usize> {
    let tail_start = pdf.len().saturating_sub(2048);
    let tail = &pdf[tail_start..];
    let at = tail.windows(9).rposition(|w| w == b"startxref")?;
    let rest = &tail[at + 9..];
    let digits: Vec<u8> = rest
        .iter()
        .copied()
        .skip_while(u8::is_ascii_whitespace)
        .take_while(u8::is_ascii_digit)
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Four non-negative integers in `[ ... ]`, after optional whitespace.
fn parse_byte_range(bytes: &[u8]) -> Option<[usize; 4]> {
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if bytes.get(i) != Some(&b'[') {
        return None;
    }
    i += 1;
    let mut out = [0usize; 4];
    for slot in &mut out {
        skip_ws(&mut i);
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() && i - start < 15 {
            i += 1;
        }
        *slot = std::str::from_utf8(&bytes[start..i]).ok()?.parse().ok()?;
    }
    skip_ws(&mut i);
    (bytes.get(i) == Some(&b']')).then_some(out)
}

/// Consecutive runs of object numbers with their offsets.
fn runs(offsets: &BTreeMap<u32, usize>) -> Vec<Vec<(u32, usize)>> {
    let mut out: Vec<Vec<(u32, usize)>> = Vec::new();
    for (&id, &off) in offsets {
        match out.last_mut() {
            Some(run) if run.last().is_some_and(|(last, _)| last + 1 == id) => run.push((id, off)),
            _ => out.push(vec![(id, off)]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::{dictionary, Stream};

    const OFFICE: &str = "UBND phường Bến Nghé, TP. Hồ Chí Minh";
    const T2024: i64 = 1_704_067_200; // 2024-01-01T00:00:00Z
    const T2034: i64 = 2_019_686_400; // 2034-01-01T00:00:00Z
    const SIGNED_AT: i64 = 1_720_171_800; // 2024-07-05T09:30:00Z

    struct Office {
        key: Signer,
        cert: Certificate,
        root: Certificate,
    }

    fn office(seed: u8) -> Office {
        let root_key = Signer::from_secret(&[seed; 32]);
        let root = pki::issue_root(OFFICE, &root_key, T2024, T2034).unwrap();
        let key = Signer::from_secret(&[seed + 1; 32]);
        let cert =
            pki::issue_signing_cert(OFFICE, &root_key, &root, &key.verifying_key(), T2024, T2034)
                .unwrap();
        Office { key, cert, root }
    }

    /// A one-page PDF; with `modern`, a cross-reference stream.
    fn small_pdf(modern: bool) -> Vec<u8> {
        let mut doc = lopdf::Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let font_id = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => "Helvetica",
        });
        let content = b"BT /F1 14 Tf 72 760 Td (GIAY KHAI SINH - DS-TEST) Tj ET".to_vec();
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Contents" => content_id,
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => vec![page_id.into()],
                "Count" => 1,
            }),
        );
        let catalog_id = doc.add_object(dictionary! {
            "Type" => "Catalog",
            "Pages" => pages_id,
        });
        doc.trailer.set("Root", catalog_id);
        doc.trailer.set(
            "ID",
            Object::Array(vec![
                Object::String(vec![1; 16], lopdf::StringFormat::Hexadecimal),
                Object::String(vec![1; 16], lopdf::StringFormat::Hexadecimal),
            ]),
        );
        let mut out = Vec::new();
        if modern {
            doc.save_modern(&mut out).unwrap();
        } else {
            doc.save_to(&mut out).unwrap();
        }
        out
    }

    fn signed(o: &Office, modern: bool) -> (Vec<u8>, Vec<u8>) {
        let pdf = small_pdf(modern);
        let out = sign_pdf(
            &pdf,
            &o.key,
            &o.cert,
            &o.root,
            SIGNED_AT,
            "Bản điện tử được cấp từ bản giấy",
            "Bến Nghé",
        )
        .unwrap();
        (pdf, out)
    }

    /// Regression: one changed byte in the copy of the root certificate that
    /// the CMS carries (outside the signed attributes) went unnoticed.
    #[test]
    fn a_changed_byte_in_the_embedded_root_certificate_is_caught() {
        let o = office(1);
        let (_, out) = signed(&o, false);
        let der = pki::to_der(&o.root).unwrap();
        let tail = &der[der.len() - 8..];
        let (at, upper) = [true, false]
            .into_iter()
            .find_map(|upper| {
                let h = if upper {
                    hex::encode_upper(tail)
                } else {
                    hex::encode(tail)
                };
                out.windows(h.len())
                    .position(|w| w == h.as_bytes())
                    .map(|at| (at, upper))
            })
            .expect("the root certificate is embedded in the CMS");
        let mut bad = out.clone();
        bad[at] = match (bad[at], upper) {
            (b'0', _) => b'1',
            (_, true) => b'0',
            (_, false) => b'0',
        };
        assert!(verify_pdf(&bad, std::slice::from_ref(&o.root)).is_err());
    }

    #[test]
    fn a_signed_pdf_verifies_and_keeps_the_original_bytes() {
        let o = office(1);
        for modern in [false, true] {
            let (original, out) = signed(&o, modern);
            assert!(out.starts_with(&original));
            let sig = verify_pdf(&out, std::slice::from_ref(&o.root)).unwrap();
            assert_eq!(sig.coverage, Coverage::WholeFile);
            assert_eq!(sig.signing_time, SIGNED_AT);
            assert_eq!(sig.key_id, o.key.key_id());
            assert_eq!(sig.signer, o.cert);
            assert_eq!(
                sig.reason.as_deref(),
                Some("Bản điện tử được cấp từ bản giấy")
            );
            assert_eq!(sig.location.as_deref(), Some("Bến Nghé"));
            assert!(sig.root_subject.contains("Root CA"));
            // The result is still a readable PDF with one page.
            let doc = lopdf::Document::load_mem(&out).unwrap();
            assert_eq!(doc.get_pages().len(), 1);
            // Deterministic.
            assert_eq!(signed(&o, modern).1, out);
        }
    }

    #[test]
    fn any_changed_byte_in_the_signed_range_is_caught() {
        let o = office(1);
        let (_, out) = signed(&o, false);
        let sig = verify_pdf(&out, std::slice::from_ref(&o.root)).unwrap();
        let [_, hole_start, hole_end, _] = sig.byte_range;
        let positions = (0..hole_start)
            .step_by(7)
            .chain((hole_end..out.len()).step_by(3));
        for i in positions {
            let mut bad = out.clone();
            bad[i] ^= 0x04;
            assert!(
                verify_pdf(&bad, std::slice::from_ref(&o.root)).is_err(),
                "flipping byte {i} ({:?}) went unnoticed",
                char::from(out[i])
            );
        }
        // The signed content itself, named.
        let at = find(&out, b"DS-TEST").unwrap();
        let mut bad = out.clone();
        bad[at + 3] = b'X';
        assert!(matches!(
            verify_pdf(&bad, std::slice::from_ref(&o.root)),
            Err(PdfSignError::DigestMismatch)
        ));
        // The signature value: the last 64 bytes of the DER.
        let head = hex::decode(&out[hole_start + 1..hole_start + 9]).unwrap();
        assert_eq!(&head[..2], &[0x30, 0x82]);
        let der_len = 4 + usize::from(u16::from_be_bytes([head[2], head[3]]));
        let mut bad = out.clone();
        let sig_hex = hole_start + 1 + 2 * (der_len - 10);
        bad[sig_hex] = if bad[sig_hex] == b'A' { b'B' } else { b'A' };
        assert!(verify_pdf(&bad, std::slice::from_ref(&o.root)).is_err());
    }

    #[test]
    fn bytes_appended_after_signing_are_reported() {
        let o = office(1);
        let (_, mut out) = signed(&o, false);
        out.extend_from_slice(b"% an update\n1 0 obj\n<<>>\nendobj\n");
        let sig = verify_pdf(&out, std::slice::from_ref(&o.root)).unwrap();
        assert_eq!(
            sig.coverage,
            Coverage::UpdatedAfterSigning { appended_bytes: 32 }
        );
        assert!(sig
            .coverage
            .to_string()
            .contains("an incremental update was added after signing"));
        let truncated = &out[..out.len() - 40];
        assert!(matches!(
            verify_pdf(truncated, std::slice::from_ref(&o.root)),
            Err(PdfSignError::Truncated { .. })
        ));
    }

    #[test]
    fn a_foreign_root_is_untrusted_and_time_is_checked() {
        let o = office(1);
        let other = office(5);
        let (original, out) = signed(&o, false);
        let err = verify_pdf(&out, std::slice::from_ref(&other.root)).unwrap_err();
        assert!(matches!(err, PdfSignError::Untrusted { .. }), "{err}");
        assert!(err.to_string().contains("not issued by any trusted root"));
        assert!(matches!(
            verify_pdf(&out, &[]),
            Err(PdfSignError::Untrusted { .. })
        ));
        let late = sign_pdf(&original, &o.key, &o.cert, &o.root, T2034 + 10, "r", "l").unwrap();
        assert!(matches!(
            verify_pdf(&late, std::slice::from_ref(&o.root)),
            Err(PdfSignError::NotValidAtSigningTime { .. })
        ));
        assert!(matches!(
            verify_pdf(&original, std::slice::from_ref(&o.root)),
            Err(PdfSignError::Unsigned)
        ));
        assert!(matches!(
            sign_pdf(&original, &other.key, &o.cert, &o.root, SIGNED_AT, "r", "l"),
            Err(PdfSignError::KeyMismatch { .. })
        ));
        assert!(matches!(
            sign_pdf(b"not a pdf", &o.key, &o.cert, &o.root, SIGNED_AT, "r", "l"),
            Err(PdfSignError::NotAPdf(_))
        ));
    }

    #[test]
    fn a_second_signature_joins_the_form_and_the_first_reports_the_update() {
        let o = office(1);
        let (_, once) = signed(&o, false);
        let twice = sign_pdf(&once, &o.key, &o.cert, &o.root, SIGNED_AT + 60, "r", "l").unwrap();
        assert!(twice.starts_with(&once));
        let first = verify_pdf(&twice, std::slice::from_ref(&o.root)).unwrap();
        assert_eq!(first.signing_time, SIGNED_AT);
        assert_eq!(
            first.coverage,
            Coverage::UpdatedAfterSigning {
                appended_bytes: twice.len() - once.len()
            }
        );
        let doc = lopdf::Document::load_mem(&twice).unwrap();
        let form = deref_dict(&doc, doc.catalog().unwrap().get(b"AcroForm").unwrap()).unwrap();
        let fields = form.get(b"Fields").unwrap().as_array().unwrap();
        assert_eq!(
            top_level_names(&doc, fields),
            [b"Signature1".to_vec(), b"Signature2".to_vec()]
        );
    }

    /// pyHanko (PyPI `pyhanko` + `pyhanko-cli`) must judge the signature
    /// intact, valid and trusted; this test fails when pyHanko is missing.
    /// `pyhanko sign validate` of `pdf` with `root` as the only trust anchor:
    /// whether it succeeded, and what it said.
    fn pyhanko_validate(root: &std::path::Path, pdf: &std::path::Path) -> (bool, String) {
        let result = std::process::Command::new("pyhanko")
            .args(["sign", "validate", "--trust"])
            .arg(root)
            .args(["--trust-replace", "--no-revocation-check"])
            .arg(pdf)
            .output()
            .expect("pyhanko must be installed: pip install pyhanko pyhanko-cli");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        );
        (result.status.success(), text)
    }

    #[test]
    fn pyhanko_accepts_the_signature() {
        let o = office(1);
        let dir = tempfile::tempdir().unwrap();
        let root_pem = dir.path().join("root.pem");
        std::fs::write(&root_pem, pki::to_pem(&o.root).unwrap()).unwrap();
        for modern in [false, true] {
            let (_, out) = signed(&o, modern);
            let pdf_path = dir.path().join(format!("signed-{modern}.pdf"));
            std::fs::write(&pdf_path, &out).unwrap();
            let (ok, text) = pyhanko_validate(&root_pem, &pdf_path);
            assert!(ok, "pyhanko rejected it: {text}");
            // e.g. `Signature1:<hash>:INTACT:TRUSTED,UNTOUCHED`
            assert!(text.contains(":INTACT:TRUSTED,UNTOUCHED"), "{text}");
        }
    }
    /// A P-256 PDF-signing key and its certificate under office `seed`'s
    /// (Ed25519) root.
    fn p256_office(seed: u8) -> (p256::ecdsa::SigningKey, Certificate, Certificate) {
        let root_key = Signer::from_secret(&[seed; 32]);
        let root = pki::issue_root(OFFICE, &root_key, T2024, T2034).unwrap();
        let key = p256::ecdsa::SigningKey::from_slice(&[seed + 7; 32]).unwrap();
        let cert = pki::issue_pdf_signing_cert(
            OFFICE,
            pki::CertKey::Ed25519(&root_key),
            &root,
            key.verifying_key(),
            T2024,
            T2034,
        )
        .unwrap();
        (key, cert, root)
    }

    fn p256_signed(seed: u8) -> (Vec<u8>, p256::ecdsa::SigningKey, Certificate, Certificate) {
        let (key, cert, root) = p256_office(seed);
        let out = sign_pdf_with(
            &small_pdf(true),
            PdfKey::P256(&key),
            &cert,
            &root,
            SIGNED_AT,
            "Bản điện tử được cấp từ bản giấy",
            "Bến Nghé",
        )
        .unwrap();
        (out, key, cert, root)
    }

    #[test]
    fn a_p256_signature_verifies_and_any_changed_byte_is_caught() {
        let (out, key, _, root) = p256_signed(3);
        let sig = verify_pdf(&out, std::slice::from_ref(&root)).unwrap();
        assert_eq!(sig.key_id, p256_key_id(key.verifying_key()));
        assert_eq!(sig.coverage, Coverage::WholeFile);
        // Deterministic (RFC 6979).
        assert_eq!(p256_signed(3).0, out);
        let br = sig.byte_range;
        for at in [0, br[1] / 2, br[1] - 1, br[2], br[2] + br[3] - 1] {
            let mut bad = out.clone();
            bad[at] ^= 0x01;
            assert!(
                verify_pdf(&bad, std::slice::from_ref(&root)).is_err(),
                "byte {at}"
            );
        }
        // Another office's root does not vouch for it.
        let (_, _, other_root) = p256_office(9);
        assert!(matches!(
            verify_pdf(&out, &[other_root]),
            Err(PdfSignError::Untrusted { .. })
        ));
    }

    #[test]
    fn pdfsig_and_pyhanko_validate_a_p256_signature() {
        let (out, _, _, root) = p256_signed(5);
        let dir = tempfile::tempdir().unwrap();
        let pdf_path = dir.path().join("p256.pdf");
        std::fs::write(&pdf_path, &out).unwrap();
        let root_pem = dir.path().join("root.pem");
        std::fs::write(&root_pem, pki::to_pem(&root).unwrap()).unwrap();
        let text = |o: &std::process::Output| {
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        };
        let pdfsig = std::process::Command::new("pdfsig")
            .arg(&pdf_path)
            .output()
            .expect("pdfsig (poppler-utils) must be installed");
        let said = text(&pdfsig);
        assert!(
            said.contains("Signature Validation: Signature is Valid."),
            "{said}"
        );
        assert!(said.contains("ETSI.CAdES.detached"), "{said}");
        let (ok, said) = pyhanko_validate(&root_pem, &pdf_path);
        assert!(ok && said.contains(":INTACT:TRUSTED,UNTOUCHED"), "{said}");
    }
}
