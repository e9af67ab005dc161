//! Fonts, page layout and text rasterization: a [`Document`] onto a white A4 page.

use std::path::{Path, PathBuf};

use ab_glyph::{point, Font, FontVec, GlyphId, PxScale, ScaleFont};
use image::{GrayImage, Luma};
use rand::rngs::StdRng;
use rand::Rng;

use super::content::{Document, Entry, Item};
use super::SampleError;

/// The font files the generator draws with: family, regular, bold, Debian package.
const FONT_FILES: &[(&str, &str, &str, &str)] = &[
    (
        "DejaVu Sans",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "fonts-dejavu-core",
    ),
    (
        "Noto Serif",
        "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSerif-Bold.ttf",
        "fonts-noto-core",
    ),
    (
        "DejaVu Serif",
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
        "fonts-dejavu-core",
    ),
    (
        "Noto Sans",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
        "fonts-noto-core",
    ),
];

/// More families with full Vietnamese coverage (precomposed letters with two
/// marks, `đ`, `ơ`, `ư`), other than those the pipeline is measured on by
/// default: the wide generator draws with these when installed, and goes on
/// without a family whose files are missing. Their packages are in the
/// Makefile's DEB_PACKAGES.
const WIDE_FONT_FILES: &[(&str, &str, &str, &str)] = &[
    (
        "Liberation Serif",
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf",
        "fonts-liberation2",
    ),
    (
        "Liberation Sans",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
        "fonts-liberation2",
    ),
    (
        "FreeSerif",
        "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
        "/usr/share/fonts/truetype/freefont/FreeSerifBold.ttf",
        "fonts-freefont-ttf",
    ),
    (
        "FreeSans",
        "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
        "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
        "fonts-freefont-ttf",
    ),
    (
        "TeX Gyre Termes",
        "/usr/share/texmf/fonts/opentype/public/tex-gyre/texgyretermes-regular.otf",
        "/usr/share/texmf/fonts/opentype/public/tex-gyre/texgyretermes-bold.otf",
        "fonts-texgyre",
    ),
    (
        "TeX Gyre Heros",
        "/usr/share/texmf/fonts/opentype/public/tex-gyre/texgyreheros-regular.otf",
        "/usr/share/texmf/fonts/opentype/public/tex-gyre/texgyreheros-bold.otf",
        "fonts-texgyre",
    ),
    (
        "TeX Gyre Pagella",
        "/usr/share/texmf/fonts/opentype/public/tex-gyre/texgyrepagella-regular.otf",
        "/usr/share/texmf/fonts/opentype/public/tex-gyre/texgyrepagella-bold.otf",
        "fonts-texgyre",
    ),
    (
        "TeX Gyre Schola",
        "/usr/share/texmf/fonts/opentype/public/tex-gyre/texgyreschola-regular.otf",
        "/usr/share/texmf/fonts/opentype/public/tex-gyre/texgyreschola-bold.otf",
        "fonts-texgyre",
    ),
    (
        "Roboto",
        "/usr/share/fonts/truetype/roboto/unhinted/RobotoTTF/Roboto-Regular.ttf",
        "/usr/share/fonts/truetype/roboto/unhinted/RobotoTTF/Roboto-Bold.ttf",
        "fonts-roboto-unhinted",
    ),
    (
        "Open Sans",
        "/usr/share/fonts/truetype/open-sans/OpenSans-Regular.ttf",
        "/usr/share/fonts/truetype/open-sans/OpenSans-Bold.ttf",
        "fonts-open-sans",
    ),
    (
        "Linux Libertine O",
        "/usr/share/fonts/opentype/linux-libertine/LinLibertine_R.otf",
        "/usr/share/fonts/opentype/linux-libertine/LinLibertine_RB.otf",
        "fonts-linuxlibertine",
    ),
    (
        "DejaVu Sans Condensed",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
        "fonts-dejavu-extra",
    ),
];

/// A font family in two weights.
pub(crate) struct Family {
    name: &'static str,
    regular: FontVec,
    bold: FontVec,
}

/// Every family the generator uses; the first one also draws the seal.
pub(crate) struct Fonts {
    pub(crate) families: Vec<Family>,
    /// How many of `families` are the standard ones (the rest are wide).
    standard: usize,
}

fn read_font(path: &str, package: &'static str) -> Result<FontVec, SampleError> {
    let bytes = std::fs::read(path).map_err(|source| SampleError::FontMissing {
        path: PathBuf::from(path),
        package,
        source,
    })?;
    FontVec::try_from_vec(bytes).map_err(|_| SampleError::FontInvalid {
        path: PathBuf::from(path),
        package,
    })
}

impl Fonts {
    /// Loads every standard family from the Debian font packages.
    pub(crate) fn load() -> Result<Fonts, SampleError> {
        let mut families = Vec::new();
        for &(name, regular, bold, package) in FONT_FILES {
            families.push(Family {
                name,
                regular: read_font(regular, package)?,
                bold: read_font(bold, package)?,
            });
        }
        let standard = families.len();
        Ok(Fonts { families, standard })
    }

    /// The standard families, then each wide family whose two files are
    /// installed; a missing file leaves its family out, a file that is no
    /// usable font is an error.
    pub(crate) fn load_wide() -> Result<Fonts, SampleError> {
        let mut fonts = Fonts::load()?;
        for &(name, regular, bold, package) in WIDE_FONT_FILES {
            if !(Path::new(regular).is_file() && Path::new(bold).is_file()) {
                continue;
            }
            fonts.families.push(Family {
                name,
                regular: read_font(regular, package)?,
                bold: read_font(bold, package)?,
            });
        }
        Ok(fonts)
    }

    /// The wide families loaded, as a range of indices into `families`.
    pub(crate) fn wide(&self) -> std::ops::Range<usize> {
        self.standard..self.families.len()
    }

    /// The name of a family (index wraps).
    pub(crate) fn name(&self, family: usize) -> &'static str {
        self.families[family % self.families.len()].name
    }

    /// The font of a family (index wraps) in a weight.
    pub(crate) fn font(&self, family: usize, bold: bool) -> &FontVec {
        let f = &self.families[family % self.families.len()];
        if bold {
            &f.bold
        } else {
            &f.regular
        }
    }

    /// The font files, for error messages and checks.
    #[cfg(test)]
    pub(crate) fn paths() -> impl Iterator<Item = &'static std::path::Path> {
        FONT_FILES
            .iter()
            .flat_map(|(_, r, b, _)| [std::path::Path::new(*r), std::path::Path::new(*b)])
    }
}

/// A font at a size.
#[derive(Clone, Copy)]
pub(crate) struct Face<'a> {
    font: &'a FontVec,
    scale: PxScale,
}

impl<'a> Face<'a> {
    /// `font` with an em of `em_px` pixels.
    pub(crate) fn new(font: &'a FontVec, em_px: f32) -> Face<'a> {
        let upem = font.units_per_em().unwrap_or(2048.0);
        let scale = PxScale::from(em_px * font.height_unscaled() / upem);
        Face { font, scale }
    }

    pub(crate) fn ascent(&self) -> f32 {
        self.font.as_scaled(self.scale).ascent()
    }

    /// The advance width of `text`.
    pub(crate) fn width(&self, text: &str) -> f32 {
        let sf = self.font.as_scaled(self.scale);
        let mut w = 0.0;
        let mut prev: Option<GlyphId> = None;
        for c in text.chars() {
            let id = sf.glyph_id(c);
            if let Some(p) = prev {
                w += sf.kern(p, id);
            }
            w += sf.h_advance(id);
            prev = Some(id);
        }
        w
    }

    /// Calls `plot(x, y, coverage)` for every pixel `text` covers, with the
    /// baseline starting at (`x`, `baseline`).
    pub(crate) fn raster(
        &self,
        text: &str,
        x: f32,
        baseline: f32,
        mut plot: impl FnMut(i64, i64, f32),
    ) {
        let sf = self.font.as_scaled(self.scale);
        let mut caret = x;
        let mut prev: Option<GlyphId> = None;
        for c in text.chars() {
            let id = sf.glyph_id(c);
            if let Some(p) = prev {
                caret += sf.kern(p, id);
            }
            let glyph = id.with_scale_and_position(self.scale, point(caret, baseline));
            caret += sf.h_advance(id);
            prev = Some(id);
            if let Some(og) = self.font.outline_glyph(glyph) {
                let b = og.px_bounds();
                let (x0, y0) = (b.min.x as i64, b.min.y as i64);
                og.draw(|gx, gy, cov| plot(x0 + i64::from(gx), y0 + i64::from(gy), cov));
            }
        }
    }

    /// Draws `text` in `ink` (gray level) onto `img`.
    pub(crate) fn draw(&self, img: &mut GrayImage, text: &str, x: f32, baseline: f32, ink: u8) {
        let (w, h) = (i64::from(img.width()), i64::from(img.height()));
        self.raster(text, x, baseline, |px, py, cov| {
            if px < 0 || py < 0 || px >= w || py >= h {
                return;
            }
            let cov = cov.clamp(0.0, 1.0);
            let p = img.get_pixel_mut(px as u32, py as u32);
            let old = f32::from(p.0[0]);
            let new = old + (f32::from(ink) - old) * cov;
            if new < old {
                *p = Luma([new.round() as u8]);
            }
        });
    }
}

/// Page geometry and typography of one rendering.
#[derive(Debug, Clone)]
pub(crate) struct Look {
    /// Resolution in dots per inch.
    pub(crate) dpi: u32,
    /// Index into [`Fonts::families`].
    pub(crate) family: usize,
    /// Body size in points.
    pub(crate) body_pt: f32,
    /// Title size in points.
    pub(crate) title_pt: f32,
    /// Line advance as a multiple of the body size.
    pub(crate) leading: f32,
    /// Left margin in millimetres.
    pub(crate) margin_left_mm: f32,
    /// Right margin in millimetres.
    pub(crate) margin_right_mm: f32,
    /// Top margin in millimetres.
    pub(crate) margin_top_mm: f32,
    /// Values in bold.
    pub(crate) bold_values: bool,
    /// Ink gray level (0 is black).
    pub(crate) ink: u8,
    /// How entries are laid out.
    pub(crate) entries: EntryLayout,
    /// Put two short entries on one line.
    pub(crate) pair_short: bool,
}

/// Where an entry's value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryLayout {
    /// `Label: value` on one line.
    Inline,
    /// The label on one line, the value indented on the next.
    Stacked,
    /// Either, entry by entry.
    Mixed,
}

impl Look {
    /// The clean look: 300 dpi, one line per entry, a random family and size.
    pub(crate) fn clean(rng: &mut StdRng, families: usize) -> Look {
        Look {
            dpi: 300,
            family: rng.gen_range(0..families.max(1)),
            body_pt: rng.gen_range(12.0..13.5),
            title_pt: rng.gen_range(15.0..17.5),
            leading: rng.gen_range(1.45..1.7),
            margin_left_mm: rng.gen_range(22.0..32.0),
            margin_right_mm: rng.gen_range(15.0..20.0),
            margin_top_mm: rng.gen_range(15.0..22.0),
            bold_values: rng.gen_bool(0.3),
            ink: rng.gen_range(0..40),
            entries: EntryLayout::Inline,
            pair_short: false,
        }
    }
}

/// Page size in pixels of A4 at `dpi`.
pub(crate) fn a4(dpi: u32) -> (u32, u32) {
    let px = |mm: f32| (mm / 25.4 * dpi as f32).round() as u32;
    (px(210.0), px(297.0))
}

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Rect {
    pub(crate) x: f32,
    pub(crate) y: f32,
    pub(crate) w: f32,
    pub(crate) h: f32,
}

/// Where things landed on a rendered page.
#[derive(Debug, Clone, Default)]
pub(crate) struct Anchors {
    /// The space left for the handwritten signature.
    pub(crate) signature: Rect,
    /// The bounding boxes of entry lines.
    pub(crate) entries: Vec<Rect>,
}

/// A positioned piece of text.
struct Op {
    text: String,
    x: f32,
    baseline: f32,
    bold: bool,
    em: f32,
}

/// Lays text out top to bottom.
struct Cursor<'a> {
    fonts: &'a Fonts,
    look: &'a Look,
    scale: f32,
    px_per_pt: f32,
    left: f32,
    right: f32,
    y: f32,
    ops: Vec<Op>,
    rules: Vec<Rect>,
    anchors: Anchors,
}

impl<'a> Cursor<'a> {
    fn face(&self, bold: bool, pt: f32) -> Face<'a> {
        Face::new(
            self.fonts.font(self.look.family, bold),
            pt * self.scale * self.px_per_pt,
        )
    }

    fn body_em(&self) -> f32 {
        self.look.body_pt * self.scale * self.px_per_pt
    }

    fn advance(&self) -> f32 {
        self.body_em() * self.look.leading
    }

    fn text_width(&self) -> f32 {
        self.right - self.left
    }

    fn push(&mut self, text: &str, x: f32, bold: bool, pt: f32) {
        let em = pt * self.scale * self.px_per_pt;
        self.ops.push(Op {
            text: text.to_string(),
            x,
            baseline: self.y + self.face(bold, pt).ascent(),
            bold,
            em,
        });
    }

    fn centered(&mut self, text: &str, bold: bool, pt: f32, center: f32, avail: f32) {
        let face = self.face(bold, pt);
        for line in wrap(&face, text, avail, avail) {
            let w = face.width(&line);
            self.push(&line, center - w / 2.0, bold, pt);
            self.y += pt * self.scale * self.px_per_pt * self.look.leading;
        }
    }

    fn gap(&mut self, lines: f32) {
        self.y += self.advance() * lines;
    }

    fn para(&mut self, text: &str, bold: bool) {
        let pt = self.look.body_pt;
        let face = self.face(bold, pt);
        let indent = self.body_em() * 1.5;
        for (i, line) in wrap(&face, text, self.text_width() - indent, self.text_width())
            .into_iter()
            .enumerate()
        {
            let x = if i == 0 {
                self.left + indent
            } else {
                self.left
            };
            self.push(&line, x, bold, pt);
            self.y += self.advance();
        }
    }

    /// One entry; `stacked` puts the value on its own line.
    fn entry(&mut self, e: &Entry, stacked: bool) {
        let pt = self.look.body_pt;
        let label_face = self.face(false, pt);
        let value_face = self.face(self.look.bold_values, pt);
        let top = self.y;
        let label_w = label_face.width(&e.label);
        self.push(&e.label, self.left, false, pt);
        let space = label_face.width(" ");
        let (first_x, first_avail) = if stacked {
            self.y += self.advance();
            let x = self.left + self.body_em() * 2.0;
            (x, self.right - x)
        } else {
            let x = self.left + label_w + space;
            (x, self.right - x)
        };
        let lines = wrap(&value_face, &e.value, first_avail, self.text_width());
        for (i, line) in lines.iter().enumerate() {
            let x = if i == 0 { first_x } else { self.left };
            self.push(line, x, self.look.bold_values, pt);
            self.y += self.advance();
        }
        self.anchors.entries.push(Rect {
            x: self.left,
            y: top,
            w: self.text_width(),
            h: self.y - top,
        });
    }

    /// Two short entries on one line.
    fn pair(&mut self, a: &Entry, b: &Entry) {
        let pt = self.look.body_pt;
        let label_face = self.face(false, pt);
        let value_face = self.face(self.look.bold_values, pt);
        let space = label_face.width(" ");
        let top = self.y;
        let mut x = self.left;
        let second = self.left + self.text_width() * 0.5;
        for (i, e) in [a, b].into_iter().enumerate() {
            if i == 1 {
                x = x.max(second);
            }
            self.push(&e.label, x, false, pt);
            x += label_face.width(&e.label) + space;
            self.push(&e.value, x, self.look.bold_values, pt);
            x += value_face.width(&e.value) + self.body_em() * 2.0;
        }
        self.y += self.advance();
        self.anchors.entries.push(Rect {
            x: self.left,
            y: top,
            w: self.text_width(),
            h: self.y - top,
        });
    }
}

/// Greedy word wrap: the first line gets `first` pixels, the others `rest`.
fn wrap(face: &Face<'_>, text: &str, first: f32, rest: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let avail = if lines.is_empty() { first } else { rest };
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && face.width(&candidate) > avail {
            lines.push(std::mem::take(&mut line));
            line = word.to_string();
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A laid-out page: text to draw, rules, anchors and how far down it reaches.
struct Laid {
    ops: Vec<Op>,
    rules: Vec<Rect>,
    anchors: Anchors,
    bottom: f32,
}

const HEADER: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
const MOTTO: &str = "Độc lập - Tự do - Hạnh phúc";

/// Splits body items into layout rows: single entries, pairs and paragraphs.
pub(crate) enum Row<'d> {
    /// One entry; `true` puts the value on the next line.
    Entry(&'d Entry, bool),
    /// Two short entries sharing a line.
    Pair(&'d Entry, &'d Entry),
    /// A paragraph.
    Para(&'d str),
    /// A bold heading.
    Heading(&'d str),
}

/// Decides each row's layout (random choices come from `rng`).
pub(crate) fn rows<'d>(items: &'d [Item], look: &Look, rng: &mut StdRng) -> Vec<Row<'d>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < items.len() {
        match &items[i] {
            Item::Entry(e) => {
                if look.pair_short && e.is_short() {
                    if let Some(Item::Entry(next)) = items.get(i + 1) {
                        if next.is_short() && rng.gen_bool(0.8) {
                            out.push(Row::Pair(e, next));
                            i += 2;
                            continue;
                        }
                    }
                }
                let stacked = match look.entries {
                    EntryLayout::Inline => false,
                    EntryLayout::Stacked => true,
                    EntryLayout::Mixed => rng.gen_bool(0.5),
                };
                out.push(Row::Entry(e, stacked));
            }
            Item::Para(p) => out.push(Row::Para(p)),
            Item::Heading(h) => out.push(Row::Heading(h)),
        }
        i += 1;
    }
    out
}

fn lay_out(fonts: &Fonts, look: &Look, doc: &Document, rows: &[Row<'_>], scale: f32) -> Laid {
    let (w, _) = a4(look.dpi);
    let px_per_mm = look.dpi as f32 / 25.4;
    let mut c = Cursor {
        fonts,
        look,
        scale,
        px_per_pt: look.dpi as f32 / 72.0,
        left: look.margin_left_mm * px_per_mm,
        right: w as f32 - look.margin_right_mm * px_per_mm,
        y: look.margin_top_mm * px_per_mm,
        ops: Vec::new(),
        rules: Vec::new(),
        anchors: Anchors::default(),
    };
    let center = (c.left + c.right) / 2.0;
    let avail = c.text_width();
    let header_pt = look.body_pt * 1.0;
    c.centered(HEADER, true, header_pt, center, avail);
    let motto_face = c.face(true, header_pt);
    let motto_w = motto_face.width(MOTTO);
    let motto_top = c.y;
    c.centered(MOTTO, true, header_pt, center, avail);
    c.rules.push(Rect {
        x: center - motto_w / 2.0,
        y: motto_top + motto_face.ascent() + c.body_em() * 0.32,
        w: motto_w,
        h: (look.dpi as f32 / 150.0).max(1.0),
    });
    c.gap(1.3);
    c.centered(&doc.title, true, look.title_pt, center, avail * 0.92);
    if let Some(sub) = &doc.subtitle {
        c.centered(sub, false, look.body_pt, center, avail);
    }
    c.gap(0.7);
    for row in rows {
        match row {
            Row::Entry(e, stacked) => c.entry(e, *stacked),
            Row::Pair(a, b) => c.pair(a, b),
            Row::Para(p) => c.para(p, false),
            Row::Heading(h) => {
                c.gap(0.2);
                c.para(h, true);
            }
        }
    }
    // The signature block, centred in the right half.
    c.gap(0.8);
    let sig_center = c.left + c.text_width() * 0.72;
    let sig_avail = c.text_width() * 0.55;
    if let Some(pd) = &doc.signature.place_date {
        let face = c.face(false, look.body_pt);
        let wdt = face.width(pd);
        let x = (sig_center - wdt / 2.0).min(c.right - wdt);
        c.push(pd, x, false, look.body_pt);
        c.y += c.advance();
    }
    for line in &doc.signature.role {
        c.centered(line, true, look.body_pt, sig_center, sig_avail);
    }
    c.centered(
        &doc.signature.note,
        false,
        look.body_pt * 0.9,
        sig_center,
        sig_avail,
    );
    let sig_top = c.y;
    c.gap(2.6);
    c.anchors.signature = Rect {
        x: sig_center - sig_avail * 0.35,
        y: sig_top,
        w: sig_avail * 0.7,
        h: c.y - sig_top,
    };
    c.centered(
        &doc.signature.signer,
        true,
        look.body_pt,
        sig_center,
        sig_avail,
    );
    Laid {
        bottom: c.y,
        ops: c.ops,
        rules: c.rules,
        anchors: c.anchors,
    }
}

fn paint(fonts: &Fonts, look: &Look, laid: &Laid) -> GrayImage {
    let mut img = blank(look.dpi);
    for op in &laid.ops {
        let face = Face::new(fonts.font(look.family, op.bold), op.em);
        face.draw(&mut img, &op.text, op.x, op.baseline, look.ink);
    }
    for r in &laid.rules {
        fill_rect(&mut img, *r, look.ink);
    }
    img
}

/// A white A4 page.
fn blank(dpi: u32) -> GrayImage {
    let (w, h) = a4(dpi);
    GrayImage::from_raw(w, h, vec![255; w as usize * h as usize])
        .unwrap_or_else(|| GrayImage::new(w, h))
}

fn fill_rect(img: &mut GrayImage, r: Rect, ink: u8) {
    let x0 = r.x.max(0.0) as u32;
    let y0 = r.y.max(0.0) as u32;
    let x1 = ((r.x + r.w).max(0.0) as u32).min(img.width());
    let y1 = ((r.y + r.h).max(0.0) as u32).min(img.height());
    for y in y0..y1 {
        for x in x0..x1 {
            img.put_pixel(x, y, Luma([ink]));
        }
    }
}

/// Renders the document onto a white page, shrinking the type until it fits.
pub(crate) fn render(
    fonts: &Fonts,
    look: &Look,
    doc: &Document,
    rows: &[Row<'_>],
) -> (GrayImage, Anchors) {
    let (_, h) = a4(look.dpi);
    let limit = h as f32 - 15.0 * look.dpi as f32 / 25.4;
    let mut scale = 1.0;
    let mut laid = lay_out(fonts, look, doc, rows, scale);
    while laid.bottom > limit && scale > 0.55 {
        scale *= 0.93;
        laid = lay_out(fonts, look, doc, rows, scale);
    }
    let img = paint(fonts, look, &laid);
    (img, laid.anchors)
}

/// Renders the continuation page: a heading and a few plain lines.
pub(crate) fn render_annex(fonts: &Fonts, look: &Look, doc: &Document) -> GrayImage {
    render_continuation(fonts, look, &doc.annex, 2, 2)
}

/// A page continuing a document: a heading, `lines` of body text, and the
/// page number `page` of `of` at the foot.
pub(crate) fn render_continuation(
    fonts: &Fonts,
    look: &Look,
    lines: &[String],
    page: usize,
    of: usize,
) -> GrayImage {
    let (w, h) = a4(look.dpi);
    let mut img = blank(look.dpi);
    let px_per_pt = look.dpi as f32 / 72.0;
    let px_per_mm = look.dpi as f32 / 25.4;
    let left = look.margin_left_mm * px_per_mm;
    let right = w as f32 - look.margin_right_mm * px_per_mm;
    let body = Face::new(fonts.font(look.family, false), look.body_pt * px_per_pt);
    let bold = Face::new(fonts.font(look.family, true), look.body_pt * px_per_pt);
    let advance = look.body_pt * px_per_pt * look.leading;
    let mut y = look.margin_top_mm * px_per_mm + bold.ascent();
    let heading = "PHẦN GHI TIẾP";
    bold.draw(
        &mut img,
        heading,
        (left + right - bold.width(heading)) / 2.0,
        y,
        look.ink,
    );
    y += advance * 2.0;
    for line in lines {
        for l in wrap(&body, line, right - left, right - left) {
            body.draw(&mut img, &l, left, y, look.ink);
            y += advance;
        }
    }
    let footer = format!("Trang {page}/{of}");
    body.draw(
        &mut img,
        &footer,
        (left + right - body.width(&footer)) / 2.0,
        h as f32 - 12.0 * px_per_mm,
        look.ink,
    );
    img
}

/// Scribbles a handwritten-looking signature into `area`.
pub(crate) fn scribble(img: &mut GrayImage, area: Rect, ink: u8, dpi: u32, rng: &mut StdRng) {
    let k = dpi as f32 / 300.0;
    let radius = rng.gen_range(1.6..2.6) * k;
    let cx = area.x + area.w * rng.gen_range(0.3..0.5);
    let cy = area.y + area.h * 0.55;
    let width = area.w * rng.gen_range(0.45..0.7);
    let amp = area.h * rng.gen_range(0.18..0.3);
    let loops = rng.gen_range(3.0..6.0f32);
    let phase = rng.gen_range(0.0..std::f32::consts::TAU);
    let tilt = rng.gen_range(-0.25..0.05f32);
    let steps = (width * 4.0) as usize;
    for i in 0..=steps {
        let t = i as f32 / steps as f32;
        let a = t * loops * std::f32::consts::TAU + phase;
        let x = cx - width / 2.0 + t * width + (a * 1.0).cos() * amp * 0.35;
        let y = cy + a.sin() * amp * (1.0 - 0.5 * t) + (x - cx) * tilt;
        disc(img, x, y, radius, ink);
    }
    // A closing stroke under the flourish.
    let y0 = cy + amp * 0.8;
    let steps = (width * 2.0) as usize;
    for i in 0..=steps {
        let t = i as f32 / steps as f32;
        let x = cx - width * 0.3 + t * width * 0.8;
        disc(img, x, y0 - t * amp * 0.3, radius * 0.8, ink);
    }
}

fn disc(img: &mut GrayImage, x: f32, y: f32, r: f32, ink: u8) {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let (x0, x1) = ((x - r - 1.0) as i64, (x + r + 1.0) as i64);
    let (y0, y1) = ((y - r - 1.0) as i64, (y + r + 1.0) as i64);
    for py in y0.max(0)..=y1.min(h - 1) {
        for px in x0.max(0)..=x1.min(w - 1) {
            let d = ((px as f32 + 0.5 - x).powi(2) + (py as f32 + 0.5 - y).powi(2)).sqrt();
            let cov = (r + 0.5 - d).clamp(0.0, 1.0);
            if cov > 0.0 {
                let p = img.get_pixel_mut(px as u32, py as u32);
                let old = f32::from(p.0[0]);
                let new = old + (f32::from(ink) - old) * cov;
                if new < old {
                    *p = Luma([new as u8]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_vietnamese_precomposed_glyphs() {
        let fonts = Fonts::load().unwrap();
        let sample = "ẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸ\
                      ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ\
                      ĂÂĐÊÔƠƯăâđêôơư²";
        for (i, (name, ..)) in FONT_FILES.iter().enumerate() {
            for bold in [false, true] {
                let font = fonts.font(i, bold);
                for ch in sample.chars() {
                    assert_ne!(font.glyph_id(ch).0, 0, "{name} lacks {ch}");
                }
            }
        }
        assert!(Fonts::paths().count() >= 4);
    }

    #[test]
    fn wide_families_have_vietnamese_glyphs_and_the_standard_ones_come_first() {
        let standard = Fonts::load().unwrap();
        let fonts = Fonts::load_wide().unwrap();
        assert_eq!(fonts.wide().start, standard.families.len());
        for i in 0..standard.families.len() {
            assert_eq!(fonts.name(i), standard.name(i));
        }
        // Those installed (make deps installs them all) draw every letter.
        let sample = "ẮẰẲẴẶắằẳẵặỐỒỔỖỘốồổỗộỨỪỬỮỰứừửữựẾỀỂỄỆỲỴỶỸĐđƠơƯư";
        for i in fonts.wide() {
            for bold in [false, true] {
                let font = fonts.font(i, bold);
                for ch in sample.chars() {
                    assert_ne!(font.glyph_id(ch).0, 0, "{} lacks {ch}", fonts.name(i));
                }
            }
        }
        let installed = WIDE_FONT_FILES
            .iter()
            .filter(|(_, r, b, _)| Path::new(r).is_file() && Path::new(b).is_file())
            .count();
        assert_eq!(fonts.wide().len(), installed);
    }

    #[test]
    fn wrap_respects_the_width() {
        let fonts = Fonts::load().unwrap();
        let face = Face::new(fonts.font(0, false), 50.0);
        let text = "Số 12, đường Lê Lợi, phường Bến Nghé, quận 1, TP. Hồ Chí Minh";
        let lines = wrap(&face, text, 600.0, 900.0);
        assert!(lines.len() > 1);
        assert!(face.width(&lines[0]) <= 600.0);
        assert_eq!(lines.join(" "), text);
    }
}
