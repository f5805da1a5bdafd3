//! `ClipConfig::from_slice` and `PreprocessConfig::from_slice` on arbitrary bytes, and
//! what the app does next with a config that parsed: the vision tower's patch count
//! (`model.rs` sizes the position embeddings with it) and one preprocessed image.
//!
//! The first input byte picks the parser: even → `config.json`, odd →
//! `preprocessor_config.json`.
#![no_main]

use std::path::Path;

use glimpse_embed::{ClipConfig, PreprocessConfig, Preprocessor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    glimpse_fuzz::init();
    let Some((&mode, json)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Ok(config) = ClipConfig::from_slice(Path::new("config.json"), json) {
            let _ = config.vision.num_patches();
        }
    } else if let Ok(config) =
        PreprocessConfig::from_slice(Path::new("preprocessor_config.json"), json)
    {
        let preprocessor = Preprocessor::new(config);
        let image = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(3, 2, |x, y| {
            image::Rgb([x as u8 * 80, y as u8 * 120, 200])
        }));
        if let Ok(pixels) = preprocessor.pixels(&image) {
            assert_eq!(
                pixels.as_slice().len(),
                3 * pixels.height() * pixels.width(),
                "CHW length"
            );
        }
    }
});
