//! `glimpse_media::decode` on arbitrary bytes, then a 64-px thumbnail and its JPEG: the
//! path every file found in a watched folder takes. Must never panic (beyond the decoder
//! panics `decode` catches by design), hang or allocate wildly.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    glimpse_fuzz::init();
    let Ok(decoded) = glimpse_media::decode(Path::new("fuzz"), data) else {
        return;
    };
    assert_eq!(
        (decoded.width, decoded.height),
        (decoded.image.width(), decoded.image.height()),
        "Decoded's size disagrees with its pixels"
    );
    assert!(
        decoded.width > 0 && decoded.height > 0,
        "decode returned an empty image"
    );
    let thumb = glimpse_media::thumbnail(&decoded.image, 64);
    assert!(
        thumb.width() <= 64 && thumb.height() <= 64 && thumb.width() > 0 && thumb.height() > 0,
        "thumbnail of {}x{} is {}x{}",
        decoded.width,
        decoded.height,
        thumb.width(),
        thumb.height()
    );
    glimpse_media::encode_thumbnail_jpeg(&thumb, glimpse_media::THUMBNAIL_JPEG_QUALITY)
        .expect("a thumbnail always encodes");
});
