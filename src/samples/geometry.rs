//! The generator's own page geometry: a small rotation about the centre
//! (bilinear, in floating point) and quarter turns.
//!
//! The pipeline undoes skew and turns with its own code in `prepare`; the
//! generator does not use that code, so that the ground truth it writes is
//! not tied to the transform under test (a mistake there would otherwise be
//! made twice and cancel out).

use image::{ImageBuffer, Pixel};

/// A page buffer of 8-bit channels.
type Buffer<P> = ImageBuffer<P, Vec<u8>>;

/// `src` rotated by `degrees` about its centre (positive: clockwise on
/// screen), same size, each pixel sampled bilinearly at its centre; pixels
/// that fall outside the page take `fill` (one value per channel).
pub(crate) fn rotate<P: Pixel<Subpixel = u8>>(
    src: &Buffer<P>,
    degrees: f32,
    fill: &[u8],
) -> Buffer<P> {
    let ch = usize::from(P::CHANNEL_COUNT);
    let (w, h) = src.dimensions();
    if w == 0 || h == 0 || fill.len() < ch {
        return src.clone();
    }
    let (wf, hf) = (w as f32, h as f32);
    let (cx, cy) = (wf / 2.0, hf / 2.0);
    let (sin, cos) = degrees.to_radians().sin_cos();
    let data = src.as_raw();
    let stride = w as usize * ch;
    let at = |x: usize, y: usize, k: usize| f32::from(data[y * stride + x * ch + k]);
    let mut out = vec![0u8; data.len()];
    for (y, row) in out.chunks_exact_mut(stride).enumerate() {
        let dy = y as f32 + 0.5 - cy;
        for (x, px) in row.chunks_exact_mut(ch).enumerate() {
            let dx = x as f32 + 0.5 - cx;
            // The point of the source that lands here: turned back by the angle.
            let sx = cos * dx + sin * dy + cx;
            let sy = -sin * dx + cos * dy + cy;
            if !(0.0..=wf).contains(&sx) || !(0.0..=hf).contains(&sy) {
                px.copy_from_slice(&fill[..ch]);
                continue;
            }
            // Pixel centres sit at +0.5; within half a pixel of an edge the
            // edge pixel is repeated.
            let fx = (sx - 0.5).clamp(0.0, wf - 1.0);
            let fy = (sy - 0.5).clamp(0.0, hf - 1.0);
            let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
            let (x1, y1) = ((x0 + 1).min(w as usize - 1), (y0 + 1).min(h as usize - 1));
            let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
            for (k, v) in px.iter_mut().enumerate() {
                let top = at(x0, y0, k) * (1.0 - ax) + at(x1, y0, k) * ax;
                let bottom = at(x0, y1, k) * (1.0 - ax) + at(x1, y1, k) * ax;
                *v = (top * (1.0 - ay) + bottom * ay).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    ImageBuffer::from_raw(w, h, out).unwrap_or_else(|| src.clone())
}

/// `src` turned clockwise by `quarters` quarter turns.
pub(crate) fn turn<P: Pixel<Subpixel = u8>>(src: &Buffer<P>, quarters: u8) -> Buffer<P> {
    let (w, h) = src.dimensions();
    let quarters = quarters % 4;
    if quarters == 0 {
        return src.clone();
    }
    let (ow, oh) = if quarters == 2 { (w, h) } else { (h, w) };
    let mut out = ImageBuffer::new(ow, oh);
    for (x, y, p) in src.enumerate_pixels() {
        let (ox, oy) = match quarters {
            1 => (h - 1 - y, x),
            2 => (w - 1 - x, h - 1 - y),
            _ => (y, w - 1 - x),
        };
        out.put_pixel(ox, oy, *p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Luma, Rgb, RgbImage};

    #[test]
    fn quarter_turns_put_each_pixel_where_a_turned_page_has_it() {
        let g = GrayImage::from_fn(5, 3, |x, y| Luma([(10 * y + x) as u8]));
        assert_eq!(turn(&g, 1), image::imageops::rotate90(&g));
        assert_eq!(turn(&g, 2), image::imageops::rotate180(&g));
        assert_eq!(turn(&g, 3), image::imageops::rotate270(&g));
        assert_eq!(turn(&g, 4), g);
        let c = RgbImage::from_fn(2, 3, |x, y| Rgb([x as u8, y as u8, 7]));
        assert_eq!(turn(&c, 1), image::imageops::rotate90(&c));
    }

    #[test]
    fn a_half_turn_by_rotation_matches_the_exact_turn() {
        let g = GrayImage::from_fn(6, 4, |x, y| Luma([(40 * y + 9 * x) as u8]));
        let r = rotate(&g, 180.0, &[255]);
        let t = turn(&g, 2);
        for (a, b) in r.pixels().zip(t.pixels()) {
            assert!(a.0[0].abs_diff(b.0[0]) <= 1, "{a:?} {b:?}");
        }
    }

    #[test]
    fn corners_outside_the_page_take_the_fill() {
        let c = RgbImage::from_pixel(100, 100, Rgb([0, 0, 0]));
        let r = rotate(&c, 10.0, &[255, 250, 240]);
        assert_eq!(r.get_pixel(0, 0).0, [255, 250, 240]);
        assert_eq!(r.get_pixel(50, 50).0, [0, 0, 0]);
    }
}
