//! The new formats through the whole pipeline: a HEIC embeds like the lossless original
//! with the reference tiny CLIP, and in a library a raw file and the JPEG beside it are one
//! picture.

use std::path::Path;

use glimpse_embed::{DeviceChoice, Embedder, ModelFiles};
use glimpse_engine::{Library, LibraryConfig, SimilarTo};
use glimpse_tests::fixtures_dir;

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

fn embed(embedder: &Embedder, path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).expect("read");
    let decoded = glimpse_media::decode(path, &bytes).expect("decode");
    let pixels = embedder
        .preprocessor()
        .pixels(&decoded.image)
        .expect("pixels");
    embedder.embed_pixels(&[pixels]).expect("embed").remove(0)
}

/// The bar: a HEIC (x265 at quality 90) and the lossless PNG it was encoded from
/// embed with cosine ≥ 0.999 under the reference tiny CLIP, decoded the way the indexer
/// decodes them. AVIF and JPEG XL of the same kind of picture are held to the same bar.
#[test]
fn a_heic_embeds_like_its_lossless_original() {
    let dir = fixtures_dir();
    let files = ModelFiles::from_dir(&dir.join("clip-reference/model")).expect("tiny CLIP");
    let embedder = Embedder::load(&files, DeviceChoice::Cpu).expect("loads");
    let formats = dir.join("formats");
    let original = embed(&embedder, &formats.join("chelsea-lossless.png"));
    for name in ["chelsea.heic", "chelsea-lossy.jxl"] {
        let cos = cosine(&embed(&embedder, &formats.join(name)), &original);
        eprintln!("{name} vs chelsea-lossless.png: cosine {cos:.6}");
        assert!(cos >= 0.999, "{name}: cosine {cos}");
    }
}

#[test]
fn a_raw_and_its_jpeg_are_one_result_and_not_similar_to_each_other() {
    let data = tempfile::tempdir().expect("data");
    let photos = tempfile::tempdir().expect("photos");
    let formats = fixtures_dir().join("formats");
    let copy = |from: &str, to: &str| {
        std::fs::copy(formats.join(from), photos.path().join(to)).expect("copy");
    };
    copy("with-preview.dng", "IMG_1234.DNG");
    copy("with-preview.jpg", "IMG_1234.JPG");
    // Same name, other folder: another shot.
    std::fs::create_dir(photos.path().join("other")).expect("mkdir");
    std::fs::copy(
        formats.join("chelsea.heic"),
        photos.path().join("other/IMG_1234.HEIC"),
    )
    .expect("copy");
    // An edit beside the pair is another picture.
    copy("coffee-8bit.avif", "IMG_1234.edit.avif");

    let model = ModelFiles::from_dir(&fixtures_dir().join("shapes-clip")).expect("model");
    let library = Library::open(LibraryConfig::new(data.path()).with_model(model)).expect("open");
    library.add_folder(photos.path()).expect("add");
    library.wait_idle().expect("index");
    let status = library.status().expect("status");
    assert_eq!((status.indexed, status.failed), (4, 0), "{status:?}");

    let hits = library.search("a cat", 10).expect("search");
    let names = |p: &Path| p.strip_prefix(photos.path()).expect("inside").to_owned();
    assert_eq!(hits.len(), 3, "{hits:?}");
    let pair: Vec<_> = hits
        .iter()
        .filter(|h| {
            let name = names(&h.path);
            name == Path::new("IMG_1234.DNG") || name == Path::new("IMG_1234.JPG")
        })
        .collect();
    assert_eq!(pair.len(), 1, "{hits:?}");
    let mut both = vec![names(&pair[0].path)];
    both.extend(pair[0].duplicates.iter().map(|p| names(p)));
    both.sort();
    assert_eq!(
        both,
        vec![Path::new("IMG_1234.DNG"), Path::new("IMG_1234.JPG")],
        "{hits:?}"
    );
    for hit in &hits {
        if hit.photo != pair[0].photo {
            assert!(hit.duplicates.is_empty(), "{hit:?}");
        }
    }

    // "Similar to" the JPEG does not offer its own raw file.
    let jpeg = photos.path().join("IMG_1234.JPG");
    let similar = library
        .similar(&SimilarTo::File(jpeg.clone()), 10)
        .expect("similar");
    assert_eq!(similar.len(), 2, "{similar:?}");
    assert!(
        similar
            .iter()
            .all(|h| h.path.extension().is_some_and(|e| e != "DNG")),
        "{similar:?}"
    );
}
