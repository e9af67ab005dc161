//! Pixels from encoded image data, within limits: the bounds on what one
//! submission may cost ([`Limits`]), the error every decoder returns
//! ([`DecodeError`]), JPEG and PNG (`raster`), and the sample decoders that
//! TIFF and PDF images share (`samples`: Flate, predictors, CCITT fax).
//! `decode` and `pdf::read` both build on it; it knows neither.

use image::DynamicImage;

pub(crate) mod raster;
pub(crate) mod samples;

/// Bounds on what one submission may cost. The first three are checked
/// against what a file states before anything is decoded; the rest are
/// budgets a [`Budget`] spends while the submission is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_bytes: u64,
    /// Most pages in one submission.
    pub max_pages: usize,
    /// Most pixels in one page (width × height).
    pub max_pixels: u64,
    /// Most pixels across all pages of one submission.
    pub max_total_pixels: u64,
    /// Most bytes produced by stream filters (Flate, LZW, …) across one
    /// submission, every stage of every chain counted.
    pub max_decoded_bytes: u64,
    /// Most content-stream tokens (operators and operands) interpreted
    /// across one submission, Form XObjects counted each time they are painted.
    pub max_operations: u64,
    /// Most indirect references followed in a row to reach one object.
    pub max_reference_depth: u32,
    /// Wall-clock seconds one submission may take, OCR included.
    pub max_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 200 * 1024 * 1024,
            max_pages: 50,
            max_pixels: 60_000_000,
            max_total_pixels: 400_000_000,
            max_decoded_bytes: 512 * 1024 * 1024,
            max_operations: 10_000_000,
            max_reference_depth: 32,
            max_seconds: 600,
        }
    }
}

impl Limits {
    /// How long a worker waits for one submission before it gives up on it
    /// from outside (the pipeline stops itself at `max_seconds`; this covers
    /// a stage that cannot look at the clock, such as one page in Tesseract).
    pub fn backstop(&self) -> std::time::Duration {
        let s = self.max_seconds;
        std::time::Duration::from_secs(s.saturating_add(s / 4).saturating_add(30))
    }

    /// The error of a submission that went over its time budget.
    pub fn out_of_time(&self) -> Exceeded {
        Exceeded {
            resource: Resource::Time,
            limit: self.max_seconds,
            page: None,
        }
    }
}

/// A budget of [`Limits`] that a submission spends as it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Pixels across all pages.
    Pixels,
    /// Bytes out of stream filters.
    DecodedBytes,
    /// Content-stream tokens.
    Operations,
    /// Wall-clock seconds.
    Time,
    /// Indirect references followed in a row (a limit, not spent).
    ReferenceDepth,
}

impl Resource {
    /// What is counted, for messages.
    pub fn what(self) -> &'static str {
        match self {
            Resource::Pixels => "pixels across its pages",
            Resource::DecodedBytes => "bytes decoded from compressed streams",
            Resource::Operations => "content-stream operators and operands",
            Resource::Time => "seconds",
            Resource::ReferenceDepth => "indirect references followed in a row",
        }
    }

    /// The `[limits]` key and the environment variable that set it.
    pub fn setting(self) -> (&'static str, &'static str) {
        match self {
            Resource::Pixels => ("max_total_pixels", "DOCSEAL_MAX_TOTAL_PIXELS"),
            Resource::DecodedBytes => ("max_decoded_bytes", "DOCSEAL_MAX_DECODED_BYTES"),
            Resource::Operations => ("max_operations", "DOCSEAL_MAX_OPERATIONS"),
            Resource::Time => ("max_seconds", "DOCSEAL_MAX_SECONDS"),
            Resource::ReferenceDepth => ("max_reference_depth", "DOCSEAL_MAX_REFERENCE_DEPTH"),
        }
    }
}

/// A budget that ran out: which, its limit, and the page being read then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceeded {
    /// The budget.
    pub resource: Resource,
    /// Its limit.
    pub limit: u64,
    /// The 1-based page being read when it ran out, if known.
    pub page: Option<usize>,
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(page) = self.page {
            write!(f, "page {page}: ")?;
        }
        let (key, var) = self.resource.setting();
        match self.resource {
            Resource::Time => write!(
                f,
                "took longer than {} s, the time budget of one submission",
                self.limit
            )?,
            r => write!(
                f,
                "the submission needs more than {} {}, its budget",
                self.limit,
                r.what()
            )?,
        }
        write!(f, " ([limits] {key}, or {var})")
    }
}

/// What one submission has spent of its [`Limits`], shared by every stage
/// that decodes, interprets or recognises it (and by threads, hence the
/// atomics). The first budget to run out is remembered: every later charge
/// fails at once, so each loop that charges ends quickly, and the caller
/// reports it with [`Budget::check`].
#[derive(Debug)]
pub struct Budget {
    limits: Limits,
    deadline: std::time::Instant,
    pixels: std::sync::atomic::AtomicU64,
    decoded: std::sync::atomic::AtomicU64,
    operations: std::sync::atomic::AtomicU64,
    page: std::sync::atomic::AtomicUsize,
    exceeded: std::sync::OnceLock<Exceeded>,
}

impl Budget {
    /// A full budget; the clock starts now.
    pub fn new(limits: &Limits) -> Budget {
        let now = std::time::Instant::now();
        let deadline = now
            .checked_add(std::time::Duration::from_secs(limits.max_seconds))
            .unwrap_or(now + std::time::Duration::from_secs(86_400 * 365));
        Budget {
            limits: *limits,
            deadline,
            pixels: Default::default(),
            decoded: Default::default(),
            operations: Default::default(),
            page: Default::default(),
            exceeded: std::sync::OnceLock::new(),
        }
    }

    /// The limits this budget spends.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Says which 1-based page is being read, for messages.
    pub fn on_page(&self, page: usize) {
        self.page.store(page, std::sync::atomic::Ordering::Relaxed);
    }

    fn limit(&self, resource: Resource) -> u64 {
        match resource {
            Resource::Pixels => self.limits.max_total_pixels,
            Resource::DecodedBytes => self.limits.max_decoded_bytes,
            Resource::Operations => self.limits.max_operations,
            Resource::Time => self.limits.max_seconds,
            Resource::ReferenceDepth => u64::from(self.limits.max_reference_depth),
        }
    }

    fn run_out(&self, resource: Resource) -> Exceeded {
        let page = self.page.load(std::sync::atomic::Ordering::Relaxed);
        self.exceeded
            .get_or_init(|| Exceeded {
                resource,
                limit: self.limit(resource),
                page: (page > 0).then_some(page),
            })
            .clone()
    }

    /// Spends `amount` of `resource`; fails when that (or any earlier
    /// charge) went over its limit, or the time is up.
    pub fn charge(&self, resource: Resource, amount: u64) -> Result<(), Exceeded> {
        use std::sync::atomic::Ordering::Relaxed;
        if let Some(e) = self.exceeded.get() {
            return Err(e.clone());
        }
        let counter = match resource {
            Resource::Pixels => &self.pixels,
            Resource::DecodedBytes => &self.decoded,
            Resource::Operations => &self.operations,
            Resource::Time => return self.check_time(),
            Resource::ReferenceDepth => {
                if amount > self.limit(resource) {
                    return Err(self.run_out(resource));
                }
                return Ok(());
            }
        };
        let before = counter.fetch_add(amount, Relaxed);
        let after = before.saturating_add(amount);
        if after > self.limit(resource) {
            return Err(self.run_out(resource));
        }
        // The clock is read about once per 4,096 operations, and on every
        // other kind of charge.
        if resource != Resource::Operations || (before >> 12) != (after >> 12) {
            self.check_time()?;
        }
        Ok(())
    }

    /// Fails when the time is up (or another budget already ran out).
    pub fn check_time(&self) -> Result<(), Exceeded> {
        if let Some(e) = self.exceeded.get() {
            return Err(e.clone());
        }
        if std::time::Instant::now() >= self.deadline {
            return Err(self.run_out(Resource::Time));
        }
        Ok(())
    }

    /// Admits page `page` of `width` × `height` pixels before it is decoded:
    /// within the per-page limit, and its pixels spent from the total.
    pub fn admit_page(&self, page: usize, width: u64, height: u64) -> Result<(), DecodeError> {
        check_pixels(page, width, height, &self.limits)?;
        self.on_page(page);
        self.charge(Resource::Pixels, width.saturating_mul(height))?;
        Ok(())
    }

    /// The budget that ran out, if one did.
    pub fn check(&self) -> Result<(), DecodeError> {
        match self.exceeded.get() {
            Some(e) => Err(DecodeError::OverBudget(e.clone())),
            None => Ok(()),
        }
    }
}

/// Why a scan could not be decoded. Every message names the cause and what to do;
/// the caller adds the file name.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The file has no bytes.
    #[error("the file is empty")]
    Empty,
    /// The bytes are not a supported format.
    #[error("not a scan: the content is not PNG, JPEG, TIFF or PDF ({0})")]
    UnknownFormat(String),
    /// The file is larger than the configured limit.
    #[error("the file has {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Size of the input.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A page is larger than the configured limit.
    #[error("page {page} is {width}×{height} pixels, more than the limit of {limit} pixels; rescan at 300 dpi")]
    TooManyPixels {
        /// 1-based page number.
        page: usize,
        /// Width in pixels.
        width: u64,
        /// Height in pixels.
        height: u64,
        /// The limit.
        limit: u64,
    },
    /// The document has more pages than the configured limit.
    #[error("the document has {pages} pages, more than the limit of {limit}; split it")]
    TooManyPages {
        /// Pages found.
        pages: usize,
        /// The limit.
        limit: usize,
    },
    /// The file is damaged or cut short.
    #[error("the {format} data is corrupt or truncated: {detail}")]
    Corrupt {
        /// Format name.
        format: &'static str,
        /// What the decoder said.
        detail: String,
    },
    /// Reading the submission went over one of its budgets.
    #[error("{0}")]
    OverBudget(Exceeded),
    /// The PDF is encrypted.
    #[error("the PDF is encrypted; submit an unprotected copy")]
    Encrypted,
    /// The document contains no page image and no usable text.
    #[error("the document has no page images and no text to read")]
    NoImages,
    /// A page has visible text that cannot be trusted and no image to OCR.
    #[error(
        "page {page} has text docseal cannot read reliably (fonts without a Unicode map, \
         or a legacy TCVN3/VNI encoding) and no scanned image; export it again as PDF \
         with embedded Unicode fonts, or print and scan it"
    )]
    UnreadableText {
        /// 1-based page number.
        page: usize,
    },
    /// A page uses a feature docseal does not decode.
    #[error("page {page} uses {feature}, which is not supported; rescan as TIFF (G4) or PNG")]
    Unsupported {
        /// 1-based page number.
        page: usize,
        /// The feature, e.g. `JBIG2`.
        feature: String,
    },
}

impl From<Exceeded> for DecodeError {
    fn from(e: Exceeded) -> Self {
        DecodeError::OverBudget(e)
    }
}

/// Refuses a page whose stated size is zero or above the pixel limit; called
/// before any pixel buffer of that page is allocated.
pub(crate) fn check_pixels(
    page: usize,
    width: u64,
    height: u64,
    limits: &Limits,
) -> Result<(), DecodeError> {
    if width == 0 || height == 0 {
        return Err(DecodeError::Corrupt {
            format: "image",
            detail: format!("page {page} states a size of {width}×{height} pixels"),
        });
    }
    if width.saturating_mul(height) > limits.max_pixels {
        return Err(DecodeError::TooManyPixels {
            page,
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    Ok(())
}

/// Refuses a document with more pages than the limit.
pub(crate) fn check_pages(pages: usize, limits: &Limits) -> Result<(), DecodeError> {
    if pages > limits.max_pages {
        return Err(DecodeError::TooManyPages {
            pages,
            limit: limits.max_pages,
        });
    }
    Ok(())
}

/// Brings any decoded image to 8-bit gray or 8-bit RGB; transparent pixels are
/// composited over white paper.
pub(crate) fn normalize(image: DynamicImage) -> DynamicImage {
    use image::{GrayImage, RgbImage};
    match image {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => image,
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(image.to_luma8()),
        DynamicImage::ImageRgb16(_) | DynamicImage::ImageRgb32F(_) => {
            DynamicImage::ImageRgb8(image.to_rgb8())
        }
        DynamicImage::ImageLumaA8(_) | DynamicImage::ImageLumaA16(_) => {
            let la = image.to_luma_alpha8();
            let gray = GrayImage::from_fn(la.width(), la.height(), |x, y| {
                let [l, a] = la.get_pixel(x, y).0;
                image::Luma([over_white(l, a)])
            });
            DynamicImage::ImageLuma8(gray)
        }
        _ => {
            let rgba = image.to_rgba8();
            let rgb = RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
                let [r, g, b, a] = rgba.get_pixel(x, y).0;
                image::Rgb([over_white(r, a), over_white(g, a), over_white(b, a)])
            });
            DynamicImage::ImageRgb8(rgb)
        }
    }
}

pub(crate) fn over_white(value: u8, alpha: u8) -> u8 {
    let v = u32::from(value) * u32::from(alpha) + 255 * (255 - u32::from(alpha));
    ((v + 127) / 255) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_budget_to_run_out_is_remembered_and_named() {
        let limits = Limits {
            max_total_pixels: 100,
            max_decoded_bytes: 1_000,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        budget.admit_page(1, 8, 8).expect("64 pixels fit");
        budget.charge(Resource::DecodedBytes, 600).expect("fits");
        let e = budget.admit_page(2, 8, 8).expect_err("128 pixels do not");
        assert_eq!(
            e.to_string(),
            "page 2: the submission needs more than 100 pixels across its pages, its budget \
             ([limits] max_total_pixels, or DOCSEAL_MAX_TOTAL_PIXELS)"
        );
        // Every later charge fails with the same cause, whatever it charges.
        let later = budget.charge(Resource::DecodedBytes, 1).expect_err("spent");
        assert_eq!(later.resource, Resource::Pixels);
        assert!(matches!(budget.check(), Err(DecodeError::OverBudget(_))));
        // A page over the per-page limit is refused as such, before the total.
        let fresh = Budget::new(&Limits::default());
        assert!(matches!(
            fresh.admit_page(3, 10_000, 10_000),
            Err(DecodeError::TooManyPixels { page: 3, .. })
        ));
        assert!(fresh.check().is_ok());
    }

    #[test]
    fn time_runs_out_at_the_deadline() {
        let limits = Limits {
            max_seconds: 1,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        assert!(budget.check_time().is_ok());
        std::thread::sleep(std::time::Duration::from_millis(1_050));
        let e = budget.check_time().expect_err("the deadline passed");
        assert_eq!(e.resource, Resource::Time);
        assert!(e.to_string().contains("took longer than 1 s"), "{e}");
        // Charging anything now fails too.
        assert!(budget.charge(Resource::Operations, 1).is_err());
    }

    #[test]
    fn reference_depth_is_a_limit_not_a_sum() {
        let budget = Budget::new(&Limits::default());
        budget
            .charge(Resource::ReferenceDepth, 32)
            .expect("at the limit");
        budget
            .charge(Resource::ReferenceDepth, 32)
            .expect("not summed");
        let e = budget
            .charge(Resource::ReferenceDepth, 20_000)
            .expect_err("too deep");
        assert!(e.to_string().contains("max_reference_depth"), "{e}");
    }
}
