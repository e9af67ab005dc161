//! Untyped access to the objects of a submitted PDF through the `pdf` crate:
//! references followed (and remembered), inherited page attributes, the
//! resource dictionaries in scope, stream data inflated within a bound, and
//! content streams split into operators with their operands.
//!
//! The `pdf` crate's typed objects (fonts, widths, operations) apply their
//! own rules; the text reader needs the dictionaries as written, so it reads
//! them here as plain primitives.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Read;

use ::pdf::object::{NoResolve, PlainRef, Resolve};
use ::pdf::parser::{parse_with_lexer, Lexer, ParseFlags};
use ::pdf::primitive::{Dictionary, PdfStream, Primitive};

use crate::codec::{Budget, Resource};
use crate::pdf::syntax::parse_to_unicode;

/// How far up the page tree an attribute is looked for.
const MAX_TREE_DEPTH: usize = 32;
/// Most filters one stream may chain.
const MAX_FILTERS: usize = 8;

/// The objects of one file, resolved once each.
pub(super) struct Objects<'r, R: Resolve> {
    resolver: &'r R,
    /// What reading the submission may still spend.
    pub budget: &'r Budget,
    memo: RefCell<HashMap<PlainRef, Option<Primitive>>>,
}

impl<'r, R: Resolve> Objects<'r, R> {
    /// Objects read through `resolver`.
    pub fn new(resolver: &'r R, budget: &'r Budget) -> Objects<'r, R> {
        Objects {
            resolver,
            budget,
            memo: RefCell::new(HashMap::new()),
        }
    }

    /// The object `r` refers to; `None` when it cannot be read.
    pub fn get(&self, r: PlainRef) -> Option<Primitive> {
        if let Some(p) = self.memo.borrow().get(&r) {
            return p.clone();
        }
        let p = self.resolver.resolve(r).ok();
        self.memo.borrow_mut().insert(r, p.clone());
        p
    }

    /// `p` with references followed.
    pub fn deref(&self, p: &Primitive) -> Option<Primitive> {
        let mut r = match p {
            Primitive::Reference(r) => *r,
            other => return Some(other.clone()),
        };
        for _ in 0..self.budget.limits().max_reference_depth {
            match self.get(r)? {
                Primitive::Reference(next) => r = next,
                other => return Some(other),
            }
        }
        None
    }

    /// Entry `key` of `dict`, references followed.
    pub fn entry(&self, dict: &Dictionary, key: &str) -> Option<Primitive> {
        self.deref(dict.get(key)?)
    }

    /// A dictionary: `p` itself, or the dictionary of a stream, references
    /// followed.
    pub fn dict(&self, p: &Primitive) -> Option<Dictionary> {
        match self.deref(p)? {
            Primitive::Dictionary(d) => Some(d),
            _ => None,
        }
    }

    /// A number (integer or real), references followed.
    pub fn number(&self, p: &Primitive) -> Option<f32> {
        self.deref(p)?.as_number().ok()
    }

    /// The dictionary of page `page`.
    pub fn page(&self, page: PlainRef) -> Option<Dictionary> {
        match self.get(page)? {
            Primitive::Dictionary(d) => Some(d),
            _ => None,
        }
    }

    /// A page attribute, looked up through the page tree.
    pub fn inherited(&self, page: &Dictionary, key: &str) -> Option<Primitive> {
        let mut node = page.clone();
        for _ in 0..MAX_TREE_DEPTH {
            if let Some(v) = node.get(key) {
                return self.deref(v);
            }
            let parent = match node.get("Parent")? {
                Primitive::Reference(r) => *r,
                _ => return None,
            };
            node = self.page(parent)?;
        }
        None
    }

    /// The resource dictionaries of a page, nearest first: the nearest
    /// `/Resources` written into the page or an ancestor (taken only when no
    /// nearer one is a reference), then every referenced one up the tree.
    pub fn page_resources(&self, page: &Dictionary) -> Vec<Dictionary> {
        let mut direct = None;
        let mut referenced = Vec::new();
        let mut node = page.clone();
        let mut seen = Vec::new();
        loop {
            match node.get("Resources") {
                Some(Primitive::Reference(r)) => referenced.push(*r),
                Some(Primitive::Dictionary(d)) if direct.is_none() && referenced.is_empty() => {
                    direct = Some(d.clone());
                }
                _ => {}
            }
            let Some(Primitive::Reference(parent)) = node.get("Parent") else {
                break;
            };
            if seen.contains(parent) || seen.len() >= MAX_TREE_DEPTH {
                // A cycle or a tree too deep: no resources, like a broken file.
                return Vec::new();
            }
            seen.push(*parent);
            match self.page(*parent) {
                Some(d) => node = d,
                // The ancestor cannot be read: no resources.
                None => return Vec::new(),
            }
        }
        direct
            .into_iter()
            .chain(referenced.into_iter().filter_map(|r| match self.get(r)? {
                Primitive::Dictionary(d) => Some(d),
                _ => None,
            }))
            .collect()
    }

    /// Resource `name` of category `kind` (`Font`, `XObject`), references
    /// followed, with the reference it was reached through, if any.
    pub fn resource(
        &self,
        resources: &[Dictionary],
        kind: &str,
        name: &str,
    ) -> Option<(Primitive, Option<PlainRef>)> {
        resources.iter().find_map(|r| {
            let category = self.dict(r.get(kind)?)?;
            let entry = category.get(name)?;
            let via = match entry {
                Primitive::Reference(r) => Some(*r),
                _ => None,
            };
            Some((self.deref(entry)?, via))
        })
    }

    /// The content of page `page`: its content streams, decoded and joined
    /// with newlines, together at most `limit` bytes. A stream that does not
    /// decode counts as its raw bytes; `None` when the limit is exceeded.
    pub fn page_content(&self, page: &Dictionary, limit: usize) -> Option<Vec<u8>> {
        let mut streams = Vec::new();
        match page.get("Contents") {
            Some(Primitive::Array(parts)) => {
                for part in parts {
                    if let Primitive::Reference(r) = part {
                        streams.push(self.get(*r));
                    }
                }
            }
            Some(p @ Primitive::Reference(_)) => streams.push(self.deref(p)),
            _ => {}
        }
        let mut content = Vec::new();
        for stream in streams {
            let Some(Primitive::Stream(stream)) = stream else {
                continue;
            };
            let remaining = limit.saturating_sub(content.len());
            match self.stream_data(&stream, remaining) {
                Ok(data) => content.extend_from_slice(&data),
                Err(StreamError::TooLarge | StreamError::OverBudget) => return None,
                Err(StreamError::Undecodable) => {
                    let raw = self.raw(&stream)?;
                    if raw.len() > remaining {
                        return None;
                    }
                    content.extend_from_slice(&raw);
                }
            }
            content.push(b'\n');
        }
        Some(content)
    }

    /// The bytes of a stream as they are in the file.
    pub fn raw(&self, stream: &PdfStream) -> Option<Vec<u8>> {
        stream.raw_data(self.resolver).ok().map(|d| d.to_vec())
    }

    /// The bytes of a stream with its filters undone, at most `limit` bytes.
    pub fn stream_data(&self, stream: &PdfStream, limit: usize) -> Result<Vec<u8>, StreamError> {
        let filters: Vec<String> = match stream.info.get("Filter").and_then(|f| self.deref(f)) {
            None => Vec::new(),
            Some(Primitive::Name(n)) => vec![n.as_str().to_string()],
            Some(Primitive::Array(list)) => list
                .iter()
                .filter_map(|f| Some(self.deref(f)?.as_name().ok()?.to_string()))
                .collect(),
            Some(_) => return Err(StreamError::Undecodable),
        };
        if filters.len() > MAX_FILTERS {
            return Err(StreamError::Undecodable);
        }
        let params = stream.info.get("DecodeParms").and_then(|p| self.deref(p));
        let mut data = self.raw(stream).ok_or(StreamError::Undecodable)?;
        for (index, filter) in filters.iter().enumerate() {
            let params = match &params {
                Some(Primitive::Array(list)) => list.get(index).and_then(|p| self.dict(p)),
                Some(Primitive::Dictionary(d)) => Some(d.clone()),
                _ => None,
            };
            data = match filter.as_str() {
                "FlateDecode" => self.unpredict(inflate(&data, limit)?, params.as_ref(), limit)?,
                "LZWDecode" => {
                    let early = params
                        .as_ref()
                        .and_then(|p| p.get("EarlyChange"))
                        .and_then(|p| self.deref(p)?.as_integer().ok())
                        .is_none_or(|v| v != 0);
                    self.unpredict(lzw(&data, early, limit)?, params.as_ref(), limit)?
                }
                "ASCIIHexDecode" => {
                    ::pdf::enc::decode_hex(&data).map_err(|_| StreamError::Undecodable)?
                }
                "ASCII85Decode" => {
                    ::pdf::enc::decode_85(&data).map_err(|_| StreamError::Undecodable)?
                }
                "RunLengthDecode" => run_length(&data, limit)?,
                _ => return Err(StreamError::Undecodable),
            };
            if data.len() > limit {
                return Err(StreamError::TooLarge);
            }
            self.budget
                .charge(Resource::DecodedBytes, data.len() as u64)
                .map_err(|_| StreamError::OverBudget)?;
        }
        if data.len() > limit {
            return Err(StreamError::TooLarge);
        }
        Ok(data)
    }

    /// Undoes a Flate predictor given in `params`.
    fn unpredict(
        &self,
        data: Vec<u8>,
        params: Option<&Dictionary>,
        limit: usize,
    ) -> Result<Vec<u8>, StreamError> {
        let Some(params) = params else {
            return Ok(data);
        };
        let int = |key: &str, default: i32| {
            params
                .get(key)
                .and_then(|p| self.deref(p)?.as_integer().ok())
                .unwrap_or(default)
        };
        let predictor = int("Predictor", 1);
        if !matches!(predictor, 2 | 10..=15) {
            return Ok(data);
        }
        let sample =
            |key: &str, default: i32| usize::try_from(int(key, default).max(1)).unwrap_or(1);
        let (colors, bpc, columns) = (
            sample("Colors", 1),
            sample("BitsPerComponent", 8),
            sample("Columns", 1),
        );
        if columns
            .checked_mul(colors)
            .and_then(|n| n.checked_mul(bpc))
            .is_none_or(|bits| bits / 8 > limit)
        {
            return Err(StreamError::TooLarge);
        }
        crate::codec::samples::unpredict(data, predictor, colors, bpc, columns)
            .map_err(|_| StreamError::Undecodable)
    }

    /// A font's ToUnicode CMap as a map from character code to text; `None`
    /// when the font has none or it cannot be read.
    pub fn to_unicode_map(&self, font: &Dictionary, limit: usize) -> Option<HashMap<u32, String>> {
        match self.entry(font, "ToUnicode")? {
            Primitive::Stream(s) => self
                .stream_data(&s, limit)
                .ok()
                .map(|c| parse_to_unicode(&c)),
            _ => None,
        }
    }
}

/// Why a stream's data cannot be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StreamError {
    /// It inflates beyond the bound.
    TooLarge,
    /// A filter is unknown or its data is damaged.
    Undecodable,
    /// The submission's budget ran out (see [`Budget::check`]).
    OverBudget,
}

/// Inflates zlib data (or, when that yields nothing, raw deflate after the
/// two-byte header), at most `limit` bytes.
fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>, StreamError> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    if data.is_empty() {
        return Ok(out);
    }
    let zlib = flate2::read::ZlibDecoder::new(data)
        .take(cap)
        .read_to_end(&mut out);
    if zlib.is_err() && out.is_empty() && data.len() > 2 {
        // A damaged zlib stream may still hold raw deflate data.
        let _ = flate2::read::DeflateDecoder::new(&data[2..])
            .take(cap)
            .read_to_end(&mut out);
    }
    if out.len() > limit {
        return Err(StreamError::TooLarge);
    }
    Ok(out)
}

/// Undoes RunLengthDecode, at most `limit` bytes.
fn run_length(data: &[u8], limit: usize) -> Result<Vec<u8>, StreamError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if out.len() > limit {
            return Err(StreamError::TooLarge);
        }
        let length = data[i];
        i += 1;
        match length {
            128 => break,
            0..=127 => {
                let end = (i + usize::from(length) + 1).min(data.len());
                out.extend_from_slice(&data[i..end]);
                i = end;
            }
            _ => {
                let Some(&byte) = data.get(i) else { break };
                out.resize(out.len() + (257 - usize::from(length)), byte);
                i += 1;
            }
        }
    }
    if out.len() > limit {
        return Err(StreamError::TooLarge);
    }
    Ok(out)
}

/// Undoes LZW (codes most significant bit first, 8-bit symbols; with
/// `early_change` the code size grows one code early), at most `limit`
/// bytes.
fn lzw(data: &[u8], early_change: bool, limit: usize) -> Result<Vec<u8>, StreamError> {
    use weezl::{decode::Decoder, BitOrder};
    let mut decoder = if early_change {
        Decoder::with_tiff_size_switch(BitOrder::Msb, 8)
    } else {
        Decoder::new(BitOrder::Msb, 8)
    };
    let mut out = Vec::new();
    let mut sink = Capped {
        out: &mut out,
        cap: limit.saturating_add(1),
    };
    // A damaged tail leaves what was decoded before it, as for Flate.
    let _ = decoder.into_stream(&mut sink).decode_all(data).status;
    if out.len() > limit {
        return Err(StreamError::TooLarge);
    }
    Ok(out)
}

/// A writer that takes at most `cap` bytes, then fails.
struct Capped<'a> {
    out: &'a mut Vec<u8>,
    cap: usize,
}

impl std::io::Write for Capped<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = self.cap.saturating_sub(self.out.len());
        if room == 0 && !buf.is_empty() {
            return Err(std::io::Error::other(
                "the stream inflates beyond the limit",
            ));
        }
        let n = buf.len().min(room);
        self.out.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One operator of a content stream with its operands.
#[derive(Debug, Clone)]
pub(super) struct Operation {
    /// The operator, e.g. `Tj`.
    pub operator: String,
    /// Its operands, in order.
    pub operands: Vec<Primitive>,
}

/// Most operands kept for one operator; more are read (and charged) but
/// dropped. No operator takes more than a few dozen.
const MAX_OPERANDS: usize = 64;

/// Splits a content stream into operations, one at a time, each operand and
/// operator charged to `budget` as [`Resource::Operations`]; reading stops
/// at the first thing that is neither an operand nor an operator, or when
/// the budget runs out. Inline images (`BI` … `ID` … `EI`) are skipped; one
/// whose data does not end where it should ends the stream there.
pub(super) fn operations<'a>(content: &'a [u8], budget: &'a Budget) -> Operations<'a> {
    Operations {
        lexer: Lexer::new(content),
        content,
        budget,
    }
}

/// The operations of a content stream (see [`operations`]).
pub(super) struct Operations<'a> {
    lexer: Lexer<'a>,
    content: &'a [u8],
    budget: &'a Budget,
}

impl Iterator for Operations<'_> {
    type Item = Operation;

    fn next(&mut self) -> Option<Operation> {
        let mut operands = Vec::new();
        loop {
            if self.lexer.get_pos() >= self.content.len()
                || self.budget.charge(Resource::Operations, 1).is_err()
            {
                return None;
            }
            match parse_with_lexer(&mut self.lexer, &NoResolve, ParseFlags::ANY) {
                Ok(p) => {
                    if operands.len() < MAX_OPERANDS {
                        operands.push(p);
                    }
                }
                Err(e) if e.is_eof() => return None,
                Err(_) => {
                    let token = self.lexer.next().ok()?;
                    let operator = token.as_str().ok()?;
                    if !operator
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || b"*'\"".contains(&c))
                        || operator.is_empty()
                        || operator.as_bytes()[0].is_ascii_digit()
                    {
                        return None;
                    }
                    if operator == "BI" {
                        operands.clear();
                        if !skip_inline_image(&mut self.lexer, self.content) {
                            return None;
                        }
                        continue;
                    }
                    return Some(Operation {
                        operator: operator.to_string(),
                        operands,
                    });
                }
            }
        }
    }
}

/// Moves past an inline image's dictionary, `ID`, data and `EI`. The data
/// of an unfiltered image is as long as its size says; that of a filtered one
/// ends at the first `EI` between white space.
fn skip_inline_image(lexer: &mut Lexer, content: &[u8]) -> bool {
    let mut dict = Dictionary::new();
    loop {
        let Ok(token) = lexer.next() else {
            return false;
        };
        if token.equals(b"ID") {
            break;
        }
        let Ok(key) = token.reslice(1..).to_name() else {
            return false;
        };
        if !token.starts_with(b"/") {
            return false;
        }
        match parse_with_lexer(lexer, &NoResolve, ParseFlags::ANY) {
            Ok(value) => {
                dict.insert(key, value);
            }
            Err(_) => return false,
        }
    }
    // One end-of-line (CR LF counts as one) or white-space byte separates
    // `ID` from the data.
    let mut start = lexer.get_pos();
    if content.get(start..start + 2) == Some(b"\r\n".as_slice()) {
        start += 2;
    } else if content.get(start).copied().is_some_and(is_white) {
        start += 1;
    }
    let Some(data) = content.get(start..) else {
        return false;
    };
    let end = match inline_image_len(&dict) {
        Some(len) => {
            // The data, then white space and `EI`.
            let Some(rest) = data.get(len..) else {
                return false;
            };
            let skip = rest.iter().take_while(|&&c| is_white(c)).count();
            if rest.get(skip..skip + 2) != Some(b"EI".as_slice())
                || rest.get(skip + 2).is_some_and(|&c| !is_white(c))
            {
                return false;
            }
            len + skip + 2
        }
        None => {
            let Some(at) = data.windows(3).enumerate().position(|(i, w)| {
                is_white(w[0]) && &w[1..] == b"EI" && data.get(i + 3).is_none_or(|&c| is_white(c))
            }) else {
                return false;
            };
            at + 3
        }
    };
    lexer.set_pos(start + end);
    true
}

/// PDF white space.
pub(super) fn is_white(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

/// The length of an unfiltered inline image's data from its size, bits and
/// colour space; `None` when it is filtered or its size cannot be told.
fn inline_image_len(dict: &Dictionary) -> Option<usize> {
    let get = |short: &str, long: &str| dict.get(short).or_else(|| dict.get(long));
    if get("F", "Filter").is_some() {
        return None;
    }
    let size = |short: &str, long: &str| usize::try_from(get(short, long)?.as_integer().ok()?).ok();
    let (width, height) = (size("W", "Width")?, size("H", "Height")?);
    let mask = get("IM", "ImageMask").and_then(|m| m.as_bool().ok()) == Some(true);
    let bpc = match size("BPC", "BitsPerComponent") {
        Some(b) => b,
        None if mask => 1,
        None => return None,
    };
    let colors = if mask {
        1
    } else {
        match get("CS", "ColorSpace")? {
            Primitive::Array(a)
                if matches!(
                    a.first().and_then(|n| n.as_name().ok()),
                    Some("Indexed" | "I")
                ) =>
            {
                1
            }
            cs => match cs.as_name().ok()? {
                "DeviceGray" | "G" | "Gray" => 1,
                "DeviceRGB" | "RGB" => 3,
                "DeviceRGBA" | "RGBA" | "DeviceCMYK" | "CMYK" => 4,
                _ => return None,
            },
        }
    };
    bpc.checked_mul(colors)
        .and_then(|bits| width.checked_mul(bits))
        .and_then(|row| row.div_ceil(8).checked_mul(height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Limits;

    fn operators(content: &[u8]) -> Vec<String> {
        let budget = Budget::new(&Limits::default());
        operations(content, &budget).map(|o| o.operator).collect()
    }

    #[test]
    fn content_streams_split_into_operators_with_their_operands() {
        let budget = Budget::new(&Limits::default());
        let ops: Vec<Operation> = operations(
            b"q 1 0 0 1 72 770.5 cm BT /F1 12 Tf 7 Tr (a\\)b) Tj [(x) -250 (y)] TJ 0 0 Td T* ET Q",
            &budget,
        )
        .collect();
        let names: Vec<&str> = ops.iter().map(|o| o.operator.as_str()).collect();
        assert_eq!(
            names,
            ["q", "cm", "BT", "Tf", "Tr", "Tj", "TJ", "Td", "T*", "ET", "Q"]
        );
        assert_eq!(ops[1].operands.len(), 6);
        assert_eq!(ops[1].operands[5].as_number().ok(), Some(770.5));
        assert_eq!(ops[3].operands[0].as_name().ok(), Some("F1"));
        // Render mode 7 is kept as it is written, not refused.
        assert_eq!(ops[4].operands[0].as_integer().ok(), Some(7));
        match &ops[5].operands[0] {
            Primitive::String(s) => assert_eq!(s.as_bytes(), b"a)b"),
            other => panic!("{other:?}"),
        }
        assert_eq!(ops[6].operands[0].as_array().map(<[_]>::len).ok(), Some(3));
    }

    #[test]
    fn inline_images_are_skipped_even_when_their_data_looks_like_ei() {
        // A 4×1 gray image whose four bytes are " EI ".
        let content = b"q BI /W 4 /H 1 /CS /G /BPC 8 ID  EI \nEI Q BT ET";
        assert_eq!(operators(content), ["q", "Q", "BT", "ET"]);
        // Filtered data ends at the first EI between white space.
        let content = b"BI /W 9 /H 9 /CS /RGB /BPC 8 /F /Fl ID x\x9c\x01EI2 EI BT ET";
        assert_eq!(operators(content), ["BT", "ET"]);
        // An image that does not end ends the stream there.
        assert_eq!(
            operators(b"BT ET BI /W 4 /H 1 /CS /G /BPC 8 ID abcdXY BT"),
            ["BT", "ET"]
        );
        assert_eq!(
            operators(b"BT ET BI /W 9 /F /Fl ID abcdEIX BT"),
            ["BT", "ET"]
        );
    }

    #[test]
    fn operands_and_operators_are_charged_and_reading_stops_when_the_budget_runs_out() {
        let limits = Limits {
            max_operations: 1_000,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        // Half a million operands and no operator: stops after the budget.
        let flood = b"0 ".repeat(500_000);
        let ops: Vec<Operation> = operations(&flood, &budget).collect();
        assert!(ops.is_empty());
        let err = budget.check().expect_err("over budget");
        assert!(err.to_string().contains("max_operations"), "{err}");
        // Operands past the cap are dropped, not kept.
        let budget = Budget::new(&Limits::default());
        let mut many = b"1 ".repeat(1000);
        many.extend_from_slice(b"re");
        let ops: Vec<Operation> = operations(&many, &budget).collect();
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].operands.len(), MAX_OPERANDS);
    }

    #[test]
    fn reading_stops_at_what_is_not_an_operator() {
        assert_eq!(operators(b"BT ET } BT ET"), ["BT", "ET"]);
        assert!(operators(b"").is_empty());
    }

    #[test]
    fn streams_inflate_only_up_to_the_limit() {
        let data = vec![b'x'; 10_000];
        let zlib = crate::pdf::write::deflate(&data);
        assert_eq!(inflate(&zlib, 10_000).as_deref(), Ok(data.as_slice()));
        assert_eq!(inflate(&zlib, 9_999), Err(StreamError::TooLarge));
        // Raw deflate after a damaged two-byte header still inflates.
        let mut raw = vec![0, 0];
        raw.extend_from_slice(&zlib[2..]);
        assert_eq!(inflate(&raw, 10_000).map(|d| d.len()), Ok(10_000));

        let lzw_data = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            .encode(&data)
            .expect("encodes");
        assert_eq!(lzw(&lzw_data, true, 10_000).as_deref(), Ok(data.as_slice()));
        assert_eq!(lzw(&lzw_data, true, 100), Err(StreamError::TooLarge));

        // 2 literal bytes, then 'z' 128 times, then end of data.
        let rle = [1, b'a', b'b', 129, b'z', 128, b'q'];
        let mut expected = b"ab".to_vec();
        expected.extend([b'z'; 128]);
        assert_eq!(run_length(&rle, 130).as_deref(), Ok(expected.as_slice()));
        assert_eq!(run_length(&rle, 100), Err(StreamError::TooLarge));
    }
}
