//! The scanned image of each PDF page, read with the `pdf` crate.
//!
//! The crate parses the file, the page tree and the image dictionaries, and
//! hands over each image's stream bytes still encoded in the image filter
//! (`raw_image_data`). The image filters are decoded here: DCT with `image`,
//! Flate with `flate2` and our own predictor code, CCITT with `fax`, so that
//! 1-bit Flate, `BlackIs1` and G3 work, which the crate's own decoding does
//! not. Any panic inside the crate becomes [`DecodeError::Corrupt`].
//!
//! The text layer of each page is read from the same parse (`text`), so
//! images and text agree on the page tree; a page with usable text comes
//! with it, and a page that has such text but no image gets a blank stand-in
//! image of the page's size.

use std::panic::{catch_unwind, AssertUnwindSafe};

use ::pdf::enc::StreamFilter;
use ::pdf::file::FileOptions;
use ::pdf::object::{ColorSpace, ImageXObject, ParseOptions, RcRef, Resolve, Resources, XObject};
use image::{DynamicImage, GrayImage, Luma};

use super::objects::{is_white, Objects};
use super::text::{page_text, PageText, TEXT_LAYER_DPI};
use crate::codec::raster::decode_jpeg;
use crate::codec::samples::{
    decode_fax, inflate, to_image, unpredict, ColorModel, FaxError, FaxParams, Samples,
};
use crate::codec::{check_pages, Budget, DecodeError, Resource};
use crate::headers::{dpi_from_density, JpegHeader};
use crate::model::{OcrPage, Page};

/// A decoded PDF page and its usable text layer, if it has one.
type PdfPage = (Page, Option<OcrPage>);

fn corrupt(detail: impl Into<String>) -> DecodeError {
    DecodeError::Corrupt {
        format: "PDF",
        detail: super::without_source_locations(&detail.into()),
    }
}

/// Decodes the scanned image of every page of a PDF.
pub(crate) fn decode_pdf(bytes: &[u8], budget: &Budget) -> Result<Vec<PdfPage>, DecodeError> {
    match catch_unwind(AssertUnwindSafe(|| decode_document(bytes, budget))) {
        Ok(result) => result,
        Err(panic) => {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown reason".into());
            Err(corrupt(format!(
                "the PDF reader stopped on a construct it cannot handle ({reason}); \
                 print it to PDF again or rescan"
            )))
        }
    }
}

/// The longest chain of objects whose whole value is a reference to another
/// (`5 0 obj 6 0 R endobj`, `6 0 obj 7 0 R endobj`, …), found in the bytes
/// as written (objects inside compressed object streams are not seen); a
/// chain that loops counts as endless.
pub(crate) fn longest_reference_chain(bytes: &[u8]) -> u64 {
    use std::collections::HashMap;
    let mut next: HashMap<u64, u64> = HashMap::new();
    let mut from = 0;
    while let Some(p) = bytes[from..].windows(3).position(|w| w == b"obj") {
        let at = from + p;
        from = at + 3;
        let Some(id) = object_number_before(bytes, at) else {
            continue;
        };
        if let Some(target) = bare_reference_after(&bytes[at + 3..]) {
            next.insert(id, target);
        }
    }
    // Chain lengths, each object walked once: a walk stops at an object whose
    // length is known, or at one it has already passed (a loop).
    let mut length: HashMap<u64, u64> = HashMap::with_capacity(next.len());
    let mut longest = 0;
    for &start in next.keys() {
        if length.contains_key(&start) {
            continue;
        }
        let mut path = Vec::new();
        let mut on_path = std::collections::HashSet::new();
        let mut at = start;
        let tail = loop {
            if let Some(&known) = length.get(&at) {
                break known;
            }
            if !on_path.insert(at) {
                break u64::MAX / 2;
            }
            path.push(at);
            match next.get(&at) {
                Some(&n) => at = n,
                None => break 0,
            }
        };
        let mut len = tail;
        for &obj in path.iter().rev() {
            len = len.saturating_add(u64::from(next.contains_key(&obj)));
            length.insert(obj, len);
        }
        longest = longest.max(len);
    }
    longest
}

/// The object number of `N G obj` ending just before `at`.
fn object_number_before(bytes: &[u8], at: usize) -> Option<u64> {
    let mut i = at;
    let skip_white = |i: &mut usize| {
        let start = *i;
        while *i > 0 && is_white(bytes[*i - 1]) {
            *i -= 1;
        }
        *i < start
    };
    let digits = |i: &mut usize| {
        let end = *i;
        while *i > 0 && bytes[*i - 1].is_ascii_digit() && end - *i < 10 {
            *i -= 1;
        }
        (*i < end).then(|| {
            std::str::from_utf8(&bytes[*i..end])
                .ok()?
                .parse::<u64>()
                .ok()
        })?
    };
    if !skip_white(&mut i) {
        return None;
    }
    digits(&mut i)?;
    if !skip_white(&mut i) {
        return None;
    }
    let id = digits(&mut i)?;
    (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()).then_some(id)
}

/// `M G R` and then `endobj` at the start of `rest` (after white space):
/// the object's whole value is a reference to `M`.
fn bare_reference_after(rest: &[u8]) -> Option<u64> {
    let mut words = rest
        .split(|&c| is_white(c))
        .filter(|w| !w.is_empty())
        .take(4);
    let id = std::str::from_utf8(words.next()?)
        .ok()?
        .parse::<u64>()
        .ok()?;
    std::str::from_utf8(words.next()?)
        .ok()?
        .parse::<u64>()
        .ok()?;
    (words.next()? == b"R" && words.next()?.starts_with(b"endobj")).then_some(id)
}

/// Whether the bytes have an `/Encrypt` key (looked for when the parser fails,
/// since the parser tries to decrypt before anything else).
fn mentions_encrypt(bytes: &[u8]) -> bool {
    bytes.windows(8).any(|w| w == b"/Encrypt")
}

fn decode_document(bytes: &[u8], budget: &Budget) -> Result<Vec<PdfPage>, DecodeError> {
    let limits = budget.limits();
    // The `pdf` crate follows a reference to a reference by recursion: a long
    // enough chain overflows the stack, which aborts the process. Such
    // chains are refused before the crate sees the file.
    budget.charge(Resource::ReferenceDepth, longest_reference_chain(bytes))?;
    let file = match FileOptions::uncached()
        .parse_options(ParseOptions::tolerant())
        .load(bytes)
    {
        Ok(file) => file,
        Err(_) if mentions_encrypt(bytes) => return Err(DecodeError::Encrypted),
        Err(e) => return Err(corrupt(format!("the file cannot be read as PDF ({})", e))),
    };
    if file.trailer.encrypt_dict.is_some() {
        return Err(DecodeError::Encrypted);
    }
    let count = file.num_pages() as usize;
    check_pages(count, limits)?;
    let resolver = file.resolver();
    let objects = Objects::new(&resolver, budget);
    let mut unreadable = None;
    let mut pages = Vec::new();
    for (index, page) in file.pages().enumerate() {
        let number = index + 1;
        budget.on_page(number);
        let page = page.map_err(|e| corrupt(format!("page {number} cannot be read ({})", e)))?;
        let text = match page_text(&objects, page.get_ref()) {
            PageText::Usable(t) => Some(t),
            PageText::Unusable => {
                unreadable.get_or_insert(number);
                None
            }
            PageText::None => None,
        };
        budget.check()?;
        let (candidates, broken) = page_images(&page, &resolver);
        let Some(image) = candidates.into_iter().max_by_key(area) else {
            if let Some(text) = text {
                pages.push((stand_in(&text, number, budget)?, Some(text)));
                continue;
            }
            if let Some(e) = broken {
                return Err(corrupt(format!(
                    "page {number}: an image cannot be read ({e})"
                )));
            }
            // A page without a scan (a typed cover sheet, a blank separator).
            continue;
        };
        let box_pt = page
            .crop_box()
            .ok()
            .map(|r| ((r.right - r.left).abs(), (r.top - r.bottom).abs()));
        let mut decoded = decode_image(&image, number, &resolver, budget)?;
        decoded.dpi =
            box_pt.and_then(|(w, h)| page_dpi(decoded.image.width(), decoded.image.height(), w, h));
        let rotate = page.rotate.rem_euclid(360);
        if rotate != 0 {
            decoded.image = match rotate {
                90 => decoded.image.rotate90(),
                180 => decoded.image.rotate180(),
                270 => decoded.image.rotate270(),
                _ => decoded.image,
            };
            decoded.original = None;
        }
        pages.push((decoded, text));
    }
    if pages.is_empty() {
        return Err(match unreadable {
            Some(page) => DecodeError::UnreadableText { page },
            None => DecodeError::NoImages,
        });
    }
    Ok(pages)
}

/// The picture of a page that has text but no image: white paper of the
/// page's size at 72 dpi (one pixel per point); the text is drawn on it in
/// the result document.
fn stand_in(text: &OcrPage, number: usize, budget: &Budget) -> Result<Page, DecodeError> {
    let points = |px: u32| ((px as f32 * 72.0 / TEXT_LAYER_DPI as f32).round() as u32).max(1);
    let (w, h) = (points(text.width), points(text.height));
    budget.admit_page(number, w.into(), h.into())?;
    Ok(Page {
        image: DynamicImage::ImageLuma8(GrayImage::from_pixel(w, h, Luma([255]))),
        dpi: Some(72),
        original: None,
    })
}

/// Resolution from the image size and the page size in points, when both
/// axes agree (within 5 %) on one value.
fn page_dpi(px_w: u32, px_h: u32, pt_w: f32, pt_h: f32) -> Option<u32> {
    if !(pt_w > 0.0 && pt_h > 0.0) {
        return None;
    }
    let x = f64::from(px_w) * 72.0 / f64::from(pt_w);
    let y = f64::from(px_h) * 72.0 / f64::from(pt_h);
    ((x - y).abs() <= 0.05 * x.max(y))
        .then(|| dpi_from_density(x, true))
        .flatten()
}

/// The image XObjects of a page and of the Form XObjects it uses (one level
/// deep), and the last error met reading one.
fn page_images(
    page: &::pdf::object::Page,
    resolver: &impl Resolve,
) -> (Vec<RcRef<XObject>>, Option<String>) {
    let mut images = Vec::new();
    let mut broken = None;
    let Ok(resources) = page.resources() else {
        return (images, broken);
    };
    let mut forms = Vec::new();
    collect(resources, resolver, &mut images, &mut forms, &mut broken);
    for form in forms {
        if let XObject::Form(f) = &*form {
            if let Some(res) = &f.dict().resources {
                collect(res, resolver, &mut images, &mut Vec::new(), &mut broken);
            }
        }
    }
    (images, broken)
}

fn collect(
    resources: &Resources,
    resolver: &impl Resolve,
    images: &mut Vec<RcRef<XObject>>,
    forms: &mut Vec<RcRef<XObject>>,
    broken: &mut Option<String>,
) {
    for xref in resources.xobjects.values() {
        match resolver.get(*xref) {
            Ok(x) => match &*x {
                XObject::Image(_) => images.push(x),
                XObject::Form(_) => forms.push(x),
                XObject::Postscript(_) => {}
            },
            Err(e) => *broken = Some(e.to_string()),
        }
    }
}

/// Declared pixel count of an image XObject (0 for anything else).
fn area(x: &RcRef<XObject>) -> u64 {
    match &**x {
        XObject::Image(i) => u64::from(i.width) * u64::from(i.height),
        _ => 0,
    }
}

/// Decodes one image XObject of page `page`.
fn decode_image(
    xobject: &RcRef<XObject>,
    page: usize,
    resolver: &impl Resolve,
    budget: &Budget,
) -> Result<Page, DecodeError> {
    let XObject::Image(image) = &**xobject else {
        return Err(DecodeError::NoImages);
    };
    // A JPEG is admitted by its own header, which is what gets decoded.
    if !matches!(image.inner.filters.last(), Some(StreamFilter::DCTDecode(_))) {
        budget.admit_page(page, image.width.into(), image.height.into())?;
    }
    let unsupported = |feature: &str| DecodeError::Unsupported {
        page,
        feature: feature.to_string(),
    };
    // Refuse image codecs before their data is read.
    for filter in image.inner.filters.iter() {
        match filter {
            StreamFilter::JPXDecode => return Err(unsupported("JPEG 2000 (JPXDecode)")),
            StreamFilter::JBIG2Decode(_) => return Err(unsupported("JBIG2")),
            _ => {}
        }
    }
    let (data, filter) = image.raw_image_data(resolver).map_err(|e| {
        corrupt(format!(
            "page {page}: the image data cannot be read ({})",
            e
        ))
    })?;
    let decode = image.decode.as_deref();
    let model = if image.image_mask {
        ColorModel::Gray
    } else {
        color_model(image, page)?
    };
    let bpc = if image.image_mask {
        1
    } else {
        match image.bits_per_component {
            Some(b @ (1 | 2 | 4 | 8 | 16)) => b as u8,
            None if matches!(filter, Some(StreamFilter::CCITTFaxDecode(_))) => 1,
            None if matches!(filter, Some(StreamFilter::DCTDecode(_))) => 8,
            other => {
                return Err(corrupt(format!(
                    "page {page}: the image states {other:?} bits per component"
                )))
            }
        }
    };
    let samples = |data: &[u8]| -> Result<DynamicImage, DecodeError> {
        to_image(&Samples {
            width: image.width,
            height: image.height,
            bpc,
            model: &model,
            decode,
            data,
        })
        .map_err(|e| corrupt(format!("page {page}: {e}")))
    };
    let expected = (image.width as usize * model.components() * usize::from(bpc)).div_ceil(8)
        * image.height as usize;
    let plain = |image: DynamicImage| Page {
        image,
        dpi: None,
        original: None,
    };
    match filter {
        None => Ok(plain(samples(&data)?)),
        Some(StreamFilter::FlateDecode(p)) => {
            let colors = usize::try_from(p.n_components).unwrap_or(1).max(1);
            let p_bpc = usize::try_from(p.bits_per_component).unwrap_or(8).max(1);
            let columns = usize::try_from(p.columns).unwrap_or(1).max(1);
            // Room for the PNG predictor's tag byte on every row.
            let max = expected
                .saturating_add(image.height as usize)
                .saturating_add(1024);
            let raw = inflate(&data, max);
            if raw.is_empty() && !data.is_empty() {
                return Err(corrupt(format!(
                    "page {page}: the Flate image data is damaged"
                )));
            }
            let plain_data = unpredict(raw, p.predictor, colors, p_bpc, columns)
                .map_err(|e| unsupported(&format!("Flate {e}")))?;
            Ok(plain(samples(&plain_data)?))
        }
        Some(StreamFilter::CCITTFaxDecode(p)) => {
            let params = FaxParams {
                k: p.k,
                columns: p.columns,
                rows: image.height,
                black_is_1: p.black_is_1,
                byte_align: p.encoded_byte_align,
            };
            let bits = decode_fax(&data, params, image.width).map_err(|e| match e {
                FaxError::Unsupported(f) => unsupported(&f),
                FaxError::Corrupt(d) => corrupt(format!("page {page}: {d}")),
            })?;
            if bpc != 1 || model.components() != 1 {
                return Err(corrupt(format!(
                    "page {page}: a CCITT image must have one 1-bit component"
                )));
            }
            Ok(plain(samples(&bits)?))
        }
        Some(StreamFilter::DCTDecode(_)) => {
            let mut decoded = decode_jpeg(&data, budget, page, false)?;
            let info = JpegHeader::read(&data);
            let components = info.map(|i| usize::from(i.components));
            let inverted = decode.is_some_and(|d| d.first().is_some_and(|&v| v > 0.5));
            if inverted {
                decoded.image.invert();
            }
            // The raw bytes stand for the page only if the PDF draws them as
            // a plain JPEG would be drawn.
            let plain_color = matches!(
                (&model, components),
                (ColorModel::Gray, Some(1)) | (ColorModel::Rgb, Some(3))
            );
            if inverted || !plain_color {
                decoded.original = None;
            }
            decoded.dpi = None;
            Ok(decoded)
        }
        Some(StreamFilter::JPXDecode) => Err(unsupported("JPEG 2000 (JPXDecode)")),
        Some(StreamFilter::JBIG2Decode(_)) => Err(unsupported("JBIG2")),
        Some(other) => Err(unsupported(&format!("the PDF image filter {other:?}"))),
    }
}

/// The colour model of a (non-mask) image.
fn color_model(image: &ImageXObject, page: usize) -> Result<ColorModel, DecodeError> {
    match &image.color_space {
        Some(cs) => model_of(cs, page, 2),
        // Only JPX may omit it; a CCITT image without one is gray in practice.
        None => Ok(ColorModel::Gray),
    }
}

fn model_of(cs: &ColorSpace, page: usize, depth: u8) -> Result<ColorModel, DecodeError> {
    let unsupported = |what: String| DecodeError::Unsupported {
        page,
        feature: what,
    };
    Ok(match cs {
        ColorSpace::DeviceGray | ColorSpace::CalGray(_) => ColorModel::Gray,
        ColorSpace::DeviceRGB | ColorSpace::CalRGB(_) => ColorModel::Rgb,
        ColorSpace::DeviceCMYK | ColorSpace::CalCMYK(_) => ColorModel::Cmyk,
        ColorSpace::Icc(icc) => match icc.components {
            1 => ColorModel::Gray,
            3 => ColorModel::Rgb,
            4 => ColorModel::Cmyk,
            n => {
                return Err(unsupported(format!(
                    "an ICC colour space with {n} components"
                )))
            }
        },
        ColorSpace::Separation(..) => ColorModel::Ink,
        ColorSpace::Indexed(base, hival, lookup) if depth > 0 => {
            let base = model_of(base, page, depth - 1)?;
            if matches!(base, ColorModel::Indexed { .. }) {
                return Err(unsupported("a nested Indexed colour space".into()));
            }
            ColorModel::Indexed {
                base: Box::new(base),
                hival: *hival,
                lookup: lookup.to_vec(),
            }
        }
        ColorSpace::Named(name) => {
            return Err(unsupported(format!("the colour space /{}", name.as_str())))
        }
        ColorSpace::DeviceN { .. } => return Err(unsupported("a DeviceN colour space".into())),
        other => {
            return Err(unsupported(format!(
                "the colour space {}",
                short_name(other)
            )))
        }
    })
}

fn short_name(cs: &ColorSpace) -> &'static str {
    match cs {
        ColorSpace::Pattern => "Pattern",
        ColorSpace::Indexed(..) => "Indexed",
        _ => "of this kind",
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn chains_of_references_are_measured_in_the_bytes() {
        use super::longest_reference_chain as chain;
        assert_eq!(
            chain(b"1 0 obj << /A 2 0 R >> endobj 2 0 obj 3 0 R endobj"),
            1
        );
        let mut long = Vec::new();
        for i in 10..60 {
            long.extend_from_slice(format!("{i} 0 obj\n{} 0 R\nendobj\n", i + 1).as_bytes());
        }
        assert_eq!(chain(&long), 50);
        // A loop is endless.
        assert!(chain(b"4 0 obj 5 0 R endobj 5 0 obj 4 0 R endobj") > 1_000_000);
        // Not an object header: `x1 0 obj` or a reference inside a dictionary.
        assert_eq!(chain(b"x1 0 obj 2 0 R endobj 3 0 obj [4 0 R] endobj"), 0);
    }
}
