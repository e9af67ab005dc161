//! Page clean-up before OCR. Each step is cheap and skipped when not needed:
//!
//! 1. **Colour ink removal**: on colour scans each pixel's gray is its
//!    brightest channel, so red and blue seal or signature ink turns as light
//!    as the paper while black print stays black, and yellowed paper turns
//!    white. Gray and bilevel scans skip it.
//! 2. **Despeckling**: small dark specks (scanner dust, toner spray) are
//!    painted white unless they sit where the text's own dots and marks sit:
//!    straight below a letter (the Vietnamese dot below), straight above a
//!    letter or mark (tone marks, the dot of an `i`), at a letter's baseline
//!    just after it (full stops), above such a stop (colons), or inside a
//!    letter's box (a broken stroke). Dots finer than about half the print's
//!    stroke width are dust wherever they are. Dust between lines and words
//!    therefore no longer reads as marks and punctuation.
//! 3. **Orientation**: pages scanned a quarter or half turn off are turned
//!    upright. Text lines give a sharp row profile along their direction and a
//!    flat one across it, which tells 0/180 from 90/270; within a line, ink
//!    above the letters' core band (ascenders, capitals and, in Vietnamese,
//!    most diacritics) outweighs ink below it (descenders), which tells upright
//!    from upside down. How clear each of the two was is kept
//!    ([`OrientationEvidence`]): when it is not clear, or the page reads
//!    poorly, the pipeline reads the page in the other orientations in doubt
//!    and keeps the one that reads clearly better
//!    ([`crate::pipeline::recognize_upright`]).
//! 4. **Deskew** up to ±[`MAX_SKEW_DEGREES`]: the angle whose projection
//!    profile is sharpest, found coarse to fine on a reduced copy; the page is
//!    rotated back when the skew is over [`MIN_SKEW_DEGREES`].
//! 5. **Resolution from the page**: the declared resolution (a file's tag, a
//!    PDF page box) is a hint, checked against the page. An untagged page
//!    whose pixels make A4, A5 or Letter at a common scanning resolution is
//!    taken to be at that resolution. A page declared below [`MIN_OCR_DPI`] is
//!    upscaled, never past [`TARGET_DPI`], only as far as its print, measured
//!    on the page (the median height of its letter-like ink components),
//!    needs to reach the size of body text at [`MIN_OCR_DPI`], the size a page
//!    is read at as it is: an image wrapped at 96 ppi whose print is already
//!    that size is read as it is, at the resolution its print implies. A
//!    larger scale costs Tesseract the square of it and reads no better. The measurement runs first,
//!    so despeckling and Tesseract use that resolution too; it can lower the
//!    scale a declaration asks for, never raise it.
//!
//! Binarization is left to Tesseract (Otsu on the prepared gray page), and the
//! analysis steps 2–4 work on one Otsu threshold of the page.

use image::{DynamicImage, GrayImage};
use serde::Serialize;

use crate::model::{BBox, OcrPage, Page};
use crate::raster::{otsu_threshold, turn_image};

/// Resolution assumed when a scan does not state one.
pub const DEFAULT_DPI: u32 = 300;
/// Pages scanned below this are upscaled before OCR.
pub const MIN_OCR_DPI: u32 = 220;
/// The resolution low-resolution pages are brought to.
pub const TARGET_DPI: u32 = 300;
/// The largest skew looked for, in degrees either way.
pub const MAX_SKEW_DEGREES: f32 = 5.0;
/// Skews smaller than this are left alone (Tesseract copes with them).
pub const MIN_SKEW_DEGREES: f32 = 0.3;
/// Resolution of the reduced copy the page analysis runs on.
const ANALYSIS_DPI: u32 = 100;
/// Letter height, in pixels, of body print (12–13.5 pt) scanned at 300 dpi, as
/// measured by [`text_height`] (a median over letters with and without
/// ascenders and attached marks, so above the x-height, which is then about
/// 25 px).
const TEXT_PX_AT_300: f32 = 38.0;
/// Fewer letter-like components than this and the print is not measured.
const MIN_LETTERS: usize = 40;

/// A preparation step that can be turned off (`skip_prepare`). The steps and
/// their names are listed once, in [`Step::TABLE`]; parsing, the defaults and
/// the error message of `skip_prepare` all come from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Colour ink removal (colour scans only).
    Ink,
    /// Despeckling.
    Despeckle,
    /// Quarter-turn orientation.
    Orient,
    /// Deskew.
    Deskew,
    /// Upscaling of low-resolution scans.
    Upscale,
}

impl Step {
    /// Every step, in the order the steps run, with its name in `skip_prepare`.
    pub const TABLE: [(Step, &'static str); 5] = [
        (Step::Ink, "ink"),
        (Step::Despeckle, "despeckle"),
        (Step::Orient, "orient"),
        (Step::Deskew, "deskew"),
        (Step::Upscale, "upscale"),
    ];

    /// The step's name in `skip_prepare`.
    pub fn name(self) -> &'static str {
        Step::TABLE
            .iter()
            .find(|(step, _)| *step == self)
            .map_or("", |(_, name)| *name)
    }

    /// The step called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Step> {
        Step::TABLE
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(step, _)| *step)
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// What `skip_prepare` accepts, for error messages: the step names and `all`.
static SKIP_LIST_EXPECTED: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let names: Vec<&str> = Step::TABLE.iter().map(|(_, name)| *name).collect();
    format!("a comma-separated list of {}, all", names.join(", "))
});

/// Which preparation steps run (by default, all of them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrepareOptions {
    /// One bit per [`Step`] that is turned off.
    skipped: u8,
}

impl PrepareOptions {
    /// Every step off: the page goes to OCR as scanned (in gray).
    pub fn none() -> Self {
        Step::TABLE
            .iter()
            .fold(PrepareOptions::default(), |o, (step, _)| o.skip(*step))
    }

    /// These options with `step` turned off.
    pub fn skip(self, step: Step) -> Self {
        PrepareOptions {
            skipped: self.skipped | step.bit(),
        }
    }

    /// Whether `step` runs.
    pub fn runs(&self, step: Step) -> bool {
        self.skipped & step.bit() == 0
    }

    /// Parses a comma-separated list of steps to turn off (the names in
    /// [`Step::TABLE`], or `all`).
    pub fn without(list: &str) -> Result<Self, &'static str> {
        let mut o = PrepareOptions::default();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            o = match (name, Step::from_name(name)) {
                ("all", _) => PrepareOptions::none(),
                (_, Some(step)) => o.skip(step),
                (_, None) => return Err(SKIP_LIST_EXPECTED.as_str()),
            };
        }
        Ok(o)
    }
}

/// What preparation did to one page.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Steps {
    /// Colour ink was removed (the scan is in colour).
    pub color_ink_removed: bool,
    /// Specks painted white.
    pub specks_removed: u32,
    /// Clockwise quarter turns applied to bring the page upright.
    pub quarter_turns: u8,
    /// How clear the page's geometry was about its orientation; `None` when
    /// orientation was not looked at or the page has too little ink to tell.
    pub orientation_evidence: Option<OrientationEvidence>,
    /// What decided the quarter turns; `None` when orientation was not
    /// looked at.
    pub oriented_by: Option<OrientedBy>,
    /// The skew corrected, in degrees (positive: lines ran down to the right).
    pub deskewed_degrees: Option<f32>,
    /// The scan's resolution, when it was upscaled.
    pub upscaled_from_dpi: Option<u32>,
    /// The print's letter height measured on the page, in its pixels (when it
    /// was measured: only pages declared below [`MIN_OCR_DPI`] are).
    pub text_px: Option<f32>,
    /// The resolution used instead of the declared one (or of
    /// [`DEFAULT_DPI`] for an untagged page), when the page contradicted it.
    pub resolved_dpi: Option<u32>,
}

/// What decided a page's orientation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrientedBy {
    /// The ink's geometry alone ([`OrientationEvidence`]).
    Geometry,
    /// The OCR of the page in more than one orientation: the one that read
    /// better was kept.
    Ocr,
}

impl OrientedBy {
    /// The name shown in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            OrientedBy::Geometry => "geometry",
            OrientedBy::Ocr => "ocr",
        }
    }
}

/// The margin by which the sharpness of the ink's profile along the text
/// lines must exceed the sharpness across them, as a natural log (×1.5), for
/// the lines' direction to be clear.
pub const CLEAR_LINES_LOG_RATIO: f32 = 0.405;
/// The margin by which the ink above the lines' core band must exceed the ink
/// below it (or the other way round), as a natural log (×1.25), for the page
/// to be clearly upright (or upside down).
pub const CLEAR_UPRIGHT_LOG_RATIO: f32 = 0.223;

/// How clear the geometric evidence for a page's orientation was, for the
/// orientation chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OrientationEvidence {
    /// How much sharper the ink's row profile is along the chosen lines'
    /// direction than across it: the natural log of the ratio of the two
    /// sharpnesses (0: no difference; negative: the other direction was
    /// sharper, but not enough to be chosen).
    pub lines: f32,
    /// How much more ink lies above the lines' core band than below it, with
    /// the page turned as chosen: the natural log of the ratio; `None` when
    /// there were too few lines to tell.
    pub upright: Option<f32>,
}

impl OrientationEvidence {
    /// Whether the evidence settles the lines' direction (across or down the
    /// scan).
    pub fn lines_clear(&self) -> bool {
        self.lines >= CLEAR_LINES_LOG_RATIO
    }

    /// Whether the evidence settles which way up the lines are.
    pub fn upright_clear(&self) -> bool {
        self.upright.is_some_and(|u| u >= CLEAR_UPRIGHT_LOG_RATIO)
    }

    /// Whether the evidence settles the orientation.
    pub fn clear(&self) -> bool {
        self.lines_clear() && self.upright_clear()
    }
}

/// A page ready for OCR: gray pixels and their resolution.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Gray pixels.
    pub gray: GrayImage,
    /// Resolution of `gray`.
    pub dpi: u32,
    /// Factor from `gray` pixels back to the (turned) page's pixels.
    pub scale_back: f32,
    /// What was done.
    pub steps: Steps,
}

/// The resolution a page states, or [`DEFAULT_DPI`] when it states none or
/// an implausible one.
pub fn page_dpi(page: &Page) -> u32 {
    page.dpi
        .filter(|d| (50..=2400).contains(d))
        .unwrap_or(DEFAULT_DPI)
}

/// Prepares one page for OCR. When the page is turned upright, `page` itself
/// is turned too, so that the result document shows it upright and OCR
/// coordinates mapped back with [`Prepared::map_back`] fit it.
pub fn prepare(page: &mut Page, options: &PrepareOptions) -> Prepared {
    let mut dpi = page_dpi(page);
    let mut steps = Steps::default();
    let mut gray = match &page.image {
        DynamicImage::ImageLuma8(g) => g.clone(),
        DynamicImage::ImageLumaA8(_) => page.image.to_luma8(),
        img if options.runs(Step::Ink) => {
            let rgb = match img {
                DynamicImage::ImageRgb8(c) => std::borrow::Cow::Borrowed(c),
                other => std::borrow::Cow::Owned(other.to_rgb8()),
            };
            if has_color(&rgb) {
                steps.color_ink_removed = true;
                brightest_channel(&rgb)
            } else {
                img.to_luma8()
            }
        }
        img => img.to_luma8(),
    };
    let threshold = otsu_threshold(&gray);
    let mut f = 1.0f32;
    if options.runs(Step::Upscale) {
        let res = resolution(&gray, threshold, page.dpi);
        steps.text_px = res.text_px;
        if res.dpi != dpi {
            steps.resolved_dpi = Some(res.dpi);
            dpi = res.dpi;
        }
        if res.scale > 1.0 {
            f = res.scale;
            steps.upscaled_from_dpi = Some(dpi);
        }
    }
    if options.runs(Step::Despeckle) {
        steps.specks_removed = despeckle(&mut gray, threshold, dpi);
    }
    let (orient, deskew) = (options.runs(Step::Orient), options.runs(Step::Deskew));
    if orient || deskew {
        let small = Reduced::new(&gray, threshold, dpi);
        let layout = small.analyze(orient);
        if orient {
            steps.orientation_evidence = layout.evidence;
            steps.oriented_by = Some(OrientedBy::Geometry);
        }
        if orient && layout.quarter_turns != 0 {
            steps.quarter_turns = layout.quarter_turns;
            gray = turn_gray(gray, layout.quarter_turns);
            page.turn(layout.quarter_turns);
        }
        if deskew
            && layout.skew_degrees.abs() >= MIN_SKEW_DEGREES
            && layout.skew_degrees.abs() <= MAX_SKEW_DEGREES
        {
            steps.deskewed_degrees = Some(layout.skew_degrees);
        }
    }
    let upscale = f > 1.0;
    let angle = steps.deskewed_degrees.unwrap_or(0.0);
    if upscale || angle != 0.0 {
        // One resampling for both: turn back by the skew, scale up.
        gray = rotate_scale(&gray, -angle, f, &[255]);
    }
    Prepared {
        gray,
        dpi: (dpi as f32 * f).round() as u32,
        scale_back: 1.0 / f,
        steps,
    }
}

impl Prepared {
    /// The prepared page turned by `quarters` more clockwise quarter turns,
    /// for reading it in another orientation. Its deskew and scale stay
    /// right: a quarter turn about the centre commutes with both, so
    /// [`Prepared::map_back`] fits the page turned by the same `quarters`.
    pub fn turned(&self, quarters: u8) -> Prepared {
        let mut steps = self.steps.clone();
        steps.quarter_turns = (steps.quarter_turns + quarters) % 4;
        Prepared {
            gray: turn_gray(self.gray.clone(), quarters),
            dpi: self.dpi,
            scale_back: self.scale_back,
            steps,
        }
    }

    /// The other orientations worth reading when this page's orientation
    /// is in doubt, as further clockwise quarter turns, the ones in doubt
    /// first: the half turn when only which way up is unclear, the two
    /// quarter turns when the lines' direction is unclear, all three when
    /// the geometry could not tell; with `all` (the reading was poor), the
    /// others follow. Empty when the geometry settled the orientation and
    /// `all` is false, or when orientation was not looked at.
    pub fn orientation_alternatives(&self, all: bool) -> Vec<u8> {
        if self.steps.oriented_by.is_none() {
            return Vec::new();
        }
        let (lines, upright) = match self.steps.orientation_evidence {
            Some(e) => (e.lines_clear(), e.upright_clear()),
            None => (false, false),
        };
        let quarter = [1, 3].into_iter().filter(|_| !lines);
        let half = [2].into_iter().filter(|_| !upright);
        let mut turns: Vec<u8> = if lines {
            half.chain(quarter).collect()
        } else {
            quarter.chain(half).collect()
        };
        if all {
            for t in [2, 1, 3] {
                if !turns.contains(&t) {
                    turns.push(t);
                }
            }
        }
        turns
    }

    /// Brings OCR word boxes from the prepared image to the page's pixels:
    /// undoes the upscaling and the deskew rotation.
    pub fn map_back(&self, text: &mut OcrPage, page: &Page) {
        let (pw, ph) = (page.image.width(), page.image.height());
        text.width = pw;
        text.height = ph;
        // The page's own resolution: the declared one, or the one the page
        // itself showed.
        text.dpi = ((self.dpi as f32 * self.scale_back).round() as u32).max(1);
        let scale = self.scale_back;
        let skew = self.steps.deskewed_degrees.unwrap_or(0.0);
        if (scale - 1.0).abs() < f32::EPSILON && skew == 0.0 {
            return;
        }
        let (s, c) = skew.to_radians().sin_cos();
        let (cx, cy) = (pw as f32 / 2.0, ph as f32 / 2.0);
        let clamp = |v: f32, max: u32| v.round().clamp(0.0, max as f32) as u32;
        for line in &mut text.lines {
            for w in &mut line.words {
                let b = w.bbox;
                let (x0, y0) = (b.x0 as f32 * scale, b.y0 as f32 * scale);
                let (x1, y1) = (b.x1 as f32 * scale, b.y1 as f32 * scale);
                // The deskewed image was the page turned by -skew about its
                // centre; turn the box's centre back by +skew.
                let (mx, my) = ((x0 + x1) / 2.0 - cx, (y0 + y1) / 2.0 - cy);
                let (nx, ny) = (c * mx - s * my + cx, s * mx + c * my + cy);
                let (hw, hh) = ((x1 - x0) / 2.0, (y1 - y0) / 2.0);
                w.bbox = BBox {
                    x0: clamp(nx - hw, pw),
                    y0: clamp(ny - hh, ph),
                    x1: clamp(nx + hw, pw),
                    y1: clamp(ny + hh, ph),
                };
            }
        }
    }
}

/// The resolution a page is read at, and the factor it is scaled by.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Resolution {
    /// The print's letter height in the page's pixels, when it was measured.
    text_px: Option<f32>,
    /// The page's resolution.
    dpi: u32,
    /// The factor the page is scaled by before OCR (1: not scaled).
    scale: f32,
}

/// Chooses the resolution a page is read at and its scale. The declared
/// resolution (`tagged`, from a file's tag or a PDF page box) is a hint:
///
/// - an untagged page whose pixels make A4, A5 or Letter at a common scanning
///   resolution is taken to be at that resolution, else at [`DEFAULT_DPI`];
/// - a page at or above [`MIN_OCR_DPI`] is read as it is;
/// - a page declared below it is upscaled until its print, measured on the
///   page, is as large as body text at [`MIN_OCR_DPI`], and never past
///   [`TARGET_DPI`]. Print that is already that large (an image wrapped at
///   96 ppi by a tool that knew no better) is not upscaled, and the
///   resolution its print implies is used instead. The measurement can only
///   lower the scale the declaration asks for, never raise it.
fn resolution(gray: &GrayImage, threshold: u8, tagged: Option<u32>) -> Resolution {
    let (w, h) = gray.dimensions();
    let declared = tagged
        .filter(|d| (50..=2400).contains(d))
        .or_else(|| paper_dpi(w, h, None))
        .unwrap_or(DEFAULT_DPI);
    let kept = |text_px| Resolution {
        text_px,
        dpi: declared,
        scale: 1.0,
    };
    if declared >= MIN_OCR_DPI {
        return kept(None);
    }
    let asked = TARGET_DPI as f32 / declared as f32;
    let Some(text_px) = text_height(gray, threshold) else {
        return Resolution {
            text_px: None,
            dpi: declared,
            scale: asked,
        };
    };
    let min_px = TEXT_PX_AT_300 * MIN_OCR_DPI as f32 / 300.0;
    if text_px >= min_px {
        let implied = 300.0 * text_px / TEXT_PX_AT_300;
        let dpi = paper_dpi(w, h, Some(implied))
            .unwrap_or_else(|| ((implied / 10.0).round() * 10.0) as u32)
            .max(declared);
        return Resolution {
            text_px: Some(text_px),
            dpi,
            scale: 1.0,
        };
    }
    // As large as print that is read as it is, and no larger.
    Resolution {
        text_px: Some(text_px),
        dpi: declared,
        scale: (min_px / text_px).clamp(1.0, asked),
    }
}

/// A common scanning resolution at which a `w`×`h` page is A4, A5 or Letter
/// (within 2%), the one nearest `near` (within a quarter of it) when given.
fn paper_dpi(w: u32, h: u32, near: Option<f32>) -> Option<u32> {
    const PAPERS: [(f32, f32); 3] = [(8.27, 11.69), (5.83, 8.27), (8.5, 11.0)];
    const COMMON: [u32; 10] = [72, 96, 100, 120, 150, 200, 240, 300, 400, 600];
    let (a, b) = (w.min(h) as f32, w.max(h) as f32);
    let fits = |d: u32| {
        PAPERS.iter().any(|&(pw, ph)| {
            ((a / d as f32) / pw - 1.0).abs() < 0.02 && ((b / d as f32) / ph - 1.0).abs() < 0.02
        })
    };
    let distance = |d: u32| near.map_or(0.0, |n| (d as f32 - n).abs());
    COMMON
        .iter()
        .copied()
        .filter(|&d| near.is_none_or(|n| (0.8..=1.25).contains(&(d as f32 / n))) && fits(d))
        .min_by(|&x, &y| distance(x).total_cmp(&distance(y)))
}

/// The letter height of the page's print, in pixels: the median height of
/// its letter-like ink components. A letter is taller than a speck, no wider
/// than three times its height, and inks between a sixth and four fifths of
/// its box (a solid block or a frame is not a letter); components a third of
/// the tallest letters' height or less (dots, detached marks) do not count.
/// `None` when there are too few letters, or when their heights spread too
/// widely to be one size of print.
fn text_height(gray: &GrayImage, threshold: u8) -> Option<f32> {
    let (components, _) = components(gray, threshold, 0);
    let cap = (gray.height().min(gray.width()) as usize / 8).max(8);
    let mut heights: Vec<usize> = components
        .iter()
        .filter(|c| {
            let (w, h) = (c.width(), c.height());
            let fill = c.area as f32 / (w * h) as f32;
            h >= 4 && h <= cap && w <= cap && w <= 3 * h && (0.16..=0.8).contains(&fill)
        })
        .map(Component::height)
        .collect();
    if heights.len() < MIN_LETTERS {
        return None;
    }
    heights.sort_unstable();
    let tall = heights[heights.len() * 9 / 10];
    let letters: Vec<usize> = heights.into_iter().filter(|&h| h * 3 > tall).collect();
    if letters.len() < MIN_LETTERS {
        return None;
    }
    let (q1, q3) = (letters[letters.len() / 4], letters[letters.len() * 3 / 4]);
    if q3 > 2 * q1 {
        return None;
    }
    Some(letters[letters.len() / 2] as f32)
}

fn turn_gray(gray: GrayImage, quarters: u8) -> GrayImage {
    match turn_image(DynamicImage::ImageLuma8(gray), quarters) {
        DynamicImage::ImageLuma8(g) => g,
        other => other.to_luma8(),
    }
}

/// Whether an image has colour worth removing: more than one pixel in a
/// thousand (sampled) with a clearly coloured hue.
fn has_color(rgb: &image::RgbImage) -> bool {
    let (mut colored, mut seen) = (0u64, 0u64);
    for p in rgb.pixels().step_by(7) {
        let [r, g, b] = p.0;
        let (hi, lo) = (r.max(g).max(b), r.min(g).min(b));
        seen += 1;
        if hi - lo > 60 {
            colored += 1;
        }
    }
    colored * 1000 > seen
}

/// Gray as each pixel's brightest channel: black stays black, coloured ink and
/// tinted paper turn light.
pub(crate) fn brightest_channel(rgb: &image::RgbImage) -> GrayImage {
    let (w, h) = rgb.dimensions();
    let data: Vec<u8> = rgb
        .as_raw()
        .chunks_exact(3)
        .map(|p| p[0].max(p[1]).max(p[2]))
        .collect();
    GrayImage::from_raw(w, h, data).unwrap_or_else(|| image::imageops::grayscale(rgb))
}

/// One connected component of ink (4-connected), with its box and pixels.
struct Component {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
    /// Where its pixels are in the shared pixel list (small components only).
    pixels: std::ops::Range<usize>,
    /// How many pixels it has.
    area: usize,
}

impl Component {
    fn width(&self) -> usize {
        self.x1 - self.x0 + 1
    }
    fn height(&self) -> usize {
        self.y1 - self.y0 + 1
    }
    /// Whether the horizontal extents overlap, with `tol` pixels of slack.
    fn overlaps_x(&self, o: &Component, tol: usize) -> bool {
        self.x0 <= o.x1 + tol && o.x0 <= self.x1 + tol
    }
    /// The vertical gap to `o` (0 when the extents touch or overlap).
    fn gap_y(&self, o: &Component) -> usize {
        o.y0.saturating_sub(self.y1)
            .max(self.y0.saturating_sub(o.y1))
    }
}

/// Paints white the small dark specks that are not placed like part of the
/// text. A speck is a component at most about 0.4 mm across. It stays when it
/// sits like a diacritic (straight above or below a letter, within half the
/// x-height), like a full stop (just right of a letter, down at its
/// baseline), like the upper dot of a colon, or inside a letter's box (a
/// broken stroke). Everything else goes, so dust between lines and words no
/// longer reads as marks and punctuation. Returns how many were removed.
fn despeckle(gray: &mut GrayImage, threshold: u8, dpi: u32) -> u32 {
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    if w < 3 || h < 3 {
        return 0;
    }
    let k = dpi as f32 / 300.0;
    let max_side = (5.0 * k).ceil().max(2.0) as usize;
    let (components, pixels) = components(gray, threshold, max_side);
    let small = |c: &Component| c.width() <= max_side && c.height() <= max_side;
    // The x-height, from the letters: the median height of the components
    // too big to be specks and too small to be rules or blocks.
    let mut heights: Vec<usize> = components
        .iter()
        .filter(|c| !small(c) && c.height() > max_side && c.height() < 40 * max_side)
        .map(Component::height)
        .collect();
    heights.sort_unstable();
    // With hardly any text, assume 12-point print.
    let xh = match heights.len() {
        n if n >= 20 => heights[n / 2],
        _ => (27.0 * k) as usize,
    }
    .max(2 * max_side);
    let letter = |c: &Component| {
        !small(c) && c.height() * 10 >= xh * 6 && c.height() <= 4 * xh && c.width() <= 4 * xh
    };
    let mark = |c: &Component| !small(c) && c.height() <= 4 * xh && c.width() <= 4 * xh;
    // Letters and marks in a grid of x-height cells.
    let cell = xh;
    let (gw, gh) = (w / cell + 1, h / cell + 1);
    let mut grid: Vec<Vec<u32>> = vec![Vec::new(); gw * gh];
    for (i, c) in components.iter().enumerate() {
        if mark(c) {
            for gy in c.y0 / cell..=c.y1 / cell {
                for gx in c.x0 / cell..=c.x1 / cell {
                    grid[gy * gw + gx].push(i as u32);
                }
            }
        }
    }
    let near = |s: &Component, reach: usize| {
        let (gx0, gy0) = (
            s.x0.saturating_sub(reach) / cell,
            s.y0.saturating_sub(reach) / cell,
        );
        let (gx1, gy1) = (
            ((s.x1 + reach) / cell).min(gw - 1),
            ((s.y1 + reach) / cell).min(gh - 1),
        );
        (gy0..=gy1).flat_map(move |gy| (gx0..=gx1).map(move |gx| gy * gw + gx))
    };
    // A font's dots (the dot below, the dot of an i, a full stop) are about
    // as wide as its strokes; dust specks are often finer.
    let stroke = stroke_width(gray, threshold);
    let min_dot = (stroke * 3).div_ceil(5).max(1);
    let tol = (k * 2.0).ceil() as usize;
    let diacritic_gap = xh / 2;
    let stop_gap = xh * 3 / 5;
    let mut keep = vec![false; components.len()];
    let mut stops: Vec<usize> = Vec::new();
    for (i, s) in components.iter().enumerate() {
        if !small(s) {
            continue;
        }
        let mut stop = false;
        let placed = near(s, xh).any(|g| {
            grid[g].iter().any(|&j| {
                let l = &components[j as usize];
                let inside = s.overlaps_x(l, 1) && s.gap_y(l) <= 1;
                // Dots go below letters (the dot below), or above a
                // narrow stem (the dot of an i or j); other marks are
                // bigger than specks.
                let dot_sized = s.width() >= min_dot && s.height() >= min_dot;
                let dot = dot_sized
                    && s.overlaps_x(l, tol)
                    && s.gap_y(l) <= diacritic_gap
                    && (s.y1 < l.y0 || letter(l));
                let at_baseline = dot_sized
                    && letter(l)
                    && s.x0 + tol >= l.x1
                    && s.x0 <= l.x1 + stop_gap
                    && s.y1 + xh / 2 >= l.y1
                    && s.y1 <= l.y1 + xh / 5;
                stop |= at_baseline;
                inside || dot || at_baseline
            })
        });
        keep[i] = placed;
        if stop {
            stops.push(i);
        }
    }
    // The upper dot of a colon or semicolon: a speck straight above a kept
    // full stop.
    for (i, s) in components.iter().enumerate() {
        if small(s) && !keep[i] {
            keep[i] = stops.iter().any(|&j| {
                let d = &components[j];
                d.y0 > s.y1 && s.overlaps_x(d, tol) && s.gap_y(d) <= xh
            });
        }
    }
    let buf: &mut [u8] = gray;
    let mut removed = 0u32;
    for (c, _) in components
        .iter()
        .zip(&keep)
        .filter(|(c, &k)| small(c) && !k)
    {
        for &i in &pixels[c.pixels.clone()] {
            buf[i] = 255;
        }
        removed += 1;
    }
    removed
}

/// The typical stroke width: the median length of the horizontal runs of ink.
fn stroke_width(gray: &GrayImage, threshold: u8) -> usize {
    let mut counts = [0usize; 64];
    for row in gray.as_raw().chunks_exact(gray.width() as usize) {
        let mut run = 0usize;
        for &v in row.iter().chain(std::iter::once(&255)) {
            if v <= threshold {
                run += 1;
            } else if run > 0 {
                counts[run.min(63)] += 1;
                run = 0;
            }
        }
    }
    let total: usize = counts.iter().sum();
    let mut seen = 0;
    for (len, &n) in counts.iter().enumerate() {
        seen += n;
        if seen * 2 >= total {
            return len;
        }
    }
    1
}

/// Finds the 4-connected ink components; the pixels of those at most
/// `max_side` across are kept in the returned list.
fn components(gray: &GrayImage, threshold: u8, max_side: usize) -> (Vec<Component>, Vec<usize>) {
    const PAPER: u8 = 0;
    const INK: u8 = 1;
    const SEEN: u8 = 2;
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    let mut state: Vec<u8> = gray
        .as_raw()
        .iter()
        .map(|&v| if v <= threshold { INK } else { PAPER })
        .collect();
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let mut components = Vec::new();
    let mut pixels: Vec<usize> = Vec::new();
    let max_area = max_side * max_side;
    for y in 0..h {
        let row = y * w;
        let mut x = 0;
        while x < w {
            // Skip paper and ink already taken in whole runs.
            match state[row + x..row + w].iter().position(|&v| v == INK) {
                Some(d) => x += d,
                None => break,
            }
            state[row + x] = SEEN;
            stack.push((x, y));
            let first = pixels.len();
            let mut area = 0usize;
            let (mut x0, mut y0, mut x1, mut y1) = (x, y, x, y);
            while let Some((px, py)) = stack.pop() {
                let i = py * w + px;
                area += 1;
                if area <= max_area {
                    pixels.push(i);
                }
                x0 = x0.min(px);
                x1 = x1.max(px);
                y0 = y0.min(py);
                y1 = y1.max(py);
                if px > 0 && state[i - 1] == INK {
                    state[i - 1] = SEEN;
                    stack.push((px - 1, py));
                }
                if px + 1 < w && state[i + 1] == INK {
                    state[i + 1] = SEEN;
                    stack.push((px + 1, py));
                }
                if py > 0 && state[i - w] == INK {
                    state[i - w] = SEEN;
                    stack.push((px, py - 1));
                }
                if py + 1 < h && state[i + w] == INK {
                    state[i + w] = SEEN;
                    stack.push((px, py + 1));
                }
            }
            if area > max_area || x1 - x0 >= max_side || y1 - y0 >= max_side {
                pixels.truncate(first);
            }
            components.push(Component {
                x0,
                y0,
                x1,
                y1,
                pixels: first..pixels.len(),
                area,
            });
            x += 1;
        }
    }
    (components, pixels)
}

/// A reduced ink map of the page (about [`ANALYSIS_DPI`]), for finding its
/// orientation and skew.
struct Reduced {
    w: usize,
    h: usize,
    /// Coordinates of ink cells.
    points: Vec<(f32, f32)>,
}

/// What the page analysis found.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Layout {
    quarter_turns: u8,
    skew_degrees: f32,
    /// How clear the orientation was; `None` when it was not looked at or
    /// there was too little ink.
    evidence: Option<OrientationEvidence>,
}

impl Reduced {
    fn new(gray: &GrayImage, threshold: u8, dpi: u32) -> Reduced {
        let f = (dpi / ANALYSIS_DPI).max(1) as usize;
        let (gw, gh) = (gray.width() as usize, gray.height() as usize);
        let (w, h) = (gw / f, gh / f);
        let raw = gray.as_raw();
        let limit = u32::from(threshold) * (f * f) as u32;
        let mut points = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let mut sum = 0u32;
                for dy in 0..f {
                    let row = (y * f + dy) * gw + x * f;
                    sum += raw[row..row + f].iter().map(|&v| u32::from(v)).sum::<u32>();
                }
                // A cell is ink when its mean is at or below the threshold.
                if sum <= limit {
                    points.push((x as f32, y as f32));
                }
            }
        }
        Reduced { w, h, points }
    }

    /// Orientation (when asked) and skew.
    fn analyze(&self, orient: bool) -> Layout {
        let none = Layout {
            quarter_turns: 0,
            skew_degrees: 0.0,
            evidence: None,
        };
        // Too little ink to say anything.
        if self.points.len() < 200 {
            return none;
        }
        let across = self.best_angle(false);
        if !orient {
            return Layout {
                quarter_turns: 0,
                skew_degrees: across.0,
                evidence: None,
            };
        }
        let down = self.best_angle(true);
        // Lines run across the page (0 or 180) or down it (90 or 270).
        let lines = log_ratio(down.1, across.1);
        let vertical = lines >= CLEAR_LINES_LOG_RATIO;
        let (angle, turns, upright) = if vertical {
            // Decide on the page turned a quarter clockwise: x' = h-1-y, y' = x.
            let turned = Reduced {
                w: self.h,
                h: self.w,
                points: self
                    .points
                    .iter()
                    .map(|&(x, y)| (self.h as f32 - 1.0 - y, x))
                    .collect(),
            };
            let a = turned.best_angle(false).0;
            // Undecided which way up: a quarter turn either way is at
            // least half right, where none is surely wrong.
            match turned.upright(a) {
                Some(u) if u <= -CLEAR_UPRIGHT_LOG_RATIO => (a, 3, Some(-u)),
                u => (a, 1, u),
            }
        } else {
            match self.upright(across.0) {
                Some(u) if u <= -CLEAR_UPRIGHT_LOG_RATIO => (across.0, 2, Some(-u)),
                u => (across.0, 0, u),
            }
        };
        Layout {
            quarter_turns: turns,
            skew_degrees: angle,
            evidence: Some(OrientationEvidence {
                lines: if vertical { lines } else { -lines },
                upright,
            }),
        }
    }

    /// The row profile of the ink along lines at `degrees` (positive: lines
    /// run down to the right). With `transpose`, columns instead of rows.
    fn profile(&self, degrees: f32, transpose: bool) -> Vec<u32> {
        let t = degrees.to_radians().tan();
        let (len, other) = if transpose {
            (self.w, self.h)
        } else {
            (self.h, self.w)
        };
        let pad = (other as f32 * t.abs()).ceil() as usize + 1;
        let mut bins = vec![0u32; len + 2 * pad];
        for &(x, y) in &self.points {
            let (along, across) = if transpose { (y, x) } else { (x, y) };
            let r = across - along * t + pad as f32;
            if r >= 0.0 {
                if let Some(b) = bins.get_mut(r as usize) {
                    *b += 1;
                }
            }
        }
        bins
    }

    /// Sharpness of a profile: the sum of squared steps between neighbours.
    fn sharpness(p: &[u32]) -> f64 {
        p.windows(2)
            .map(|w| {
                let d = f64::from(w[1]) - f64::from(w[0]);
                d * d
            })
            .sum()
    }

    /// The skew angle with the sharpest profile, and that sharpness.
    fn best_angle(&self, transpose: bool) -> (f32, f64) {
        let score = |a: f32| Self::sharpness(&self.profile(a, transpose));
        let mut best = (0.0f32, score(0.0));
        let mut step = 0.5f32;
        let mut a = -MAX_SKEW_DEGREES;
        while a <= MAX_SKEW_DEGREES + 1e-3 {
            let s = score(a);
            if s > best.1 {
                best = (a, s);
            }
            a += step;
        }
        for _ in 0..3 {
            step /= 2.5;
            let centre = best.0;
            for i in -2..=2 {
                let a = centre + i as f32 * step;
                if i == 0 || a.abs() > MAX_SKEW_DEGREES + 0.5 {
                    continue;
                }
                let s = score(a);
                if s > best.1 {
                    best = (a, s);
                }
            }
        }
        (best.0, best.1)
    }

    /// How upright the lines at `degrees` are: the natural log of the ratio
    /// of the ink above each text line's core band to the ink below it
    /// (positive: upright; negative: upside down), or `None` when there is
    /// too little to tell.
    fn upright(&self, degrees: f32) -> Option<f32> {
        let p = self.profile(degrees, false);
        let peak = {
            let mut v: Vec<u32> = p.iter().copied().filter(|&c| c > 0).collect();
            v.sort_unstable();
            v.get(v.len() * 95 / 100).copied().unwrap_or(0)
        };
        if peak == 0 {
            return None;
        }
        let gap = (peak / 20).max(1);
        let (mut above, mut below) = (0u64, 0u64);
        let mut i = 0;
        while i < p.len() {
            if p[i] < gap {
                i += 1;
                continue;
            }
            let start = i;
            while i < p.len() && p[i] >= gap {
                i += 1;
            }
            let band = &p[start..i];
            let top = band.iter().copied().max().unwrap_or(0);
            // Lines of one or two cells are rules or noise.
            if band.len() < 3 || top < peak / 4 {
                continue;
            }
            let core = |c: &u32| *c * 2 >= top;
            let first = band.iter().position(core).unwrap_or(0);
            let last = band.iter().rposition(core).unwrap_or(band.len() - 1);
            above += band[..first].iter().map(|&c| u64::from(c)).sum::<u64>();
            below += band[last + 1..].iter().map(|&c| u64::from(c)).sum::<u64>();
        }
        if above + below < 50 {
            None
        } else {
            Some(log_ratio(above as f64, below as f64))
        }
    }
}

/// `ln(a / b)`, with both kept off zero.
fn log_ratio(a: f64, b: f64) -> f32 {
    (a.max(1.0) / b.max(1.0)).ln() as f32
}

/// Rotates by a small angle about the centre and scales by `scale` in one
/// bilinear pass, filling uncovered corners with `fill` (one value per
/// channel). Positive angles turn the content clockwise on screen.
pub(crate) fn rotate_scale<P: image::Pixel<Subpixel = u8>>(
    src: &image::ImageBuffer<P, Vec<u8>>,
    degrees: f32,
    scale: f32,
    fill: &[u8],
) -> image::ImageBuffer<P, Vec<u8>> {
    let (w, h) = src.dimensions();
    let ch = usize::from(P::CHANNEL_COUNT);
    let scale = if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        1.0
    };
    let (ow, oh) = (
        ((w as f32 * scale).round() as u32).max(1),
        ((h as f32 * scale).round() as u32).max(1),
    );
    let (wu, hu) = (w as usize, h as usize);
    let (owu, ohu) = (ow as usize, oh as usize);
    if wu == 0 || hu == 0 || fill.len() < ch {
        return src.clone();
    }
    let data = src.as_raw();
    let mut out = vec![0u8; owu * ohu * ch];
    const ONE: f32 = 65536.0;
    let (s, c) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    // Fixed point, 16 fractional bits for positions (so that stepping along
    // a row drifts by under a pixel in 30,000), 8 for the weights.
    let step_x = (c / scale * ONE).round() as i64;
    let step_y = (-s / scale * ONE).round() as i64;
    let max_x = (wu as i64 - 1) << 16;
    let max_y = (hu as i64 - 1) << 16;
    let half = 1i64 << 15;
    for y in 0..ohu {
        let dy = (y as f32 + 0.5) / scale - cy;
        let dx = 0.5 / scale - cx;
        // Inverse mapping: source = R(-θ)·(dest / scale − centre) + centre.
        let sx0 = c * dx + s * dy + cx - 0.5;
        let sy0 = -s * dx + c * dy + cy - 0.5;
        let fx0 = (sx0 * ONE).round() as i64;
        let fy0 = (sy0 * ONE).round() as i64;
        let row = &mut out[y * owu * ch..(y + 1) * owu * ch];
        // Where both source neighbours lie inside the image, the plain
        // interpolation needs no clamping; only the pixels near the edges
        // and the uncovered corners take the careful path.
        let (a, b) = linear_span(fx0, step_x, 0, max_x - 1, owu);
        let (c0, c1) = linear_span(fy0, step_y, 0, max_y - 1, owu);
        let (inner_from, inner_to) = (a.max(c0), b.min(c1).max(a.max(c0)));
        for (x, px) in row.chunks_exact_mut(ch).enumerate() {
            let (fx, fy) = (fx0 + x as i64 * step_x, fy0 + x as i64 * step_y);
            if (inner_from..inner_to).contains(&x) {
                let (ix, iy) = ((fx >> 16) as usize, (fy >> 16) as usize);
                let (ax, ay) = (((fx >> 8) & 255) as u32, ((fy >> 8) & 255) as u32);
                let i00 = (iy * wu + ix) * ch;
                let i10 = i00 + wu * ch;
                let (top, bot) = (&data[i00..i00 + 2 * ch], &data[i10..i10 + 2 * ch]);
                for (k, v) in px.iter_mut().enumerate() {
                    *v = blend([top[k], top[k + ch], bot[k], bot[k + ch]], ax, ay);
                }
                continue;
            }
            let (cfx, cfy) = (fx.clamp(-half, max_x + half), fy.clamp(-half, max_y + half));
            if cfx != fx || cfy != fy {
                px.copy_from_slice(&fill[..ch]);
            } else {
                // Within half a pixel of the edge: sample the edge.
                let (fx, fy) = (fx.clamp(0, max_x), fy.clamp(0, max_y));
                let (ix, iy) = ((fx >> 16) as usize, (fy >> 16) as usize);
                let (ax, ay) = (((fx >> 8) & 255) as u32, ((fy >> 8) & 255) as u32);
                let ix1 = (ix + 1).min(wu - 1);
                let iy1 = (iy + 1).min(hu - 1);
                let i00 = (iy * wu + ix) * ch;
                let i01 = (iy * wu + ix1) * ch;
                let i10 = (iy1 * wu + ix) * ch;
                let i11 = (iy1 * wu + ix1) * ch;
                for (k, v) in px.iter_mut().enumerate() {
                    let p = [data[i00 + k], data[i01 + k], data[i10 + k], data[i11 + k]];
                    *v = blend(p, ax, ay);
                }
            }
        }
    }
    image::ImageBuffer::from_raw(ow, oh, out).unwrap_or_else(|| src.clone())
}

/// Bilinear blend of four neighbours (top left, top right, bottom left,
/// bottom right) at weights `ax`, `ay` in 256ths.
fn blend([p00, p01, p10, p11]: [u8; 4], ax: u32, ay: u32) -> u8 {
    let top = u32::from(p00) * (256 - ax) + u32::from(p01) * ax;
    let bot = u32::from(p10) * (256 - ax) + u32::from(p11) * ax;
    ((top * (256 - ay) + bot * ay) >> 16) as u8
}

/// The indices `x` in `0..n` for which `start + x * step` lies in `lo..=hi`,
/// as a half-open range (empty when there are none).
fn linear_span(start: i64, step: i64, lo: i64, hi: i64, n: usize) -> (usize, usize) {
    let n = n as i64;
    if hi < lo {
        return (0, 0);
    }
    let (first, last) = if step == 0 {
        if (lo..=hi).contains(&start) {
            (0, n - 1)
        } else {
            return (0, 0);
        }
    } else if step > 0 {
        (
            (lo - start).div_euclid(step) + i64::from((lo - start).rem_euclid(step) != 0),
            (hi - start).div_euclid(step),
        )
    } else {
        let step = -step;
        (
            (start - hi).div_euclid(step) + i64::from((start - hi).rem_euclid(step) != 0),
            (start - lo).div_euclid(step),
        )
    };
    let (first, last) = (first.max(0), last.min(n - 1));
    if last < first {
        (0, 0)
    } else {
        (first as usize, last as usize + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, Limits};
    use crate::samples::degraded_scans;

    /// Orientation and skew found on generated degraded scans, against what
    /// the generator did (the `scan` block of each truth file).
    fn survey(count: usize, seed: u64) -> (usize, usize, Vec<String>) {
        let dir = tempfile::tempdir().expect("temp dir");
        let (mut pages, mut right) = (0, 0);
        let mut wrong = Vec::new();
        for (f, bytes, truth) in degraded_scans(dir.path(), count, seed) {
            let scan = &truth["scan"];
            let turns = scan["quarter_turns"].as_u64().unwrap_or(0) as u8;
            let skew = scan["skew_degrees"].as_f64().unwrap_or(0.0) as f32;
            let Ok(decoded) = decode(&bytes, &Limits::default()) else {
                continue;
            };
            for mut page in decoded.into_iter().take(1) {
                let p = prepare(&mut page, &PrepareOptions::default());
                pages += 1;
                // Upright needs the opposite turn of what the scan got.
                let want = (4 - turns) % 4;
                let got_skew = p.steps.deskewed_degrees.unwrap_or(0.0);
                // The generator turns the page after skewing it, so a turned
                // page's skew is seen with its sign as turned.
                let ok_turn = p.steps.quarter_turns == want;
                let ok_skew = (got_skew.abs() - skew.abs()).abs() < 0.35;
                if ok_turn && ok_skew {
                    right += 1;
                } else {
                    wrong.push(format!(
                        "{}: turns want {want} got {}, skew want {skew:.2} got {got_skew:.2}",
                        f.display(),
                        p.steps.quarter_turns
                    ));
                }
            }
        }
        (pages, right, wrong)
    }

    /// The first page of a clean generated scan (a birth certificate).
    fn clean_page() -> Page {
        let (bytes, _) = crate::samples::one_clean_scan(5);
        decode(&bytes, &Limits::default())
            .expect("decodes")
            .remove(0)
    }

    fn gray_page(page: &Page, turns: u8, skew: f32) -> Page {
        let g = turn_gray(page.image.to_luma8(), turns);
        let g = rotate_scale(&g, skew, 1.0, &[255]);
        Page {
            image: DynamicImage::ImageLuma8(g),
            dpi: page.dpi,
            original: None,
        }
    }

    #[test]
    fn turned_and_skewed_pages_are_brought_upright() {
        let page = clean_page();
        let upright = page.image.to_luma8().dimensions();
        for (turns, skew) in [(0u8, 3.0f32), (1, -2.0), (2, 1.5), (3, 0.0), (0, -4.5)] {
            let mut p = gray_page(&page, turns, skew);
            let prepared = prepare(&mut p, &PrepareOptions::default());
            let got = prepared.steps.deskewed_degrees.unwrap_or(0.0);
            assert_eq!(
                prepared.steps.quarter_turns,
                (4 - turns) % 4,
                "{turns} {skew}"
            );
            assert!((got - skew).abs() < 0.3, "skew {skew}: found {got}");
            // The page itself is turned, so the result shows it upright.
            assert_eq!(p.image.to_luma8().dimensions(), upright);
        }
        // Nothing is done to a straight page.
        let mut p = gray_page(&page, 0, 0.0);
        let prepared = prepare(&mut p, &PrepareOptions::default());
        assert_eq!(prepared.steps.quarter_turns, 0);
        assert_eq!(prepared.steps.deskewed_degrees, None);
        // Steps that are off do nothing.
        let mut p = gray_page(&page, 2, 3.0);
        let prepared = prepare(&mut p, &PrepareOptions::none());
        assert_eq!(prepared.steps, Steps::default());
    }

    #[test]
    fn the_scale_comes_from_the_print_not_only_the_declaration() {
        let page = clean_page();
        let gray = page.image.to_luma8();
        let only_scale = PrepareOptions::default()
            .skip(Step::Despeckle)
            .skip(Step::Orient)
            .skip(Step::Deskew);
        let run = |g: GrayImage, dpi: Option<u32>| {
            let mut p = Page {
                image: DynamicImage::ImageLuma8(g),
                dpi,
                original: None,
            };
            prepare(&mut p, &only_scale)
        };
        // Scanned at 300 dpi, declared 96 (an image wrapped at 96 ppi): not
        // upscaled, and read at the resolution its print shows.
        let p = run(gray.clone(), Some(96));
        assert_eq!(p.steps.upscaled_from_dpi, None, "{:?}", p.steps);
        assert_eq!(p.steps.resolved_dpi, Some(300), "{:?}", p.steps);
        assert_eq!((p.dpi, p.gray.dimensions()), (300, gray.dimensions()));
        // Declared rightly: nothing changes, nothing is measured.
        let p = run(gray.clone(), Some(300));
        assert_eq!(
            (
                p.steps.upscaled_from_dpi,
                p.steps.resolved_dpi,
                p.steps.text_px,
                p.dpi
            ),
            (None, None, None, 300)
        );
        // Scanned at 150 dpi, declared so or untagged (then its A4 pixels
        // say 150): upscaled to the print of MIN_OCR_DPI, which is read as
        // it is, and no further; boxes map back onto the page's pixels.
        let half = rotate_scale(&gray, 0.0, 0.5, &[255]);
        for declared in [Some(150), None] {
            let p = run(half.clone(), declared);
            assert_eq!(p.steps.upscaled_from_dpi, Some(150), "{:?}", p.steps);
            let want = MIN_OCR_DPI as f32 / 150.0;
            assert!((p.scale_back * want - 1.0).abs() < 0.05, "{:?}", p.steps);
            assert!((205..=235).contains(&p.dpi), "{}", p.dpi);
        }
        // Declared 96 and truly that small: upscaled, never past the target.
        let small = rotate_scale(&gray, 0.0, 0.32, &[255]);
        let p = run(small, Some(96));
        assert_eq!(p.steps.upscaled_from_dpi, Some(96), "{:?}", p.steps);
        assert!(p.scale_back >= 96.0 / 300.0 - 1e-3, "{:?}", p.scale_back);
    }

    #[test]
    fn blocks_of_noise_are_not_taken_for_print() {
        // Solid blocks and random dust, declared 96: whatever is measured,
        // the scale never goes past what the declaration asks for.
        let (w, h) = (800u32, 1100u32);
        let mut g = GrayImage::from_pixel(w, h, image::Luma([255]));
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..400 {
            let (x, y) = (
                (next() % u64::from(w - 20)) as u32,
                (next() % u64::from(h - 20)) as u32,
            );
            let side = 2 + (next() % 16) as u32;
            for dy in 0..side {
                for dx in 0..side {
                    g.put_pixel(x + dx, y + dy, image::Luma([0]));
                }
            }
        }
        assert_eq!(text_height(&g, 128), None);
        let mut p = Page {
            image: DynamicImage::ImageLuma8(g),
            dpi: Some(96),
            original: None,
        };
        let prepared = prepare(&mut p, &PrepareOptions::default());
        assert!(prepared.scale_back >= 96.0 / 300.0 - 1e-3);
    }

    #[test]
    fn red_seal_ink_is_removed_and_black_print_kept() {
        let page = clean_page();
        let mut rgb = page.image.to_rgb8();
        let (w, h) = rgb.dimensions();
        let (cx, cy, r) = (w as f32 / 2.0, h as f32 / 3.0, w as f32 / 8.0);
        let mut under = Vec::new();
        for (x, y, p) in rgb.enumerate_pixels_mut() {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            if (d - r).abs() < 12.0 || (d < r && (x + y) % 9 < 3) {
                // Red ink multiplies the paper and the print under it.
                let [pr, pg, pb] = p.0;
                *p = image::Rgb([
                    pr,
                    (u16::from(pg) * 40 / 255) as u8,
                    (u16::from(pb) * 50 / 255) as u8,
                ]);
                under.push((x, y, pr));
            }
        }
        let mut p = Page {
            image: DynamicImage::ImageRgb8(rgb),
            dpi: page.dpi,
            original: None,
        };
        let prepared = prepare(&mut p, &PrepareOptions::default());
        assert!(prepared.steps.color_ink_removed);
        let gray = &prepared.gray;
        // Where the seal covered paper, the page is paper again; where it
        // covered print, the print stays dark.
        let (mut paper, mut print) = (0usize, 0usize);
        for &(x, y, orig) in &under {
            let v = gray.get_pixel(x, y).0[0];
            if orig > 200 {
                paper += usize::from(v > 200);
            } else if orig < 60 {
                print += usize::from(v < 100);
            }
        }
        let paper_total = under.iter().filter(|u| u.2 > 200).count();
        let print_total = under.iter().filter(|u| u.2 < 60).count();
        assert!(paper * 100 >= paper_total * 99, "{paper}/{paper_total}");
        assert!(print * 100 >= print_total * 95, "{print}/{print_total}");
        // Without the step the seal stays dark.
        let mut q = p.clone();
        let off = prepare(&mut q, &PrepareOptions::without("ink").expect("known step"));
        let dark = under
            .iter()
            .filter(|u| u.2 > 200 && off.gray.get_pixel(u.0, u.1).0[0] < 150)
            .count();
        assert!(dark * 2 > paper_total, "{dark}/{paper_total}");
    }

    #[test]
    fn skip_prepare_names_come_from_the_step_table() {
        for (step, name) in Step::TABLE {
            assert_eq!(step.name(), name);
            let o = PrepareOptions::without(&format!(" {name} ,")).expect("a known step");
            for (other, _) in Step::TABLE {
                assert_eq!(o.runs(other), other != step, "{name}: {other:?}");
            }
        }
        assert_eq!(
            PrepareOptions::without("deskew,all"),
            Ok(PrepareOptions::none())
        );
        assert_eq!(PrepareOptions::without(""), Ok(PrepareOptions::default()));
        assert_eq!(
            PrepareOptions::without("ink,sharpen"),
            Err("a comma-separated list of ink, despeckle, orient, deskew, upscale, all")
        );
    }

    /// The page prepared with colour removal and despeckling only.
    fn despeckled(gray: GrayImage, dpi: Option<u32>) -> Prepared {
        let mut p = Page {
            image: DynamicImage::ImageLuma8(gray),
            dpi,
            original: None,
        };
        let options = PrepareOptions::default()
            .skip(Step::Orient)
            .skip(Step::Deskew);
        prepare(&mut p, &options)
    }

    /// Dark pixels of the clean page that preparation made light.
    fn dark_pixels_lost(clean: &GrayImage, prepared: &Prepared) -> usize {
        clean
            .pixels()
            .zip(prepared.gray.pixels())
            .filter(|(a, b)| a.0[0] < 100 && b.0[0] >= 100)
            .count()
    }

    #[test]
    fn lone_specks_go_and_the_dots_of_the_text_stay() {
        let page = clean_page();
        let clean = page.image.to_luma8();
        let mut specked = clean.clone();
        let (w, h) = specked.dimensions();
        // Specks of 2–3 px on a grid, kept off the text.
        let mut placed = 0;
        for y in (40..h - 40).step_by(97) {
            for x in (40..w - 40).step_by(89) {
                let near_ink = (y - 30..y + 30)
                    .any(|yy| (x - 30..x + 30).any(|xx| clean.get_pixel(xx, yy).0[0] < 200));
                if near_ink {
                    continue;
                }
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1), (2, 1)] {
                    specked.put_pixel(x + dx, y + dy, image::Luma([20]));
                }
                placed += 1;
            }
        }
        assert!(placed > 100);
        let prepared = despeckled(specked, page.dpi);
        assert!(prepared.steps.specks_removed as usize >= placed);
        // Every dark pixel of the clean page is still dark: the text, with
        // its diacritics and full stops, is untouched.
        assert_eq!(dark_pixels_lost(&clean, &prepared), 0);
    }

    #[test]
    fn specks_between_the_lines_go_and_the_marks_stay() {
        let page = clean_page();
        let clean = page.image.to_luma8();
        let mut specked = clean.clone();
        let (w, h) = specked.dimensions();
        let ink = |x: u32, y: u32| clean.get_pixel(x, y).0[0] < 200;
        // Specks of 2×2 px close to the text (ink within 15 px) but not
        // touching it, and not within 20 px straight above or below a
        // letter, where the marks of the text are.
        let mut placed = 0;
        for y in (30..h - 30).step_by(23) {
            for x in (30..w - 30).step_by(29) {
                let near = (y - 15..y + 17).any(|yy| (x - 15..x + 17).any(|xx| ink(xx, yy)));
                let touching = (y - 3..y + 5).any(|yy| (x - 3..x + 5).any(|xx| ink(xx, yy)));
                let column = (y - 20..y + 22).any(|yy| (x - 2..x + 4).any(|xx| ink(xx, yy)));
                if !near || touching || column {
                    continue;
                }
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    specked.put_pixel(x + dx, y + dy, image::Luma([20]));
                }
                placed += 1;
            }
        }
        assert!(placed > 100, "{placed}");
        let prepared = despeckled(specked, page.dpi);
        let removed = prepared.steps.specks_removed as usize;
        assert!(removed * 10 >= placed * 9, "{removed} of {placed}");
        assert_eq!(dark_pixels_lost(&clean, &prepared), 0);
    }

    #[test]
    fn linear_span_matches_counting() {
        for (start, step) in [
            (-700, 300),
            (5000, -260),
            (100, 0),
            (-5, 0),
            (0, 1),
            (999, -1),
        ] {
            for (lo, hi) in [(0, 2000), (0, -1), (300, 300)] {
                let n = 20;
                let want: Vec<usize> = (0..n)
                    .filter(|&x| (lo..=hi).contains(&(start + x as i64 * step)))
                    .collect();
                let (a, b) = linear_span(start, step, lo, hi, n);
                assert_eq!((a..b).collect::<Vec<_>>(), want, "{start} {step} {lo} {hi}");
            }
        }
    }

    #[test]
    fn rotation_agrees_with_plain_bilinear_sampling() {
        let (w, h) = (61u32, 47u32);
        let src = GrayImage::from_fn(w, h, |x, y| image::Luma([((x * 37 + y * 91) % 251) as u8]));
        for (deg, scale) in [(0.0f32, 1.0f32), (3.7, 1.0), (-4.9, 1.0), (2.0, 1.5)] {
            let out = rotate_scale(&src, deg, scale, &[255]);
            let (s, c) = f64::from(deg).to_radians().sin_cos();
            let (cx, cy) = (f64::from(w) / 2.0, f64::from(h) / 2.0);
            let at = |x: i64, y: i64| {
                let x = x.clamp(0, i64::from(w) - 1) as u32;
                let y = y.clamp(0, i64::from(h) - 1) as u32;
                f64::from(src.get_pixel(x, y)[0])
            };
            for (x, y, p) in out.enumerate_pixels() {
                let (dx, dy) = (
                    (f64::from(x) + 0.5) / f64::from(scale) - cx,
                    (f64::from(y) + 0.5) / f64::from(scale) - cy,
                );
                let (sx, sy) = (c * dx + s * dy + cx - 0.5, -s * dx + c * dy + cy - 0.5);
                if sx < -0.4 || sy < -0.4 || sx > f64::from(w) - 0.6 || sy > f64::from(h) - 0.6 {
                    continue; // the fill, or the edge band
                }
                let (ix, iy) = (sx.floor() as i64, sy.floor() as i64);
                let (ax, ay) = (sx - sx.floor(), sy - sy.floor());
                let want = (at(ix, iy) * (1.0 - ax) + at(ix + 1, iy) * ax) * (1.0 - ay)
                    + (at(ix, iy + 1) * (1.0 - ax) + at(ix + 1, iy + 1) * ax) * ay;
                assert!(
                    (f64::from(p[0]) - want).abs() <= 3.0,
                    "{deg}° ×{scale} at ({x},{y}): {} vs {want:.1}",
                    p[0]
                );
            }
        }
    }

    #[test]
    #[ignore = "survey: prints how orientation and skew detection do on many pages"]
    fn survey_orientation_and_skew() {
        let (pages, right, wrong) = survey(120, 99);
        for w in &wrong {
            eprintln!("{w}");
        }
        eprintln!("{right} of {pages} right");
    }
}
