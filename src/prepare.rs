//! Page clean-up before OCR. Each step is cheap and skipped when not needed.

use image::imageops::FilterType;
use image::GrayImage;

use crate::decode::Page;

/// Resolution assumed when a scan does not state one.
pub const DEFAULT_DPI: u32 = 300;
/// Pages scanned below this are upscaled before OCR.
pub const MIN_OCR_DPI: u32 = 220;
/// The resolution low-resolution pages are brought to.
pub const TARGET_DPI: u32 = 300;

/// A page ready for OCR: gray pixels and their resolution.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Gray pixels.
    pub gray: GrayImage,
    /// Resolution of `gray`.
    pub dpi: u32,
    /// Factor from `gray` pixels back to the decoded page's pixels.
    pub scale_back: f32,
}

/// Prepares one page: grayscale, and upscaling of low-resolution scans.
pub fn prepare(page: &Page) -> Prepared {
    let dpi = page
        .dpi
        .filter(|d| (50..=2400).contains(d))
        .unwrap_or(DEFAULT_DPI);
    let gray = page.image.to_luma8();
    if dpi < MIN_OCR_DPI {
        let f = TARGET_DPI as f32 / dpi as f32;
        let (w, h) = gray.dimensions();
        let (nw, nh) = ((w as f32 * f).round() as u32, (h as f32 * f).round() as u32);
        let up = image::imageops::resize(&gray, nw.max(1), nh.max(1), FilterType::Triangle);
        return Prepared {
            gray: up,
            dpi: TARGET_DPI,
            scale_back: 1.0 / f,
        };
    }
    Prepared {
        gray,
        dpi,
        scale_back: 1.0,
    }
}
