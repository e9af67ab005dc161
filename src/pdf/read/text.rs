//! The text a PDF page draws, with the geometry of each word, read with
//! the `pdf` crate (through [`super::objects`]) in the same parse as the
//! page images: used instead of OCR when the page carries trustworthy text (a
//! born-digital PDF, or visible text from another tool).
//!
//! The content stream (and the Form XObjects it paints, a few levels deep) is
//! interpreted for text only: graphics state (`q`/`Q`/`cm`), text state and
//! matrices, fill colour, and the painting of images (for text they hide).
//! Character codes become text through the font's ToUnicode CMap; a simple
//! font without one is trusted for printable ASCII only. Glyph boxes come from
//! the font's widths and descriptor.
//!
//! # Which text is trusted
//!
//! Only text a reader of the page can see counts. A glyph is dropped when it
//! is drawn invisibly (render mode 3 or 7), in white, smaller than one point,
//! outside the page's crop box, or under an image painted after it. Invisible
//! text layers (OCR from another tool, or docseal's own result pages) are
//! therefore never used: what they say may disagree with the image, and the
//! page is OCRed instead.
//!
//! The visible text of a page is used when it has at least [`MIN_GLYPHS`]
//! non-blank glyphs and at least [`MIN_MAPPED`] of them decode to plausible
//! Vietnamese text: a code with no Unicode mapping, U+FFFD, a control or
//! private-use character, or a Latin-1 symbol or letter that Vietnamese does
//! not use (the mark of legacy TCVN3/VNI fonts whose codes map to the wrong
//! characters) counts against it. Otherwise the page is treated as if it had
//! no text: its image is OCRed, and a page with neither usable text nor an
//! image is skipped.

use std::collections::HashMap;

use ::pdf::object::{PlainRef, Resolve};
use ::pdf::primitive::{Dictionary, Primitive};
use unicode_normalization::UnicodeNormalization;

use super::objects::{operations, Objects, StreamError};
use crate::model::{BBox, Line, OcrPage, TextSource, Word};
use crate::pdf::syntax::MAX_STREAM_BYTES;

/// Fewest visible non-blank glyphs for a page's text to be used.
pub const MIN_GLYPHS: usize = 20;
/// Smallest share of visible glyphs that must decode to plausible text.
pub const MIN_MAPPED: f32 = 0.95;
/// The confidence given to every word read from a text layer: the text is
/// what the file says, with no recognition involved.
pub const TEXT_LAYER_CONF: f32 = 1.0;
/// Resolution of the coordinate space of text-layer word boxes.
pub const TEXT_LAYER_DPI: u32 = 300;

/// How deep Form XObjects may nest.
const MAX_FORM_DEPTH: usize = 6;

/// What a page's text layer is worth.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PageText {
    /// No visible text at all (a scan, or a scan with an invisible text layer).
    None,
    /// Visible text that fails the rules above.
    Unusable,
    /// Visible, decodable text, as words in a [`TEXT_LAYER_DPI`] space of the
    /// page (after `/Rotate`).
    Usable(OcrPage),
}

/// The text layer of page `page` (the reference of its dictionary), read
/// through `objects`.
pub(crate) fn page_text<R: Resolve>(objects: &Objects<'_, R>, page: PlainRef) -> PageText {
    let Some(dict) = objects.page(page) else {
        return PageText::None;
    };
    let Some(frame) = PageFrame::of(objects, &dict) else {
        return PageText::None;
    };
    let Some(content) = objects.page_content(&dict, MAX_STREAM_BYTES) else {
        return PageText::None;
    };
    let resources = objects.page_resources(&dict);
    let mut reader = Reader::new(objects);
    reader.run(&content, &resources, Scope::Page(page), IDENTITY, 0);
    judge(&reader.visible_glyphs(&frame), &frame)
}

// ------------------------------------------------------------ page frame

/// The page's crop box and rotation.
#[derive(Debug, Clone, Copy)]
struct PageFrame {
    left: f32,
    bottom: f32,
    right: f32,
    top: f32,
    rotate: i64,
}

impl PageFrame {
    fn of<R: Resolve>(objects: &Objects<'_, R>, page: &Dictionary) -> Option<PageFrame> {
        let rect = objects
            .inherited(page, "CropBox")
            .or_else(|| objects.inherited(page, "MediaBox"))?;
        let rect = rect.as_array().ok()?;
        let v: Vec<f32> = rect.iter().filter_map(|o| objects.number(o)).collect();
        let [x0, y0, x1, y1] = v[..] else {
            return None;
        };
        let frame = PageFrame {
            left: x0.min(x1),
            bottom: y0.min(y1),
            right: x0.max(x1),
            top: y0.max(y1),
            rotate: objects
                .inherited(page, "Rotate")
                .and_then(|o| o.as_integer().ok())
                .map_or(0, i64::from)
                .rem_euclid(360),
        };
        (frame.width() >= 1.0 && frame.height() >= 1.0).then_some(frame)
    }

    fn width(&self) -> f32 {
        self.right - self.left
    }

    fn height(&self) -> f32 {
        self.top - self.bottom
    }

    fn contains(&self, x: f32, y: f32) -> bool {
        (self.left..=self.right).contains(&x) && (self.bottom..=self.top).contains(&y)
    }

    /// The page size in pixels at `dpi` as displayed (after `/Rotate`).
    fn pixels(&self, dpi: u32) -> (u32, u32) {
        let s = dpi as f32 / 72.0;
        let (w, h) = (
            (self.width() * s).round() as u32,
            (self.height() * s).round() as u32,
        );
        if self.rotate == 90 || self.rotate == 270 {
            (h, w)
        } else {
            (w, h)
        }
    }

    /// A box in user space as a box in displayed pixels at `dpi`.
    fn pixel_box(&self, b: &Rect, dpi: u32) -> BBox {
        let s = dpi as f32 / 72.0;
        let (w, h) = (self.width() * s, self.height() * s);
        // Unrotated pixel box, y down.
        let (x0, x1) = ((b.x0 - self.left) * s, (b.x1 - self.left) * s);
        let (y0, y1) = ((self.top - b.y1) * s, (self.top - b.y0) * s);
        let (x0, y0, x1, y1) = match self.rotate {
            90 => (h - y1, x0, h - y0, x1),
            180 => (w - x1, h - y1, w - x0, h - y0),
            270 => (y0, w - x1, y1, w - x0),
            _ => (x0, y0, x1, y1),
        };
        let px = |v: f32| v.max(0.0).round() as u32;
        BBox {
            x0: px(x0),
            y0: px(y0),
            x1: px(x1).max(px(x0) + 1),
            y1: px(y1).max(px(y0) + 1),
        }
    }
}

// ------------------------------------------------------------ fonts

/// What is needed of a font to place and decode its glyphs.
#[derive(Debug)]
struct Font {
    /// Bytes per character code: 2 for Type0 fonts, 1 otherwise.
    code_len: usize,
    to_unicode: Option<HashMap<u32, String>>,
    /// Whether printable ASCII codes may be taken as themselves (a simple
    /// font with a standard encoding and no `/Differences`).
    ascii: bool,
    /// Advance widths in glyph space units.
    widths: HashMap<u32, f32>,
    default_width: f32,
    /// Glyph space units per text space unit (1/1000 except for Type3).
    scale: f32,
    ascent: f32,
    descent: f32,
}

impl Font {
    fn load<R: Resolve>(objects: &Objects<'_, R>, font: &Dictionary) -> Font {
        let get = |d: &Dictionary, k: &str| objects.entry(d, k);
        let subtype = get(font, "Subtype")
            .and_then(|o| o.as_name().ok().map(str::to_string))
            .unwrap_or_default();
        let to_unicode = objects
            .to_unicode_map(font, MAX_STREAM_BYTES)
            .filter(|m| !m.is_empty());
        let mut widths = HashMap::new();
        let (code_len, ascii, default_width, descriptor) = if subtype == "Type0" {
            let cid = get(font, "DescendantFonts")
                .and_then(|o| o.as_array().ok()?.first().cloned())
                .and_then(|o| objects.dict(&o))
                .unwrap_or_default();
            if let Some(Primitive::Array(w)) = get(&cid, "W") {
                cid_widths(objects, &w, &mut widths);
            }
            let dw = get(&cid, "DW")
                .and_then(|o| o.as_number().ok())
                .unwrap_or(1000.0);
            (2, false, dw, get(&cid, "FontDescriptor"))
        } else {
            let first = get(font, "FirstChar")
                .and_then(|o| o.as_integer().ok())
                .map_or(0, i64::from);
            if let Some(Primitive::Array(w)) = get(font, "Widths") {
                for (i, v) in w.iter().enumerate().take(256) {
                    if let (Some(v), Ok(code)) =
                        (objects.number(v), u32::try_from(first + i as i64))
                    {
                        widths.insert(code, v);
                    }
                }
            }
            let standard = match get(font, "Encoding") {
                None => true,
                Some(Primitive::Name(n)) => matches!(
                    n.as_str(),
                    "WinAnsiEncoding" | "MacRomanEncoding" | "StandardEncoding"
                ),
                Some(Primitive::Dictionary(d)) => d.get("Differences").is_none(),
                Some(_) => false,
            };
            let descriptor = get(font, "FontDescriptor");
            let missing = descriptor
                .as_ref()
                .and_then(|d| d.as_dict().ok())
                .and_then(|d| get(d, "MissingWidth"))
                .and_then(|o| o.as_number().ok())
                .unwrap_or(500.0);
            (1, standard && subtype != "Type3", missing, descriptor)
        };
        let scale = if subtype == "Type3" {
            get(font, "FontMatrix")
                .and_then(|o| o.as_array().ok()?.first()?.as_number().ok())
                .filter(|v| v.is_finite() && *v > 0.0)
                .unwrap_or(0.001)
        } else {
            0.001
        };
        let metric = |key: &str, default: f32| {
            descriptor
                .as_ref()
                .and_then(|d| d.as_dict().ok())
                .and_then(|d| get(d, key))
                .and_then(|o| o.as_number().ok())
                .filter(|v| v.is_finite() && *v != 0.0)
                .unwrap_or(default)
        };
        Font {
            code_len,
            to_unicode,
            ascii,
            widths,
            default_width,
            scale,
            ascent: metric("Ascent", 800.0).clamp(100.0, 2000.0) * 0.001,
            descent: metric("Descent", -200.0).clamp(-1000.0, 0.0) * 0.001,
        }
    }

    fn width(&self, code: u32) -> f32 {
        self.widths
            .get(&code)
            .copied()
            .unwrap_or(self.default_width)
            * self.scale
    }

    /// The text of a code, and whether it is a trustworthy mapping.
    fn text(&self, code: u32) -> (String, bool) {
        if let Some(map) = &self.to_unicode {
            if let Some(s) = map.get(&code) {
                return (s.clone(), plausible(s));
            }
        }
        if self.ascii && self.code_len == 1 && (0x20..0x7f).contains(&code) {
            return (char::from(code as u8).to_string(), true);
        }
        (String::new(), false)
    }
}

/// The `/W` array of a CIDFont: `c [w1 w2 …]` and `c_first c_last w` entries.
fn cid_widths<R: Resolve>(objects: &Objects<'_, R>, w: &[Primitive], out: &mut HashMap<u32, f32>) {
    const MAX_ENTRIES: usize = 0x1_0000;
    let num = |o: &Primitive| objects.number(o);
    let mut i = 0;
    while i < w.len() && out.len() < MAX_ENTRIES {
        let Some(first) = num(&w[i]) else { break };
        let first = first.max(0.0) as u32;
        match w.get(i + 1).and_then(|o| objects.deref(o)) {
            Some(Primitive::Array(list)) => {
                for (k, v) in list.iter().enumerate() {
                    if let Some(v) = num(v) {
                        out.insert(first.saturating_add(k as u32), v);
                    }
                }
                i += 2;
            }
            Some(last) => {
                let (Some(last), Some(v)) = (last.as_number().ok(), w.get(i + 2).and_then(num))
                else {
                    break;
                };
                let last = (last.max(0.0) as u32).min(first.saturating_add(MAX_ENTRIES as u32));
                for code in first..=last {
                    out.insert(code, v);
                }
                i += 3;
            }
            None => break,
        }
    }
}

/// Whether decoded text is plausible in a Vietnamese document.
fn plausible(s: &str) -> bool {
    const VIETNAMESE_LATIN1: &str = "àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ";
    !s.is_empty()
        && s.chars().all(|c| {
            let control = c.is_control() && !c.is_whitespace();
            let private = ('\u{e000}'..='\u{f8ff}').contains(&c);
            let latin1_foreign =
                ('\u{a0}'..='\u{ff}').contains(&c) && !VIETNAMESE_LATIN1.contains(c);
            !(control || private || latin1_foreign || c == char::REPLACEMENT_CHARACTER)
        })
}

// ------------------------------------------------------------ interpreter

type Matrix = [f32; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `a × b`: first `a`, then `b`.
fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

fn apply(m: &Matrix, x: f32, y: f32) -> (f32, f32) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

/// An axis-aligned box in user space (y up).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rect {
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
}

impl Rect {
    fn around(points: &[(f32, f32)]) -> Rect {
        let mut r = Rect {
            x0: f32::INFINITY,
            y0: f32::INFINITY,
            x1: f32::NEG_INFINITY,
            y1: f32::NEG_INFINITY,
        };
        for &(x, y) in points {
            r.x0 = r.x0.min(x);
            r.y0 = r.y0.min(y);
            r.x1 = r.x1.max(x);
            r.y1 = r.y1.max(y);
        }
        r
    }

    fn union(&self, o: &Rect) -> Rect {
        Rect {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }

    fn contains(&self, x: f32, y: f32) -> bool {
        (self.x0..=self.x1).contains(&x) && (self.y0..=self.y1).contains(&y)
    }
}

/// One glyph as drawn.
#[derive(Debug, Clone)]
struct Glyph {
    text: String,
    mapped: bool,
    visible: bool,
    /// Its box in user space.
    rect: Rect,
    /// Baseline height and the glyph's height, for grouping into lines.
    baseline: f32,
    size: f32,
    /// Order of painting, to find glyphs hidden by later images.
    seq: usize,
}

#[derive(Debug, Clone)]
struct State {
    ctm: Matrix,
    char_spacing: f32,
    word_spacing: f32,
    h_scale: f32,
    leading: f32,
    font: Option<usize>,
    size: f32,
    rise: f32,
    mode: i64,
    white: bool,
}

impl State {
    fn new(ctm: Matrix) -> State {
        State {
            ctm,
            char_spacing: 0.0,
            word_spacing: 0.0,
            h_scale: 1.0,
            leading: 0.0,
            font: None,
            size: 0.0,
            rise: 0.0,
            mode: 0,
            white: false,
        }
    }
}

/// Which resource dictionaries a content stream sees: a page's, or a Form
/// XObject's own (a form without `/Resources` sees those of where it is
/// painted). Resource lookups are remembered per scope and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope {
    Page(PlainRef),
    Form(PlainRef),
    /// A form reached without a reference (not valid PDF), numbered.
    Unnamed(usize),
}

/// An XObject as far as text is concerned.
#[derive(Debug, Clone)]
enum Painted {
    Image,
    Form {
        stream: ::pdf::primitive::PdfStream,
        /// The reference of the form, its scope when it has resources.
        via: Option<PlainRef>,
    },
    Other,
}

struct Reader<'o, 'r, R: Resolve> {
    objects: &'o Objects<'r, R>,
    fonts: Vec<Font>,
    /// Fonts by the reference of their dictionary.
    font_refs: HashMap<PlainRef, usize>,
    /// Font resources looked up, by scope and name.
    font_names: HashMap<(Scope, String), Option<usize>>,
    /// XObject resources looked up, by scope and name.
    xobjects: HashMap<(Scope, String), Option<Painted>>,
    unnamed: usize,
    glyphs: Vec<Glyph>,
    /// Images painted, with their order of painting.
    images: Vec<(Rect, usize)>,
    seq: usize,
}

fn operand(ops: &[Primitive], i: usize) -> f32 {
    ops.get(i)
        .and_then(|o| o.as_number().ok())
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

fn matrix_of(ops: &[Primitive]) -> Matrix {
    [
        operand(ops, 0),
        operand(ops, 1),
        operand(ops, 2),
        operand(ops, 3),
        operand(ops, 4),
        operand(ops, 5),
    ]
}

impl<'o, 'r, R: Resolve> Reader<'o, 'r, R> {
    fn new(objects: &'o Objects<'r, R>) -> Reader<'o, 'r, R> {
        Reader {
            objects,
            fonts: Vec::new(),
            font_refs: HashMap::new(),
            font_names: HashMap::new(),
            xobjects: HashMap::new(),
            unnamed: 0,
            glyphs: Vec::new(),
            images: Vec::new(),
            seq: 0,
        }
    }

    fn font(&mut self, resources: &[Dictionary], scope: Scope, name: &str) -> Option<usize> {
        let key = (scope, name.to_string());
        if let Some(&found) = self.font_names.get(&key) {
            return found;
        }
        let found = self.load_font(resources, name);
        self.font_names.insert(key, found);
        found
    }

    fn load_font(&mut self, resources: &[Dictionary], name: &str) -> Option<usize> {
        let (font, via) = self.objects.resource(resources, "Font", name)?;
        let Primitive::Dictionary(dict) = font else {
            return None;
        };
        if let Some(&i) = via.and_then(|r| self.font_refs.get(&r)) {
            return Some(i);
        }
        self.fonts.push(Font::load(self.objects, &dict));
        let i = self.fonts.len() - 1;
        if let Some(r) = via {
            self.font_refs.insert(r, i);
        }
        Some(i)
    }

    fn xobject(&mut self, resources: &[Dictionary], scope: Scope, name: &str) -> Option<Painted> {
        let key = (scope, name.to_string());
        if let Some(found) = self.xobjects.get(&key) {
            return found.clone();
        }
        let found = self
            .objects
            .resource(resources, "XObject", name)
            .and_then(|(object, via)| match object {
                Primitive::Stream(stream) => Some(
                    match stream.info.get("Subtype").and_then(|s| s.as_name().ok()) {
                        Some("Image") => Painted::Image,
                        Some("Form") => Painted::Form { stream, via },
                        _ => Painted::Other,
                    },
                ),
                _ => None,
            });
        self.xobjects.insert(key, found.clone());
        found
    }

    /// Interprets one content stream.
    fn run(
        &mut self,
        content: &[u8],
        resources: &[Dictionary],
        scope: Scope,
        ctm: Matrix,
        depth: usize,
    ) {
        let mut gs = State::new(ctm);
        let mut stack: Vec<State> = Vec::new();
        let (mut tm, mut tlm) = (IDENTITY, IDENTITY);
        let budget = self.objects.budget;
        // Operators and operands, Form XObjects included, are charged to
        // the submission's budget; reading ends when it runs out.
        for op in operations(content, budget) {
            let o = &op.operands;
            match op.operator.as_str() {
                "q" if stack.len() < 64 => stack.push(gs.clone()),
                "Q" => {
                    if let Some(s) = stack.pop() {
                        gs = s;
                    }
                }
                "cm" => gs.ctm = mul(&matrix_of(o), &gs.ctm),
                "g" => gs.white = operand(o, 0) >= 0.99,
                "rg" => gs.white = (0..3).all(|i| operand(o, i) >= 0.99),
                "k" => gs.white = (0..4).all(|i| operand(o, i) <= 0.01),
                "BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                "Tc" => gs.char_spacing = operand(o, 0),
                "Tw" => gs.word_spacing = operand(o, 0),
                "Tz" => gs.h_scale = operand(o, 0) / 100.0,
                "TL" => gs.leading = operand(o, 0),
                "Ts" => gs.rise = operand(o, 0),
                "Tr" => {
                    gs.mode = o
                        .first()
                        .and_then(|v| v.as_integer().ok())
                        .map_or(0, i64::from)
                }
                "Tf" => {
                    gs.size = operand(o, 1);
                    gs.font = o
                        .first()
                        .and_then(|n| n.as_name().ok())
                        .and_then(|n| self.font(resources, scope, n));
                }
                "Td" | "TD" => {
                    if op.operator == "TD" {
                        gs.leading = -operand(o, 1);
                    }
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, operand(o, 0), operand(o, 1)], &tlm);
                    tm = tlm;
                }
                "Tm" => {
                    tlm = matrix_of(o);
                    tm = tlm;
                }
                "T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                    tm = tlm;
                }
                "Tj" | "'" | "\"" | "TJ" => {
                    if op.operator != "Tj" && op.operator != "TJ" {
                        if op.operator == "\"" {
                            gs.word_spacing = operand(o, 0);
                            gs.char_spacing = operand(o, 1);
                        }
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                        tm = tlm;
                    }
                    match o.last() {
                        Some(Primitive::String(s)) => self.show(&gs, &mut tm, s.as_bytes()),
                        Some(Primitive::Array(items)) => {
                            for item in items {
                                match item {
                                    Primitive::String(s) => self.show(&gs, &mut tm, s.as_bytes()),
                                    other => {
                                        let n = other.as_number().unwrap_or(0.0);
                                        let tx = -n / 1000.0 * gs.size * gs.h_scale;
                                        tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &tm);
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
                "Do" => {
                    if let Some(name) = o.first().and_then(|n| n.as_name().ok()) {
                        self.paint(resources, scope, name, &gs.ctm, depth);
                    }
                }
                _ => {}
            }
        }
    }

    /// Paints XObject `name`: an image hides the text under it; a form's
    /// content is read in turn.
    fn paint(
        &mut self,
        resources: &[Dictionary],
        scope: Scope,
        name: &str,
        ctm: &Matrix,
        depth: usize,
    ) {
        match self.xobject(resources, scope, name) {
            Some(Painted::Image) => {
                let corners =
                    [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)].map(|(x, y)| apply(ctm, x, y));
                self.seq += 1;
                self.images.push((Rect::around(&corners), self.seq));
            }
            Some(Painted::Form { stream, via }) if depth < MAX_FORM_DEPTH => {
                let matrix = stream
                    .info
                    .get("Matrix")
                    .and_then(|m| m.as_array().ok())
                    .map(matrix_of)
                    .unwrap_or(IDENTITY);
                let own = stream
                    .info
                    .get("Resources")
                    .and_then(|r| self.objects.dict(r));
                let (inner, inner_scope) = match own {
                    Some(r) => {
                        let scope = match via {
                            Some(form) => Scope::Form(form),
                            None => {
                                self.unnamed += 1;
                                Scope::Unnamed(self.unnamed)
                            }
                        };
                        (vec![r], scope)
                    }
                    None => (resources.to_vec(), scope),
                };
                let content = match self.objects.stream_data(&stream, MAX_STREAM_BYTES) {
                    Ok(content) => Some(content),
                    Err(StreamError::TooLarge | StreamError::Undecodable)
                        if stream.info.get("Filter").is_none() =>
                    {
                        self.objects.raw(&stream)
                    }
                    Err(_) => None,
                };
                if let Some(content) = content {
                    self.run(&content, &inner, inner_scope, mul(&matrix, ctm), depth + 1);
                }
            }
            _ => {}
        }
    }

    /// Shows a string: one glyph per character code.
    fn show(&mut self, gs: &State, tm: &mut Matrix, bytes: &[u8]) {
        let Some(font) = gs.font.and_then(|i| self.fonts.get(i)) else {
            return;
        };
        let visible = !matches!(gs.mode, 3 | 7) && !gs.white;
        for chunk in bytes.chunks(font.code_len) {
            let code = chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
            let w0 = font.width(code);
            let trm = mul(
                &mul(&[gs.size * gs.h_scale, 0.0, 0.0, gs.size, 0.0, gs.rise], tm),
                &gs.ctm,
            );
            let corners = [
                (0.0, font.descent),
                (w0, font.descent),
                (0.0, font.ascent),
                (w0, font.ascent),
            ]
            .map(|(x, y)| apply(&trm, x, y));
            let (_, baseline) = apply(&trm, 0.0, 0.0);
            let (text, mapped) = font.text(code);
            let height = (trm[2].powi(2) + trm[3].powi(2)).sqrt() * (font.ascent - font.descent);
            self.seq += 1;
            self.glyphs.push(Glyph {
                text,
                mapped,
                visible,
                rect: Rect::around(&corners),
                baseline,
                size: height,
                seq: self.seq,
            });
            let space = font.code_len == 1 && code == 32;
            let tx = (w0 * gs.size + gs.char_spacing + if space { gs.word_spacing } else { 0.0 })
                * gs.h_scale;
            *tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], tm);
        }
    }

    /// The glyphs a reader of the page sees, in painting order.
    fn visible_glyphs(&self, frame: &PageFrame) -> Vec<Glyph> {
        self.glyphs
            .iter()
            .filter(|g| {
                let (cx, cy) = ((g.rect.x0 + g.rect.x1) / 2.0, (g.rect.y0 + g.rect.y1) / 2.0);
                g.visible
                    && g.size >= 1.0
                    && frame.contains(cx, cy)
                    && !self
                        .images
                        .iter()
                        .any(|(r, seq)| *seq > g.seq && r.contains(cx, cy))
            })
            .cloned()
            .collect()
    }
}

// ------------------------------------------------------------ words and lines

/// Applies the trust rule and groups the glyphs into lines of words.
fn judge(glyphs: &[Glyph], frame: &PageFrame) -> PageText {
    let inked: Vec<&Glyph> = glyphs
        .iter()
        .filter(|g| !(g.mapped && g.text.trim().is_empty()))
        .collect();
    if inked.is_empty() {
        return PageText::None;
    }
    let mapped = inked.iter().filter(|g| g.mapped).count();
    if inked.len() < MIN_GLYPHS || (mapped as f32) < MIN_MAPPED * inked.len() as f32 {
        return PageText::Unusable;
    }
    let mut lines: Vec<Vec<(String, Rect)>> = Vec::new();
    let mut prev: Option<&Glyph> = None;
    let mut word: Option<(String, Rect)> = None;
    let mut line: Vec<(String, Rect)> = Vec::new();
    for g in glyphs.iter().filter(|g| g.mapped) {
        let blank = g.text.trim().is_empty();
        let (same_line, gap) = match prev {
            None => (false, f32::INFINITY),
            Some(p) => {
                let size = p.size.max(g.size).max(0.1);
                let same = (g.baseline - p.baseline).abs() < 0.4 * size
                    && g.rect.x0 > p.rect.x0 - 0.1 * size;
                (same, (g.rect.x0 - p.rect.x1) / size)
            }
        };
        if !same_line || gap > 2.5 {
            line.extend(word.take());
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
        } else if blank || gap > 0.2 {
            line.extend(word.take());
        }
        if !blank {
            word = Some(match word.take() {
                Some((mut t, r)) => {
                    t.push_str(&g.text);
                    (t, r.union(&g.rect))
                }
                None => (g.text.clone(), g.rect),
            });
        }
        prev = Some(g);
    }
    line.extend(word.take());
    if !line.is_empty() {
        lines.push(line);
    }
    let mut lines: Vec<Line> = lines
        .into_iter()
        .map(|l| Line {
            words: l
                .into_iter()
                .map(|(text, rect)| Word {
                    text: text.trim().nfc().collect(),
                    conf: TEXT_LAYER_CONF,
                    bbox: frame.pixel_box(&rect, TEXT_LAYER_DPI),
                })
                .filter(|w| !w.text.is_empty())
                .collect(),
        })
        .filter(|l: &Line| !l.words.is_empty())
        .collect();
    lines.sort_by_key(|l| {
        let b = l.bbox();
        (b.y0 + b.y1) / 2
    });
    let (width, height) = frame.pixels(TEXT_LAYER_DPI);
    PageText::Usable(OcrPage {
        width,
        height,
        dpi: TEXT_LAYER_DPI,
        lines,
        source: TextSource::TextLayer,
    })
}

#[cfg(test)]
mod tests {
    use image::{DynamicImage, GrayImage, Luma};
    use lopdf::{dictionary, Dictionary, Document, Object, Stream};

    use super::*;
    use crate::decode::{decode_with_text, DecodeError, Limits};
    use crate::pdf::write::{Content, PdfBuilder};
    use crate::render::FontSet;

    const LINES: &[&str] = &[
        "GIẤY KHAI SINH",
        "Họ, chữ đệm, tên: Nguyễn Thị Ngọc Ánh",
        "Số định danh cá nhân: 079301004567",
    ];

    /// Where the text sits relative to a full-page image.
    #[derive(Clone, Copy, PartialEq)]
    enum Image {
        None,
        Below,
        Above,
    }

    /// An A4 page with `LINES` in an embedded Unicode font (Type0, Identity-H,
    /// ToUnicode), drawn in render mode `mode` and gray `gray`.
    fn unicode_pdf(mode: u8, gray: f32, image: Image) -> Vec<u8> {
        let fonts = FontSet::find().expect("Noto or DejaVu fonts are installed");
        let mut b = PdfBuilder::new();
        let f = b.add_font(&fonts.regular).expect("font");
        let scan = DynamicImage::ImageLuma8(GrayImage::from_pixel(62, 88, Luma([230])));
        let img = (image != Image::None).then(|| b.add_pixels(&scan));
        let mut c = Content::new();
        if image == Image::Below {
            c.image("Im1", 0.0, 0.0, 595.0, 842.0);
        }
        c.gray(gray);
        for (i, line) in LINES.iter().enumerate() {
            c.begin_text();
            c.render_mode(mode);
            c.font("F1", 12.0);
            c.text_at(72.0, 770.0 - 24.0 * i as f32);
            c.show(b.font(f), line);
            c.end_text();
        }
        if image == Image::Above {
            c.image("Im1", 0.0, 0.0, 595.0, 842.0);
        }
        let images: Vec<_> = img.iter().map(|i| ("Im1", *i)).collect();
        b.add_page(595.0, 842.0, c, &[("F1", f)], &images);
        b.finish().expect("pdf")
    }

    /// A page drawing `text` in Helvetica (WinAnsiEncoding, no ToUnicode),
    /// over a full-page image when `image`.
    fn simple_font_pdf(text: &[u8], image: bool) -> Vec<u8> {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
            "Encoding" => "WinAnsiEncoding",
        });
        let mut ops = Vec::new();
        let mut resources = dictionary! { "Font" => dictionary! { "F1" => font } };
        if image {
            let pixels = vec![200u8; 40 * 56];
            let im = doc.add_object(Stream::new(
                dictionary! {
                    "Type" => "XObject", "Subtype" => "Image", "Width" => 40, "Height" => 56,
                    "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
                },
                pixels,
            ));
            resources.set("XObject", dictionary! { "Im1" => im });
            ops.extend_from_slice(b"q 595 0 0 842 0 0 cm /Im1 Do Q\n");
        }
        for i in 0..4 {
            ops.extend_from_slice(format!("BT /F1 12 Tf 72 {} Td (", 770 - 20 * i).as_bytes());
            ops.extend_from_slice(text);
            ops.extend_from_slice(b") Tj ET\n");
        }
        let contents = doc.add_object(Stream::new(Dictionary::new(), ops));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Resources" => resources, "Contents" => contents,
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(
                dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
            ),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        let mut out = Vec::new();
        doc.save_to(&mut out).expect("save");
        out
    }

    fn words(page: &OcrPage) -> Vec<String> {
        page.lines
            .iter()
            .flat_map(|l| l.words.iter().map(|w| w.text.clone()))
            .collect()
    }

    #[test]
    fn visible_unicode_text_is_used_with_its_geometry() {
        let decoded = decode_with_text(&unicode_pdf(0, 0.0, Image::None), &Limits::default())
            .expect("decodes");
        assert_eq!(decoded.pages.len(), 1);
        // A blank stand-in of the page's size, one pixel per point.
        let page = &decoded.pages[0];
        assert_eq!((page.image.width(), page.image.height()), (595, 842));
        assert_eq!(page.dpi, Some(72));
        let text = decoded.text[0].as_ref().expect("the text layer is used");
        assert_eq!(text.source, TextSource::TextLayer);
        assert_eq!((text.width, text.height, text.dpi), (2479, 3508, 300));
        let lines: Vec<String> = text.lines.iter().map(Line::text).collect();
        assert_eq!(lines, LINES);
        let first = &text.lines[0].words[0];
        assert_eq!(first.text, "GIẤY");
        assert_eq!(first.conf, TEXT_LAYER_CONF);
        // 72 pt from the left, baseline 72 pt below the top, at 300 dpi.
        assert!((first.bbox.x0 as i32 - 300).abs() <= 2, "{:?}", first.bbox);
        assert!(
            first.bbox.y0 < 300 && first.bbox.y1 > 300,
            "{:?}",
            first.bbox
        );
        assert!(first.bbox.width() > 60 && first.bbox.width() < 200);
    }

    #[test]
    fn visible_text_over_a_scan_is_used_and_the_scan_kept() {
        let decoded = decode_with_text(&unicode_pdf(0, 0.0, Image::Below), &Limits::default())
            .expect("decodes");
        assert_eq!(decoded.pages[0].image.width(), 62);
        let text = decoded.text[0].as_ref().expect("the text layer is used");
        assert!(words(text).contains(&"079301004567".to_string()));
    }

    #[test]
    fn hidden_text_is_never_used() {
        let cases = [
            (
                "invisible (3 Tr) over a scan",
                unicode_pdf(3, 0.0, Image::Below),
            ),
            (
                "clip only (7 Tr) over a scan",
                unicode_pdf(7, 0.0, Image::Below),
            ),
            ("white over a scan", unicode_pdf(0, 1.0, Image::Below)),
            (
                "covered by a later image",
                unicode_pdf(0, 0.0, Image::Above),
            ),
        ];
        for (name, pdf) in cases {
            let decoded = decode_with_text(&pdf, &Limits::default()).expect(name);
            assert_eq!(decoded.pages.len(), 1, "{name}");
            assert_eq!(decoded.pages[0].image.width(), 62, "{name}: the scan");
            assert!(decoded.text[0].is_none(), "{name}: the page must be OCRed");
        }
        // Invisible text without an image: nothing to OCR, nothing to trust.
        assert!(matches!(
            decode_with_text(&unicode_pdf(3, 0.0, Image::None), &Limits::default()),
            Err(DecodeError::NoImages)
        ));
    }

    #[test]
    fn ascii_in_a_standard_simple_font_is_trusted() {
        let pdf = simple_font_pdf(b"Registration number 461/1990 issued", false);
        let decoded = decode_with_text(&pdf, &Limits::default()).expect("decodes");
        let text = decoded.text[0].as_ref().expect("used");
        assert_eq!(text.lines.len(), 4);
        assert_eq!(text.lines[0].text(), "Registration number 461/1990 issued");
    }

    #[test]
    fn legacy_vietnamese_encodings_fall_back_to_ocr() {
        // "Cơ quan nhà nước" in TCVN3 (.VnTime) bytes, shown through WinAnsi.
        let tcvn3 = b"C\xac quan nh\xb5 n\xad\xedc c\xe3 th\xb8m quy\xd2n";
        let with_scan = simple_font_pdf(tcvn3, true);
        let decoded = decode_with_text(&with_scan, &Limits::default()).expect("decodes");
        assert_eq!(decoded.pages[0].image.width(), 40);
        assert!(decoded.text[0].is_none(), "the scan is OCRed instead");
        let alone = simple_font_pdf(tcvn3, false);
        let err = decode_with_text(&alone, &Limits::default()).expect_err("nothing to read");
        assert!(
            matches!(err, DecodeError::UnreadableText { page: 1 }),
            "{err}"
        );
        assert!(err.to_string().contains("Unicode"), "{err}");
    }

    #[test]
    fn plausibility_of_decoded_text() {
        assert!(plausible("Nguyễn Thị Ánh, 079301004567"));
        assert!(plausible("Đà Nẵng – “số”"));
        for bad in ["\u{fffd}", "\u{e001}", "\u{1}", "Vieät", "nh\u{b5}", ""] {
            assert!(!plausible(bad), "{bad:?}");
        }
    }

    #[test]
    fn rotated_pages_turn_their_word_boxes() {
        let frame = PageFrame {
            left: 0.0,
            bottom: 0.0,
            right: 72.0,
            top: 144.0,
            rotate: 90,
        };
        assert_eq!(frame.pixels(300), (600, 300));
        // A box at the top-left of the unrotated page ends at the top right.
        let b = frame.pixel_box(
            &Rect {
                x0: 0.0,
                y0: 134.0,
                x1: 36.0,
                y1: 144.0,
            },
            300,
        );
        assert_eq!(
            b,
            BBox {
                x0: 558,
                y0: 0,
                x1: 600,
                y1: 150
            }
        );
    }
}
