//! The QR seal printed on the certificate page, so that a printed copy can be
//! checked against what it prints.
//!
//! The payload (document id, type, normalized fields, source SHA-256, key id,
//! issue time) is a CBOR map signed as a COSE_Sign1 (RFC 9052, EdDSA), then
//! zlib-compressed, base45-encoded and prefixed with `DS1:`, in the shape of
//! the EU digital COVID certificate's `HC1:`. The text is drawn as a QR code of
//! at most version 25 at error-correction level M.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};

use ciborium::Value as Cbor;
use coset::iana;
use coset::{CborSerializable as _, TaggedCborSerializable as _};
use ed25519_dalek::{Signature, Verifier as _};
use serde_json::Value as Json;

use crate::model::{parse_rfc3339, IssuedAt};
use crate::office::{Signer, TrustList};

/// The prefix of every seal text.
pub const PREFIX: &str = "DS1:";
/// The largest QR version a seal may need (at level M).
pub const MAX_VERSION: i16 = 25;
/// Modules of white margin around the code.
pub const QUIET_ZONE: usize = 4;
/// The most bytes a seal may inflate to.
const MAX_INFLATED: u64 = 64 * 1024;

const KEY_DOCUMENT_ID: i64 = 1;
const KEY_DOC_TYPE: i64 = 2;
const KEY_FIELDS: i64 = 3;
const KEY_SOURCE_SHA256: i64 = 4;
const KEY_KEY_ID: i64 = 5;
const KEY_ISSUED_AT: i64 = 6;
const KEY_CONVENTIONS: i64 = 7;

const CONV_DOSSIER_CODE: i64 = 1;
const CONV_PROCEDURE_CODE: i64 = 2;
const CONV_RESULT_CODE: i64 = 3;
const CONV_HOLDER_ID: i64 = 4;
const CONV_TITLE: i64 = 5;
const CONV_SYSTEM: i64 = 6;
const CONV_VALID_UNTIL: i64 = 7;
const CONV_SCOPE: i64 = 8;

/// What Vietnam asks a result's QR code to carry besides the document id and
/// the issue time (Circular 01/2023/TT-VPCP art. 26): the dossier, procedure
/// and result code, the holder's identifier, the document's name, the issuing
/// system, and the validity and scope where the document type has them. A
/// map under key 7 of the payload; absent from seals made before it existed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QrConventions {
    /// The dossier code (mã hồ sơ).
    pub dossier_code: Option<String>,
    /// The procedure code (mã thủ tục).
    pub procedure_code: Option<String>,
    /// The result code (`<dossier code>-KQ<n>`).
    pub result_code: Option<String>,
    /// The holder's personal identifier.
    pub holder_id: Option<String>,
    /// The document's name: its type's Vietnamese title.
    pub title: String,
    /// The issuing system: `docseal` and the office.
    pub system: String,
    /// Until when (or for how long) the document is valid.
    pub valid_until: Option<String>,
    /// What the document covers.
    pub scope: Option<String>,
}

/// What a QR seal asserts.
#[derive(Debug, Clone, PartialEq)]
pub struct QrPayload {
    /// The document id.
    pub document_id: String,
    /// The document type id.
    pub doc_type: String,
    /// The record's normalized fields.
    pub fields: BTreeMap<String, Json>,
    /// SHA-256 of the original scan.
    pub source_sha256: [u8; 32],
    /// The id of the signing key.
    pub key_id: String,
    /// Issue time.
    pub issued_at: IssuedAt,
    /// Vietnam's required fields; `None` in older seals.
    pub conventions: Option<QrConventions>,
}

/// A seal taken apart, before any trust decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// What the seal says.
    pub payload: QrPayload,
    /// The key id in the COSE protected header.
    pub kid: String,
    /// The tagged COSE_Sign1 bytes.
    pub cose_sign1: Vec<u8>,
}

/// Errors of making, reading and checking QR seals. Messages never contain
/// key material.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// The text is not a docseal seal.
    #[error("the code is not a docseal seal: its text does not start with `{PREFIX}`")]
    WrongPrefix,
    /// The text after the prefix is not base45.
    #[error("the seal is damaged: its text is not valid base45 ({0})")]
    Base45(String),
    /// The compressed data does not inflate.
    #[error("the seal is damaged: its compressed data does not inflate ({0})")]
    Inflate(String),
    /// The inflated data is not a COSE_Sign1 structure.
    #[error("the seal is damaged: it is not a COSE_Sign1 structure ({0})")]
    Cose(String),
    /// The seal is signed with an algorithm other than EdDSA.
    #[error("the seal is signed with an algorithm other than EdDSA")]
    Algorithm,
    /// The seal does not name its signing key.
    #[error("the seal does not name its signing key (no kid)")]
    NoKid,
    /// The signed content is not a docseal payload.
    #[error("the seal's content is not a docseal payload: {0}")]
    Payload(String),
    /// The seal could not be encoded.
    #[error("the seal cannot be encoded: {0}")]
    Encode(String),
    /// The signing key is not in the trust list.
    #[error("the seal was signed with key {0}, which is not in the trust list")]
    UnknownKey(String),
    /// The trust list's entry for the key holds no valid public key.
    #[error("the trust list's entry for key {0} holds no valid Ed25519 public key")]
    BadTrustedKey(String),
    /// The signature does not match the content.
    #[error("the seal's signature does not match its content: the printed code was altered, or signed by another key")]
    BadSignature,
    /// The payload names another key than the COSE header.
    #[error("the seal's content names key {payload} but was signed with {kid}")]
    KeyMismatch {
        /// Key id in the payload.
        payload: String,
        /// Key id in the COSE header.
        kid: String,
    },
    /// The key was not valid when the document was issued.
    #[error("key {kid} was not valid when the document was issued: {detail}")]
    KeyNotValid {
        /// The key id.
        kid: String,
        /// Why not.
        detail: String,
    },
    /// The text needs a QR code larger than allowed.
    #[error("the seal is {chars} characters and needs a QR code larger than version {MAX_VERSION} at level M; shorten the record's fields")]
    TooLarge {
        /// Characters of the seal text.
        chars: usize,
    },
    /// No QR code was found in an image.
    #[error("no QR code was found in the image")]
    NoQrFound,
    /// A QR code was found but could not be read.
    #[error("a QR code was found but could not be read ({0}); rescan at a higher resolution")]
    Unreadable(String),
}

/// Signs a payload and encodes it as seal text (`DS1:...`).
pub fn encode(payload: &QrPayload, key: &Signer) -> Result<String, QrError> {
    let mut cbor = Vec::new();
    ciborium::into_writer(&payload_to_cbor(payload)?, &mut cbor)
        .map_err(|e| QrError::Encode(e.to_string()))?;
    let protected = coset::HeaderBuilder::new()
        .algorithm(iana::Algorithm::EdDSA)
        .key_id(key.key_id().as_bytes().to_vec())
        .build();
    let sign1 = coset::CoseSign1Builder::new()
        .protected(protected)
        .payload(cbor)
        .create_signature(b"", |tbs| key.sign(tbs).to_bytes().to_vec())
        .build();
    let cose = sign1
        .to_tagged_vec()
        .map_err(|e| QrError::Encode(e.to_string()))?;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&cose)
        .map_err(|e| QrError::Encode(e.to_string()))?;
    let compressed = z.finish().map_err(|e| QrError::Encode(e.to_string()))?;
    Ok(format!("{PREFIX}{}", base45::encode(compressed)))
}

/// Takes seal text apart: the payload, the key id and the COSE bytes. Checks
/// no signature; see [`verify`].
pub fn decode(text: &str) -> Result<Decoded, QrError> {
    let (_, decoded) = decode_sign1(text)?;
    Ok(decoded)
}

/// Verifies seal text against a trust list: the key id must be trusted and
/// valid at the issue time, and the signature must match. Returns what the
/// seal asserts.
pub fn verify(text: &str, trust: &TrustList) -> Result<QrPayload, QrError> {
    let (sign1, decoded) = decode_sign1(text)?;
    let kid = decoded.kid;
    let entry = trust
        .find(&kid)
        .ok_or_else(|| QrError::UnknownKey(kid.clone()))?;
    let public = entry
        .verifying_key()
        .ok_or_else(|| QrError::BadTrustedKey(kid.clone()))?;
    sign1.verify_signature(b"", |sig, data| {
        let sig: [u8; 64] = sig.try_into().map_err(|_| QrError::BadSignature)?;
        public
            .verify(data, &Signature::from_bytes(&sig))
            .map_err(|_| QrError::BadSignature)
    })?;
    let payload = decoded.payload;
    if payload.key_id != kid {
        return Err(QrError::KeyMismatch {
            payload: payload.key_id,
            kid,
        });
    }
    let issued = payload.issued_at;
    let at = issued.unix_seconds();
    let not_valid = |detail: String| QrError::KeyNotValid {
        kid: kid.clone(),
        detail,
    };
    if parse_rfc3339(&entry.not_before).is_some_and(|nb| at < nb) {
        return Err(not_valid(format!(
            "issued {issued}, before the key's validity began at {}",
            entry.not_before
        )));
    }
    if let Some(na) = &entry.not_after {
        if parse_rfc3339(na).is_some_and(|na| at > na) {
            return Err(not_valid(format!(
                "issued {issued}, after the key expired at {na}"
            )));
        }
    }
    if let Some(rv) = &entry.revoked_at {
        if parse_rfc3339(rv).is_some_and(|rv| rv <= at) {
            let reason = entry
                .revocation_reason
                .as_deref()
                .unwrap_or("no reason given");
            return Err(not_valid(format!(
                "the key was revoked at {rv} ({reason}), before this document was issued"
            )));
        }
    }
    Ok(payload)
}

/// The QR code of seal text at level M: its width in modules and the modules
/// row by row, `true` for dark. Fails when it would need a version above 25.
pub fn qr_modules(text: &str) -> Result<(usize, Vec<bool>), QrError> {
    let too_large = || QrError::TooLarge { chars: text.len() };
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|_| too_large())?;
    match code.version() {
        qrcode::Version::Normal(v) if v <= MAX_VERSION => {}
        _ => return Err(too_large()),
    }
    Ok((
        code.width(),
        code.to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect(),
    ))
}

/// The QR version (1–40) seal text needs at level M.
pub fn qr_version(text: &str) -> Result<i16, QrError> {
    let (width, _) = qr_modules(text)?;
    Ok(((width as i16) - 17) / 4)
}

/// PDF content-stream operators that draw the seal as a QR code: a white
/// square of `size_pt` with its lower-left corner at (`x_pt`, `y_pt`), holding
/// the code and a quiet zone of four modules, dark modules as filled black
/// rectangles. The state is saved and restored around it.
pub fn pdf_ops(text: &str, x_pt: f64, y_pt: f64, size_pt: f64) -> Result<Vec<u8>, QrError> {
    let (width, modules) = qr_modules(text)?;
    let module = size_pt / (width + 2 * QUIET_ZONE) as f64;
    let mut ops = format!(
        "q\n1 g\n{} {} {} {} re f\n0 g\n",
        num(x_pt),
        num(y_pt),
        num(size_pt),
        num(size_pt)
    );
    let top = y_pt + size_pt - QUIET_ZONE as f64 * module;
    for row in 0..width {
        let y = top - (row + 1) as f64 * module;
        let mut col = 0;
        while col < width {
            if !modules[row * width + col] {
                col += 1;
                continue;
            }
            let start = col;
            while col < width && modules[row * width + col] {
                col += 1;
            }
            let x = x_pt + (QUIET_ZONE + start) as f64 * module;
            ops.push_str(&format!(
                "{} {} {} {} re\n",
                num(x),
                num(y),
                num((col - start) as f64 * module),
                num(module)
            ));
        }
    }
    ops.push_str("f\nQ\n");
    Ok(ops.into_bytes())
}

/// Reads the text of the QR code in a grayscale image: first with rqrr's
/// adaptive threshold, then, if that finds nothing readable, with one global
/// (Otsu) threshold, which suits rasterized and printed pages.
pub fn decode_image(img: &image::GrayImage) -> Result<String, QrError> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let pixel = |x: usize, y: usize| img.get_pixel(x as u32, y as u32).0[0];
    let mut problem = None;
    for global in [false, true] {
        let mut prepared = if global {
            let t = crate::raster::otsu_threshold(img);
            rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| pixel(x, y) <= t)
        } else {
            rqrr::PreparedImage::prepare_from_greyscale(w, h, pixel)
        };
        for grid in prepared.detect_grids() {
            match grid.decode() {
                Ok((_, text)) => return Ok(text),
                Err(e) => {
                    problem.get_or_insert_with(|| e.to_string());
                }
            }
        }
    }
    Err(problem.map_or(QrError::NoQrFound, QrError::Unreadable))
}

/// A number for a content stream: at most three decimals, no trailing zeros.
fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

fn decode_sign1(text: &str) -> Result<(coset::CoseSign1, Decoded), QrError> {
    let body = text
        .trim()
        .strip_prefix(PREFIX)
        .ok_or(QrError::WrongPrefix)?;
    let compressed = base45::decode(body).map_err(|e| QrError::Base45(e.to_string()))?;
    let mut cose = Vec::new();
    flate2::read::ZlibDecoder::new(compressed.as_slice())
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut cose)
        .map_err(|e| QrError::Inflate(e.to_string()))?;
    if cose.len() as u64 > MAX_INFLATED {
        return Err(QrError::Inflate(format!(
            "it inflates to more than {MAX_INFLATED} bytes"
        )));
    }
    let sign1 = coset::CoseSign1::from_tagged_slice(&cose)
        .or_else(|_| coset::CoseSign1::from_slice(&cose))
        .map_err(|e| QrError::Cose(e.to_string()))?;
    if sign1.protected.header.alg
        != Some(coset::RegisteredLabelWithPrivate::Assigned(
            iana::Algorithm::EdDSA,
        ))
    {
        return Err(QrError::Algorithm);
    }
    let kid_bytes = &sign1.protected.header.key_id;
    if kid_bytes.is_empty() {
        return Err(QrError::NoKid);
    }
    let kid = String::from_utf8(kid_bytes.clone()).map_err(|_| QrError::NoKid)?;
    let payload_bytes = sign1
        .payload
        .as_deref()
        .ok_or_else(|| QrError::Payload("it has no payload".into()))?;
    let value: Cbor =
        ciborium::from_reader(payload_bytes).map_err(|e| QrError::Payload(e.to_string()))?;
    let payload = payload_from_cbor(value)?;
    Ok((
        sign1,
        Decoded {
            payload,
            kid,
            cose_sign1: cose,
        },
    ))
}

fn payload_to_cbor(p: &QrPayload) -> Result<Cbor, QrError> {
    let fields = p
        .fields
        .iter()
        .map(|(k, v)| Ok((Cbor::Text(k.clone()), json_to_cbor(v)?)))
        .collect::<Result<Vec<_>, QrError>>()?;
    let mut entries = vec![
        (KEY_DOCUMENT_ID.into(), Cbor::Text(p.document_id.clone())),
        (KEY_DOC_TYPE.into(), Cbor::Text(p.doc_type.clone())),
        (KEY_FIELDS.into(), Cbor::Map(fields)),
        (
            KEY_SOURCE_SHA256.into(),
            Cbor::Bytes(p.source_sha256.to_vec()),
        ),
        (KEY_KEY_ID.into(), Cbor::Text(p.key_id.clone())),
        (KEY_ISSUED_AT.into(), p.issued_at.unix_seconds().into()),
    ];
    if let Some(c) = &p.conventions {
        let mut m = Vec::new();
        let mut put = |k: i64, v: Option<&String>| {
            if let Some(v) = v {
                m.push((k.into(), Cbor::Text(v.clone())));
            }
        };
        put(CONV_DOSSIER_CODE, c.dossier_code.as_ref());
        put(CONV_PROCEDURE_CODE, c.procedure_code.as_ref());
        put(CONV_RESULT_CODE, c.result_code.as_ref());
        put(CONV_HOLDER_ID, c.holder_id.as_ref());
        put(CONV_TITLE, Some(&c.title));
        put(CONV_SYSTEM, Some(&c.system));
        put(CONV_VALID_UNTIL, c.valid_until.as_ref());
        put(CONV_SCOPE, c.scope.as_ref());
        entries.push((KEY_CONVENTIONS.into(), Cbor::Map(m)));
    }
    Ok(Cbor::Map(entries))
}

fn conventions_from_cbor(entries: Vec<(Cbor, Cbor)>) -> Result<QrConventions, QrError> {
    let bad = |what: &str| QrError::Payload(format!("Vietnam's fields: {what}"));
    let mut c = QrConventions::default();
    let (mut title, mut system) = (None, None);
    for (k, v) in entries {
        let key = k
            .as_integer()
            .and_then(|i| i64::try_from(i).ok())
            .ok_or_else(|| bad("a key is not an integer"))?;
        let Cbor::Text(v) = v else {
            return Err(bad(&format!("entry {key} is not text")));
        };
        let slot = match key {
            CONV_DOSSIER_CODE => &mut c.dossier_code,
            CONV_PROCEDURE_CODE => &mut c.procedure_code,
            CONV_RESULT_CODE => &mut c.result_code,
            CONV_HOLDER_ID => &mut c.holder_id,
            CONV_TITLE => &mut title,
            CONV_SYSTEM => &mut system,
            CONV_VALID_UNTIL => &mut c.valid_until,
            CONV_SCOPE => &mut c.scope,
            _ => return Err(bad(&format!("unexpected entry {key}"))),
        };
        *slot = Some(v);
    }
    c.title = title.ok_or_else(|| bad("no document name"))?;
    c.system = system.ok_or_else(|| bad("no issuing system"))?;
    Ok(c)
}

fn payload_from_cbor(value: Cbor) -> Result<QrPayload, QrError> {
    let bad = |what: &str| QrError::Payload(what.to_string());
    let Cbor::Map(entries) = value else {
        return Err(bad("it is not a map"));
    };
    let mut document_id = None;
    let mut doc_type = None;
    let mut fields = None;
    let mut source_sha256 = None;
    let mut key_id = None;
    let mut issued_at = None;
    let mut conventions = None;
    for (k, v) in entries {
        let key = k
            .as_integer()
            .and_then(|i| i64::try_from(i).ok())
            .ok_or_else(|| bad("a key is not an integer"))?;
        match (key, v) {
            (KEY_DOCUMENT_ID, Cbor::Text(s)) => document_id = Some(s),
            (KEY_DOC_TYPE, Cbor::Text(s)) => doc_type = Some(s),
            (KEY_FIELDS, Cbor::Map(m)) => {
                let mut out = BTreeMap::new();
                for (fk, fv) in m {
                    let Cbor::Text(name) = fk else {
                        return Err(bad("a field name is not text"));
                    };
                    out.insert(name, cbor_to_json(fv)?);
                }
                fields = Some(out);
            }
            (KEY_SOURCE_SHA256, Cbor::Bytes(b)) => {
                source_sha256 = Some(
                    <[u8; 32]>::try_from(b)
                        .map_err(|_| bad("the source SHA-256 is not 32 bytes"))?,
                )
            }
            (KEY_KEY_ID, Cbor::Text(s)) => key_id = Some(s),
            (KEY_ISSUED_AT, Cbor::Integer(i)) => {
                issued_at = Some(IssuedAt::from_unix_seconds(
                    i64::try_from(i).map_err(|_| bad("the issue time is out of range"))?,
                ))
            }
            (KEY_CONVENTIONS, Cbor::Map(m)) => conventions = Some(conventions_from_cbor(m)?),
            _ => return Err(QrError::Payload(format!("unexpected entry {key}"))),
        }
    }
    Ok(QrPayload {
        document_id: document_id.ok_or_else(|| bad("no document id"))?,
        doc_type: doc_type.ok_or_else(|| bad("no document type"))?,
        fields: fields.ok_or_else(|| bad("no fields"))?,
        source_sha256: source_sha256.ok_or_else(|| bad("no source SHA-256"))?,
        key_id: key_id.ok_or_else(|| bad("no key id"))?,
        issued_at: issued_at.ok_or_else(|| bad("no issue time"))?,
        conventions,
    })
}

fn json_to_cbor(v: &Json) -> Result<Cbor, QrError> {
    Ok(match v {
        Json::Null => Cbor::Null,
        Json::Bool(b) => Cbor::Bool(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into()
            } else if let Some(u) = n.as_u64() {
                u.into()
            } else {
                Cbor::Float(n.as_f64().ok_or_else(|| {
                    QrError::Encode(format!("the number {n} cannot be represented"))
                })?)
            }
        }
        Json::String(s) => Cbor::Text(s.clone()),
        Json::Array(a) => Cbor::Array(a.iter().map(json_to_cbor).collect::<Result<_, _>>()?),
        Json::Object(o) => Cbor::Map(
            o.iter()
                .map(|(k, v)| Ok((Cbor::Text(k.clone()), json_to_cbor(v)?)))
                .collect::<Result<_, QrError>>()?,
        ),
    })
}

fn cbor_to_json(v: Cbor) -> Result<Json, QrError> {
    let bad = |what: &str| QrError::Payload(format!("a field value is {what}"));
    Ok(match v {
        Cbor::Null => Json::Null,
        Cbor::Bool(b) => Json::Bool(b),
        Cbor::Integer(i) => {
            if let Ok(i) = i64::try_from(i) {
                Json::from(i)
            } else if let Ok(u) = u64::try_from(i) {
                Json::from(u)
            } else {
                return Err(bad("an integer out of range"));
            }
        }
        Cbor::Float(f) => serde_json::Number::from_f64(f)
            .map(Json::Number)
            .ok_or_else(|| bad("not a finite number"))?,
        Cbor::Text(s) => Json::String(s),
        Cbor::Array(a) => Json::Array(a.into_iter().map(cbor_to_json).collect::<Result<_, _>>()?),
        Cbor::Map(m) => {
            let mut o = serde_json::Map::new();
            for (k, v) in m {
                let Cbor::Text(k) = k else {
                    return Err(bad("a map with a non-text key"));
                };
                o.insert(k, cbor_to_json(v)?);
            }
            Json::Object(o)
        }
        _ => return Err(bad("of an unsupported CBOR type")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::office::{TrustedKey, TRUST_FORMAT};
    use base64::Engine as _;

    /// A birth certificate record as extraction normalizes it.
    fn birth_certificate(key_id: &str) -> QrPayload {
        let fields = [
            ("registration_number", "125/2024"),
            ("full_name", "NGUYỄN THỊ HỒNG NHUNG"),
            ("date_of_birth", "2024-03-12"),
            ("sex", "female"),
            ("ethnicity", "Kinh"),
            ("nationality", "Việt Nam"),
            (
                "place_of_birth",
                "Bệnh viện Từ Dũ, quận 1, thành phố Hồ Chí Minh",
            ),
            ("personal_id", "079324012345"),
            ("mother_name", "TRẦN THỊ THANH HƯƠNG"),
            ("father_name", "NGUYỄN VĂN ĐỨC"),
            (
                "registration_office",
                "UBND phường Bến Nghé, quận 1, TP. Hồ Chí Minh",
            ),
            ("registration_date", "2024-03-20"),
        ];
        QrPayload {
            document_id: "DS-7K3M-Q9PX-2HWD-R4TB".into(),
            doc_type: "birth_certificate".into(),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), Json::String(v.to_string())))
                .collect(),
            source_sha256: [0xa5; 32],
            key_id: key_id.into(),
            issued_at: IssuedAt::from_unix_seconds(1_720_171_800),
            conventions: None,
        }
    }

    fn trust_for(signer: &Signer) -> TrustList {
        TrustList {
            format: TRUST_FORMAT.into(),
            keys: vec![TrustedKey {
                key_id: signer.key_id().into(),
                office: "UBND phường Bến Nghé".into(),
                algorithm: "Ed25519".into(),
                public_key: base64::engine::general_purpose::STANDARD
                    .encode(signer.verifying_key().as_bytes()),
                not_before: "2024-01-01T00:00:00Z".into(),
                not_after: None,
                revoked_at: None,
                revocation_reason: None,
                usage: Default::default(),
            }],
            roots: vec![],
            logs: vec![],
            signed_at: None,
            signature: None,
        }
    }

    /// Draws the modules at `px` pixels each with the quiet zone.
    fn to_image(text: &str, px: u32) -> image::GrayImage {
        let (width, modules) = qr_modules(text).unwrap();
        let side = (width + 2 * QUIET_ZONE) as u32 * px;
        image::GrayImage::from_fn(side, side, |x, y| {
            let (mx, my) = ((x / px) as usize, (y / px) as usize);
            let dark = (QUIET_ZONE..QUIET_ZONE + width).contains(&mx)
                && (QUIET_ZONE..QUIET_ZONE + width).contains(&my)
                && modules[(my - QUIET_ZONE) * width + (mx - QUIET_ZONE)];
            image::Luma([if dark { 0 } else { 255 }])
        })
    }

    #[test]
    fn a_seal_round_trips_and_fits_the_qr_budget() {
        let signer = Signer::from_secret(&[3u8; 32]);
        let payload = birth_certificate(signer.key_id());
        let text = encode(&payload, &signer).unwrap();
        assert!(text.starts_with(PREFIX));
        assert_eq!(encode(&payload, &signer).unwrap(), text, "deterministic");
        let decoded = decode(&text).unwrap();
        assert_eq!(decoded.payload, payload);
        assert_eq!(decoded.kid, signer.key_id());
        assert_eq!(verify(&text, &trust_for(&signer)).unwrap(), payload);
        let version = qr_version(&text).unwrap();
        assert!(version <= MAX_VERSION, "version {version}");
        // The typical record needs a version 18 code at level M (772 characters).
        assert!(
            (10..=20).contains(&version),
            "version {version}, {} chars",
            text.len()
        );
    }

    #[test]
    fn any_changed_character_is_caught() {
        let signer = Signer::from_secret(&[3u8; 32]);
        let trust = trust_for(&signer);
        let text = encode(&birth_certificate(signer.key_id()), &signer).unwrap();
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
        let bytes = text.as_bytes();
        for i in 0..bytes.len() {
            let mut bad = bytes.to_vec();
            let at = ALPHABET.iter().position(|&c| c == bad[i]).unwrap_or(0);
            bad[i] = ALPHABET[(at + 1) % ALPHABET.len()];
            let bad = String::from_utf8(bad).unwrap();
            assert!(
                verify(&bad, &trust).is_err(),
                "changing character {i} went unnoticed"
            );
        }
    }

    #[test]
    fn an_unknown_or_unusable_key_is_named() {
        let signer = Signer::from_secret(&[3u8; 32]);
        let other = Signer::from_secret(&[4u8; 32]);
        let text = encode(&birth_certificate(signer.key_id()), &signer).unwrap();
        let err = verify(&text, &trust_for(&other)).unwrap_err();
        assert!(matches!(err, QrError::UnknownKey(ref k) if k == signer.key_id()));
        assert!(err.to_string().contains("not in the trust list"), "{err}");

        let mut trust = trust_for(&signer);
        trust.keys[0].revoked_at = Some("2024-06-01T00:00:00Z".into());
        assert!(matches!(
            verify(&text, &trust),
            Err(QrError::KeyNotValid { .. })
        ));
        trust.keys[0].revoked_at = Some("2025-01-01T00:00:00Z".into());
        assert!(verify(&text, &trust).is_ok(), "revoked after issue");
        trust.keys[0].not_after = Some("2024-05-01T00:00:00Z".into());
        assert!(matches!(
            verify(&text, &trust),
            Err(QrError::KeyNotValid { .. })
        ));

        // A payload naming another key than the one that signed it.
        let forged = encode(&birth_certificate(other.key_id()), &signer).unwrap();
        assert!(matches!(
            verify(&forged, &trust_for(&signer)),
            Err(QrError::KeyMismatch { .. })
        ));
        assert!(matches!(decode("HC1:6BFOXN"), Err(QrError::WrongPrefix)));
    }

    #[test]
    fn an_oversized_record_is_refused() {
        let signer = Signer::from_secret(&[3u8; 32]);
        let mut payload = birth_certificate(signer.key_id());
        let noise: String = (0..3000u32)
            .map(|i| char::from_u32(0x4E00 + (i * 7919) % 20000).unwrap_or('x'))
            .collect();
        payload.fields.insert("note".into(), Json::String(noise));
        let text = encode(&payload, &signer).unwrap();
        assert!(matches!(qr_modules(&text), Err(QrError::TooLarge { .. })));
        assert!(pdf_ops(&text, 0.0, 0.0, 100.0).is_err());
    }

    #[test]
    fn a_drawn_code_reads_back() {
        let signer = Signer::from_secret(&[3u8; 32]);
        let text = encode(&birth_certificate(signer.key_id()), &signer).unwrap();
        let img = to_image(&text, 8);
        assert_eq!(decode_image(&img).unwrap(), text);
        let blank = image::GrayImage::from_pixel(200, 200, image::Luma([255]));
        assert!(matches!(decode_image(&blank), Err(QrError::NoQrFound)));
    }

    #[test]
    fn pdf_ops_draw_the_code_with_a_quiet_zone() {
        let (width, modules) = qr_modules("DS1:TEST").unwrap();
        let ops = String::from_utf8(pdf_ops("DS1:TEST", 10.0, 20.0, 58.0).unwrap()).unwrap();
        assert!(ops.starts_with("q\n1 g\n10 20 58 58 re f\n0 g\n"), "{ops}");
        assert!(ops.ends_with("f\nQ\n"));
        // Module size 58 / (21 + 8) = 2: the top-left dark module sits inside
        // the quiet zone, at (10 + 4*2, 20 + 58 - 4*2 - 2).
        assert_eq!(width, 21);
        assert!(modules[0]);
        assert!(ops.contains("\n18 68 "), "{ops}");
    }

    /// The printed-copy check end to end: the seal drawn into a PDF page,
    /// rasterized by poppler's `pdftoppm` at 150 dpi, read back from pixels.
    #[test]
    fn a_seal_in_a_pdf_survives_rasterization() {
        use lopdf::{dictionary, Object, Stream};
        let signer = Signer::from_secret(&[3u8; 32]);
        let text = encode(&birth_certificate(signer.key_id()), &signer).unwrap();
        let ops = pdf_ops(&text, 380.0, 60.0, 170.0).unwrap();

        let mut doc = lopdf::Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let content_id = doc.add_object(Stream::new(dictionary! {}, ops));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Contents" => content_id,
            "Resources" => dictionary! {},
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => vec![page_id.into()],
                "Count" => 1,
            }),
        );
        let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog_id);
        let dir = tempfile::tempdir().unwrap();
        let pdf_path = dir.path().join("seal.pdf");
        doc.save(&pdf_path).unwrap();

        let status = std::process::Command::new("pdftoppm")
            .args(["-r", "150", "-gray", "-png", "-singlefile"])
            .arg(&pdf_path)
            .arg(dir.path().join("page"))
            .status()
            .expect("pdftoppm (poppler-utils) must be installed");
        assert!(status.success());
        let page = image::open(dir.path().join("page.png")).unwrap().to_luma8();
        assert_eq!(decode_image(&page).unwrap(), text);
        verify(&decode_image(&page).unwrap(), &trust_for(&signer)).unwrap();
    }
}
