//! Pixel operations more than one module needs: quarter turns of an image
//! and Otsu's global threshold. Plain functions on images, no I/O.

use image::{DynamicImage, GrayImage};

/// An image turned clockwise by `quarters` quarter turns.
pub fn turn_image(image: DynamicImage, quarters: u8) -> DynamicImage {
    match quarters % 4 {
        1 => image.rotate90(),
        2 => image.rotate180(),
        3 => image.rotate270(),
        _ => image,
    }
}

/// The gray level that best splits the image into dark and light (Otsu).
pub fn otsu_threshold(img: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    for p in img.pixels() {
        hist[usize::from(p.0[0])] += 1;
    }
    let total: u64 = hist.iter().sum();
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &n)| i as f64 * n as f64)
        .sum();
    let (mut best, mut best_var) = (127u8, -1.0f64);
    let (mut weight_dark, mut sum_dark) = (0u64, 0f64);
    for (t, &n) in hist.iter().enumerate() {
        weight_dark += n;
        sum_dark += t as f64 * n as f64;
        let weight_light = total - weight_dark;
        if weight_dark == 0 || weight_light == 0 {
            continue;
        }
        let mean_dark = sum_dark / weight_dark as f64;
        let mean_light = (sum_all - sum_dark) / weight_light as f64;
        let var = weight_dark as f64 * weight_light as f64 * (mean_dark - mean_light).powi(2);
        if var > best_var {
            best_var = var;
            best = t as u8;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otsu_splits_two_levels_between_them_and_turns_compose() {
        let img = GrayImage::from_fn(10, 4, |x, _| image::Luma([if x < 3 { 30 } else { 220 }]));
        let t = otsu_threshold(&img);
        assert!((30..220).contains(&t), "{t}");
        let d = DynamicImage::ImageLuma8(img.clone());
        assert_eq!(turn_image(d.clone(), 1).width(), 4);
        assert_eq!(turn_image(turn_image(d.clone(), 3), 1).to_luma8(), img);
        assert_eq!(turn_image(d, 4).to_luma8(), img);
    }
}
