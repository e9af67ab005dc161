//! What scanning does to paper: skew, quarter turns, blur, speckles, yellowed
//! paper and a red seal stamped over the text.

use image::{GrayImage, ImageBuffer, Luma, Pixel, Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::Rng;

use super::draw::{Face, Fonts, Rect};
use super::geometry;

/// A page image in gray or colour.
#[derive(Debug, Clone)]
pub(crate) enum Raster {
    /// 8-bit gray.
    Gray(GrayImage),
    /// 8-bit RGB.
    Rgb(RgbImage),
}

impl Raster {
    pub(crate) fn width(&self) -> u32 {
        match self {
            Raster::Gray(i) => i.width(),
            Raster::Rgb(i) => i.width(),
        }
    }

    pub(crate) fn height(&self) -> u32 {
        match self {
            Raster::Gray(i) => i.height(),
            Raster::Rgb(i) => i.height(),
        }
    }

    /// The page in colour (a gray page is expanded).
    pub(crate) fn into_rgb(self) -> RgbImage {
        match self {
            Raster::Rgb(i) => i,
            Raster::Gray(g) => {
                let (w, h) = g.dimensions();
                let mut data = vec![0u8; g.as_raw().len() * 3];
                for (px, &v) in data.chunks_exact_mut(3).zip(g.as_raw()) {
                    px.fill(v);
                }
                RgbImage::from_raw(w, h, data).unwrap_or_else(|| RgbImage::new(w, h))
            }
        }
    }

    /// The page in gray (Rec. 601 luma of a colour page).
    pub(crate) fn into_gray(self) -> GrayImage {
        match self {
            Raster::Gray(g) => g,
            Raster::Rgb(c) => {
                let (w, h) = c.dimensions();
                let data = c
                    .as_raw()
                    .chunks_exact(3)
                    .map(|p| {
                        let y =
                            299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2]);
                        ((y + 500) / 1000) as u8
                    })
                    .collect();
                GrayImage::from_raw(w, h, data).unwrap_or_else(|| GrayImage::new(w, h))
            }
        }
    }

    /// Turns the page by `quarters` × 90° clockwise.
    pub(crate) fn rotate_quarters(self, quarters: u8) -> Raster {
        match self {
            Raster::Gray(g) => Raster::Gray(geometry::turn(&g, quarters)),
            Raster::Rgb(c) => Raster::Rgb(geometry::turn(&c, quarters)),
        }
    }

    /// Rotates by a small angle about the centre (bilinear), filling uncovered
    /// corners with `fill`.
    pub(crate) fn skew(self, degrees: f32, fill: [u8; 3]) -> Raster {
        match self {
            Raster::Gray(g) => Raster::Gray(geometry::rotate(&g, degrees, &fill[..1])),
            Raster::Rgb(c) => Raster::Rgb(geometry::rotate(&c, degrees, &fill)),
        }
    }

    /// A slight blur: `passes` rounds of the [1 2 1] kernel across and down
    /// (σ ≈ 0.7 px for one pass, 1 px for two).
    pub(crate) fn blur(mut self, passes: u8) -> Raster {
        for _ in 0..passes {
            match &mut self {
                Raster::Gray(g) => blur121(g),
                Raster::Rgb(c) => blur121(c),
            }
        }
        self
    }

    /// Scatters dark and light specks over the page.
    pub(crate) fn speckle(&mut self, rng: &mut StdRng, dpi: u32) {
        let (w, h) = (self.width(), self.height());
        let per_million = rng.gen_range(150..900);
        let count = (u64::from(w) * u64::from(h) * per_million / 1_000_000) as usize;
        let k = dpi as f32 / 300.0;
        for _ in 0..count {
            let x = rng.gen_range(0..w) as f32;
            let y = rng.gen_range(0..h) as f32;
            let r = rng.gen_range(0.4..2.2) * k;
            let level = if rng.gen_bool(0.8) {
                rng.gen_range(0..110)
            } else {
                255
            };
            match self {
                Raster::Gray(g) => spot(g, x, y, r, Luma([level])),
                Raster::Rgb(c) => spot(c, x, y, r, Rgb([level, level, level])),
            }
        }
    }
}

/// Where a point of a `w`×`h` page lands after [`Raster::skew`] by `degrees`.
pub(crate) fn skew_point(x: f32, y: f32, w: u32, h: u32, degrees: f32) -> (f32, f32) {
    let (s, c) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (dx, dy) = (x - cx, y - cy);
    (c * dx - s * dy + cx, s * dx + c * dy + cy)
}

/// One pass of the separable [1 2 1] / 4 kernel; edge pixels are kept.
fn blur121<P: Pixel<Subpixel = u8>>(img: &mut ImageBuffer<P, Vec<u8>>) {
    let ch = usize::from(P::CHANNEL_COUNT);
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 3 || h < 3 {
        return;
    }
    let stride = w * ch;
    let data: &mut [u8] = img;
    // Across, each row through a copy of itself.
    let mut row = vec![0u8; stride];
    for line in data.chunks_exact_mut(stride) {
        row.copy_from_slice(line);
        for i in ch..stride - ch {
            let v = u16::from(row[i - ch]) + 2 * u16::from(row[i]) + u16::from(row[i + ch]);
            line[i] = ((v + 2) >> 2) as u8;
        }
    }
    // Down, keeping the previous row as it was before this pass.
    let mut prev = data[..stride].to_vec();
    let mut cur = vec![0u8; stride];
    for y in 1..h - 1 {
        cur.copy_from_slice(&data[y * stride..(y + 1) * stride]);
        let (head, tail) = data.split_at_mut((y + 1) * stride);
        let next = &tail[..stride];
        let line = &mut head[y * stride..];
        for i in 0..stride {
            let v = u16::from(prev[i]) + 2 * u16::from(cur[i]) + u16::from(next[i]);
            line[i] = ((v + 2) >> 2) as u8;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
}

fn spot<P: Pixel<Subpixel = u8>>(img: &mut ImageBuffer<P, Vec<u8>>, x: f32, y: f32, r: f32, p: P) {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let (x0, x1) = ((x - r) as i64, (x + r) as i64);
    let (y0, y1) = ((y - r) as i64, (y + r) as i64);
    for py in y0.max(0)..=y1.min(h - 1) {
        for px in x0.max(0)..=x1.min(w - 1) {
            if (px as f32 - x).powi(2) + (py as f32 - y).powi(2) <= r * r + 0.25 {
                img.put_pixel(px as u32, py as u32, p);
            }
        }
    }
}

/// Tints the page like aged paper: a warm colour, a little darker towards one edge.
pub(crate) fn yellow(img: &mut RgbImage, rng: &mut StdRng) {
    let tint = [
        rng.gen_range(240..=252u32),
        rng.gen_range(228..=242u32),
        rng.gen_range(190..=215u32),
    ];
    let h = img.height().max(1);
    let fade = rng.gen_range(0..14u32);
    let w = img.width() as usize * 3;
    for (y, row) in img.chunks_exact_mut(w).enumerate() {
        let shade = 255 - fade * y as u32 / h;
        let t = [
            tint[0] * shade / 255,
            tint[1] * shade / 255,
            tint[2] * shade / 255,
        ];
        for px in row.chunks_exact_mut(3) {
            for k in 0..3 {
                px[k] = (u32::from(px[k]) * t[k] / 255) as u8;
            }
        }
    }
}

/// Stamps a round red seal centred on (`cx`, `cy`): two rings, the issuer's
/// name around the rim and a star in the middle, in semi-transparent ink that
/// multiplies with what is under it.
pub(crate) fn seal(
    img: &mut RgbImage,
    fonts: &Fonts,
    text: &str,
    cx: f32,
    cy: f32,
    dpi: u32,
    rng: &mut StdRng,
) {
    let k = dpi as f32 / 300.0;
    let r = rng.gen_range(190.0..235.0) * k;
    let size = (2.0 * r + 8.0).ceil() as usize;
    let half = size as f32 / 2.0;
    let mut cov = vec![0f32; size * size];
    let ring = |cov: &mut Vec<f32>, radius: f32, thick: f32| {
        for y in 0..size {
            for x in 0..size {
                let d = ((x as f32 + 0.5 - half).powi(2) + (y as f32 + 0.5 - half).powi(2)).sqrt();
                let c = (thick / 2.0 + 0.5 - (d - radius).abs()).clamp(0.0, 1.0);
                let v = &mut cov[y * size + x];
                *v = v.max(c);
            }
        }
    };
    ring(&mut cov, r - 5.0 * k, 9.0 * k);
    let inner = r * 0.66;
    ring(&mut cov, inner, 3.5 * k);

    // Text around the rim, glyph by glyph, each turned to face outwards.
    let font = fonts.font(0, true);
    let band = r - 10.0 * k - inner;
    let em = band * 0.62;
    let face = Face::new(font, em);
    let rim_text = format!("{text} ★");
    let mid = inner + band / 2.0;
    let total = face.width(&rim_text);
    let circumference = std::f32::consts::TAU * mid;
    let spread = (circumference * 0.92 / total.max(1.0)).min(1.6);
    let spin = rng.gen_range(-0.6..0.6f32) * mid;
    let mut s = -total * spread / 2.0 + spin;
    for ch in rim_text.chars() {
        let glyph = ch.to_string();
        let adv = face.width(&glyph) * spread;
        let angle = (s + adv / 2.0) / mid;
        s += adv;
        let gw = face.width(&glyph).ceil() as usize + 2;
        let gh = (em * 1.3).ceil() as usize + 2;
        let mut bmp = vec![0f32; gw * gh];
        face.raster(&glyph, 1.0, em * 0.95, |x, y, c| {
            if x >= 0 && y >= 0 && (x as usize) < gw && (y as usize) < gh {
                let v = &mut bmp[y as usize * gw + x as usize];
                *v = v.max(c.clamp(0.0, 1.0));
            }
        });
        // Glyph box centre sits on the mid circle, rotated by `angle` clockwise from the top.
        let (sa, ca) = angle.sin_cos();
        let (gx, gy) = (half + mid * sa, half - mid * ca);
        let reach = ((gw * gw + gh * gh) as f32).sqrt() / 2.0 + 1.0;
        let (bx, by) = (gw as f32 / 2.0, em * 0.62);
        for y in (gy - reach).max(0.0) as usize..((gy + reach) as usize).min(size) {
            for x in (gx - reach).max(0.0) as usize..((gx + reach) as usize).min(size) {
                let (dx, dy) = (x as f32 + 0.5 - gx, y as f32 + 0.5 - gy);
                let lx = dx * ca + dy * sa + bx;
                let ly = -dx * sa + dy * ca + by;
                if lx < 0.0 || ly < 0.0 {
                    continue;
                }
                let (ix, iy) = (lx as usize, ly as usize);
                if ix < gw && iy < gh {
                    let v = &mut cov[y * size + x];
                    *v = v.max(bmp[iy * gw + ix]);
                }
            }
        }
    }
    // The star in the middle.
    let star_face = Face::new(fonts.font(0, false), inner * 1.1);
    let sw = star_face.width("★");
    star_face.raster("★", half - sw / 2.0, half + inner * 0.38, |x, y, c| {
        if x >= 0 && y >= 0 && (x as usize) < size && (y as usize) < size {
            let v = &mut cov[y as usize * size + x as usize];
            *v = v.max(c.clamp(0.0, 1.0));
        }
    });

    // Ink: red, uneven, multiplied onto the page.
    let red = [
        rng.gen_range(190..=225) as f32 / 255.0,
        rng.gen_range(20..=60) as f32 / 255.0,
        rng.gen_range(30..=70) as f32 / 255.0,
    ];
    let strength = rng.gen_range(0.7..0.95f32);
    let (w, h) = (img.width() as i64, img.height() as i64);
    let ox = (cx - half) as i64;
    let oy = (cy - half) as i64;
    for y in 0..size {
        let py = oy + y as i64;
        if py < 0 || py >= h {
            continue;
        }
        for x in 0..size {
            let px = ox + x as i64;
            let c = cov[y * size + x];
            if px < 0 || px >= w || c <= 0.0 {
                continue;
            }
            let a = c * strength * rng.gen_range(0.7..1.0f32);
            let p = img.get_pixel_mut(px as u32, py as u32);
            for (v, r) in p.0.iter_mut().zip(red) {
                *v = (f32::from(*v) * (1.0 - a * (1.0 - r))) as u8;
            }
        }
    }
}

/// Where to put the seal: over the signature, reaching into the text above, or
/// over an entry line.
pub(crate) fn seal_centre(sig: Rect, entries: &[Rect], rng: &mut StdRng) -> (f32, f32) {
    if !entries.is_empty() && rng.gen_bool(0.3) {
        let e = entries[rng.gen_range(0..entries.len())];
        (
            e.x + e.w * rng.gen_range(0.2..0.8),
            e.y + e.h * rng.gen_range(0.0..1.0),
        )
    } else {
        (
            sig.x + sig.w * rng.gen_range(0.0..0.4),
            sig.y + sig.h * rng.gen_range(0.1..0.6),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_by_zero_keeps_the_page() {
        let mut g = GrayImage::from_pixel(40, 30, Luma([255]));
        g.put_pixel(10, 12, Luma([0]));
        let out = Raster::Gray(g.clone()).skew(0.0, [255; 3]).into_gray();
        assert_eq!(out, g);
    }

    #[test]
    fn skew_moves_ink_the_right_way() {
        // A horizontal line right of centre moves down under a clockwise turn.
        let mut g = GrayImage::from_pixel(200, 200, Luma([255]));
        for x in 150..190 {
            g.put_pixel(x, 100, Luma([0]));
        }
        let out = Raster::Gray(g).skew(5.0, [255; 3]).into_gray();
        let darkest_row = (0..200)
            .min_by_key(|&y| out.get_pixel(180, y).0[0])
            .unwrap();
        assert!(darkest_row > 100, "row {darkest_row}");
    }

    #[test]
    fn blur_spreads_a_dot_and_keeps_flat_areas() {
        let mut g = GrayImage::from_pixel(9, 9, Luma([200]));
        g.put_pixel(4, 4, Luma([0]));
        let out = Raster::Gray(g).blur(1).into_gray();
        assert_eq!(out.get_pixel(0, 0).0[0], 200);
        assert_eq!(out.get_pixel(4, 4).0[0], 150);
        assert_eq!(out.get_pixel(5, 4).0[0], 175);
        assert_eq!(out.get_pixel(5, 5).0[0], 188);
    }

    #[test]
    fn skew_point_follows_the_ink() {
        let mut g = GrayImage::from_pixel(200, 100, Luma([255]));
        g.put_pixel(170, 20, Luma([0]));
        let out = Raster::Gray(g).skew(3.0, [255; 3]).into_gray();
        let (x, y) = skew_point(170.5, 20.5, 200, 100, 3.0);
        assert!(out.get_pixel(x as u32, y as u32).0[0] < 200);
    }

    #[test]
    fn quarter_turns_swap_the_sides() {
        let g = GrayImage::from_pixel(40, 30, Luma([255]));
        let r = Raster::Gray(g).rotate_quarters(1);
        assert_eq!((r.width(), r.height()), (30, 40));
    }
}
