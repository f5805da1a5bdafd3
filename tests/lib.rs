//! Shared helpers for Glimpse's integration tests.

use std::path::{Path, PathBuf};

/// `tests/fixtures` of this repository (see `fixtures/PROVENANCE.md`).
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Decodes an image file (first frame) and applies its EXIF orientation, as the app's
/// media crate does before CLIP preprocessing. A test stand-in, kept independent of
/// `glimpse-media` so the CLIP parity tests isolate `glimpse-embed`.
pub fn open_oriented(path: &Path) -> anyhow::Result<image::DynamicImage> {
    use anyhow::Context as _;
    use image::ImageDecoder as _;
    let mut decoder = image::ImageReader::open(path)
        .with_context(|| format!("{}: cannot open", path.display()))?
        .with_guessed_format()
        .with_context(|| format!("{}: cannot read", path.display()))?
        .into_decoder()
        .with_context(|| format!("{}: unknown format", path.display()))?;
    let orientation = decoder
        .orientation()
        .with_context(|| format!("{}: bad orientation", path.display()))?;
    let mut img = image::DynamicImage::from_decoder(decoder)
        .with_context(|| format!("{}: cannot decode", path.display()))?;
    img.apply_orientation(orientation);
    Ok(img)
}
