//! The catalogue: models offered by name, with the facts a user chooses by.
//!
//! Sizes, revisions and figures were checked on 2026-12-06 (docs/MODELS.md gives the
//! evidence for each): the hub's published file sizes where they could be found, otherwise
//! the size the model's tensors add up to (that computation reproduces every published size
//! it could be checked against); retrieval figures are zero-shot COCO 5k Recall@1 from
//! open_clip's `docs/openclip_retrieval_results.csv` (CLIP) and Table 1 of the SigLIP 2
//! paper (arXiv 2502.14786).

use serde::Serialize;

/// The network family, which decides how the model is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Architecture {
    /// OpenAI-style CLIP (`CLIPModel`): contrastive, cosine scores.
    Clip,
    /// SigLIP / SigLIP 2 at a fixed resolution (`SiglipModel`): each pair gets a probability.
    Siglip,
}

/// A published zero-shot retrieval figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Retrieval {
    /// COCO 5k, text → image, Recall@1 (%).
    pub coco_text_to_image_r1: f32,
    /// COCO 5k, image → text, Recall@1 (%).
    pub coco_image_to_text_r1: f32,
    /// Where the figures are published.
    pub source: &'static str,
}

/// Where a CLIP model's good matches begin (SigLIP's text line is its own probability).
/// The sensitivity setting moves the line in the model's logit units (`exp(logit_scale)`
/// per unit of cosine). docs/GOOD-MATCHES.md has the evidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Calibration {
    /// A text query's good matches have at least this cosine (CLIP; `None` for SigLIP,
    /// whose `logit_bias` places the line).
    pub text_cosine: Option<f32>,
    /// A photo's good "similar" matches have at least this cosine.
    pub image_cosine: f32,
    /// A photo matches an excluded term (`-word`) from this cosine on, which keeps it out of
    /// the good matches (`None`: the text line). Single words score lower than the
    /// descriptions the text line is calibrated on, so this line sits lower.
    #[serde(default)]
    pub exclude_cosine: Option<f32>,
}

/// One model of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Entry {
    /// The short name users type (`--model clip-b32`).
    pub name: &'static str,
    /// What it is, in words.
    pub title: &'static str,
    /// The Hugging Face repo.
    pub repo: &'static str,
    /// The revision holding `model.safetensors` when `main` has only a pickle (the hub's
    /// safetensors conversion); `None`: `main`.
    pub revision: Option<&'static str>,
    /// How it runs.
    pub architecture: Architecture,
    /// Bytes downloaded (weights, tokenizer and configs).
    pub download_bytes: u64,
    /// Length of its vectors.
    pub dim: u32,
    /// Side of the square image it sees, in pixels.
    pub image_size: u32,
    /// The languages queries can be written in.
    pub languages: &'static str,
    /// Queries in languages other than English work.
    pub multilingual: bool,
    /// Its published retrieval quality.
    pub retrieval: Retrieval,
    /// One sentence on when to choose it.
    pub summary: &'static str,
    /// Its good-match line.
    pub calibration: Calibration,
    /// Where the calibration comes from.
    pub calibration_source: &'static str,
}

const OPENCLIP_CSV: &str =
    "open_clip docs/openclip_retrieval_results.csv (github.com/mlfoundations/open_clip)";
const CLIP_PRACTICE: &str = "not measured here (real weights cannot be downloaded in the \
     workshop): the cosine other apps cut at for CLIP B/32 (Lap: 0.25), and LAION models' \
     higher text-image cosines; the sensitivity setting moves it";
const SIGLIP_OWN: &str = "text: the model's own probability (sigmoid(exp(logit_scale)·cos + \
     logit_bias) ≥ 0.5); similar: not measured here, the shapes SigLIP's 0.88 rounded down";
const SIGLIP2_PAPER: &str = "SigLIP 2 paper, Table 1 (Tschannen et al. 2025, arXiv 2502.14786)";

/// The catalogue name of the model used when the user chooses none. Chosen from measured
/// quality against indexing time (README, "Which model"; docs/BENCHMARKS.md).
pub const DEFAULT_MODEL: &str = "siglip2-b16-224";

/// The models Glimpse offers by name, smallest first within each family.
pub const CATALOGUE: &[Entry] = &[
    Entry {
        name: "clip-b32",
        title: "OpenAI CLIP ViT-B/32",
        repo: "openai/clip-vit-base-patch32",
        // `main` has only pytorch_model.bin; the bot's conversion of it (sha256 99d28a65…).
        revision: Some("refs/pr/15"),
        architecture: Architecture::Clip,
        download_bytes: 605_157_884 + 2_224_041 + 4_186 + 316,
        dim: 512,
        image_size: 224,
        languages: "English",
        multilingual: false,
        retrieval: Retrieval {
            coco_text_to_image_r1: 30.44,
            coco_image_to_text_r1: 50.12,
            source: OPENCLIP_CSV,
        },
        summary: "The 2021 classic: small and the fastest to index; finds the obvious.",
        calibration: Calibration {
            text_cosine: Some(0.25),
            image_cosine: 0.85,
            exclude_cosine: None,
        },
        calibration_source: CLIP_PRACTICE,
    },
    Entry {
        name: "clip-b16",
        title: "OpenAI CLIP ViT-B/16",
        repo: "openai/clip-vit-base-patch16",
        revision: Some("refs/pr/10"),
        architecture: Architecture::Clip,
        download_bytes: 598_532_764 + 2_224_041 + 4_186 + 316,
        dim: 512,
        image_size: 224,
        languages: "English",
        multilingual: false,
        retrieval: Retrieval {
            coco_text_to_image_r1: 33.09,
            coco_image_to_text_r1: 52.42,
            source: OPENCLIP_CSV,
        },
        summary: "Finer detail than B/32 at about four times the indexing time.",
        calibration: Calibration {
            text_cosine: Some(0.25),
            image_cosine: 0.85,
            exclude_cosine: None,
        },
        calibration_source: CLIP_PRACTICE,
    },
    Entry {
        name: "laion-b32",
        title: "LAION-2B CLIP ViT-B/32",
        repo: "laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
        revision: Some("refs/pr/4"),
        architecture: Architecture::Clip,
        download_bytes: 605_157_884 + 2_224_041 + 4_186 + 316,
        dim: 512,
        image_size: 224,
        languages: "English",
        multilingual: false,
        retrieval: Retrieval {
            coco_text_to_image_r1: 39.34,
            coco_image_to_text_r1: 56.32,
            source: OPENCLIP_CSV,
        },
        summary: "B/32's speed, trained on 2 billion pictures: clearly better than OpenAI's.",
        calibration: Calibration {
            text_cosine: Some(0.28),
            image_cosine: 0.85,
            exclude_cosine: None,
        },
        calibration_source: CLIP_PRACTICE,
    },
    Entry {
        name: "siglip2-b16-224",
        title: "Google SigLIP 2 B/16, 224 px",
        repo: "google/siglip2-base-patch16-224",
        revision: None,
        architecture: Architecture::Siglip,
        download_bytes: 1_500_800_904 + 34_363_039 + 4_000,
        dim: 768,
        image_size: 224,
        languages: "Multilingual (trained on 109 languages)",
        multilingual: true,
        retrieval: Retrieval {
            coco_text_to_image_r1: 52.1,
            coco_image_to_text_r1: 68.9,
            source: SIGLIP2_PAPER,
        },
        summary: "The best finder per second of indexing; understands many languages.",
        calibration: Calibration {
            text_cosine: None,
            image_cosine: 0.85,
            exclude_cosine: None,
        },
        calibration_source: SIGLIP_OWN,
    },
    Entry {
        name: "siglip2-b16-256",
        title: "Google SigLIP 2 B/16, 256 px",
        repo: "google/siglip2-base-patch16-256",
        revision: None,
        architecture: Architecture::Siglip,
        download_bytes: 1_500_985_224 + 34_363_039 + 4_000,
        dim: 768,
        image_size: 256,
        languages: "Multilingual (trained on 109 languages)",
        multilingual: true,
        retrieval: Retrieval {
            coco_text_to_image_r1: 53.2,
            coco_image_to_text_r1: 69.7,
            source: SIGLIP2_PAPER,
        },
        summary: "A little sharper than 224 px, about a third slower to index.",
        calibration: Calibration {
            text_cosine: None,
            image_cosine: 0.85,
            exclude_cosine: None,
        },
        calibration_source: SIGLIP_OWN,
    },
    Entry {
        name: "siglip2-so400m-384",
        title: "Google SigLIP 2 So400m/14, 384 px",
        repo: "google/siglip2-so400m-patch14-384",
        revision: None,
        architecture: Architecture::Siglip,
        download_bytes: 4_544_143_072 + 34_363_039 + 4_000,
        dim: 1152,
        image_size: 384,
        languages: "Multilingual (trained on 109 languages)",
        multilingual: true,
        retrieval: Retrieval {
            coco_text_to_image_r1: 55.8,
            coco_image_to_text_r1: 71.7,
            source: SIGLIP2_PAPER,
        },
        summary: "The most accurate; over ten times slower than B/16: for a GPU.",
        calibration: Calibration {
            text_cosine: None,
            image_cosine: 0.85,
            exclude_cosine: None,
        },
        calibration_source: SIGLIP_OWN,
    },
];

/// The catalogue entry called `name`.
pub fn find(name: &str) -> Option<&'static Entry> {
    CATALOGUE.iter().find(|e| e.name.eq_ignore_ascii_case(name))
}

/// The catalogue entry for hub repo `repo` (any revision).
pub fn find_repo(repo: &str) -> Option<&'static Entry> {
    CATALOGUE.iter().find(|e| e.repo.eq_ignore_ascii_case(repo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_repos_are_unique_and_the_default_exists() {
        for (i, a) in CATALOGUE.iter().enumerate() {
            for b in &CATALOGUE[i + 1..] {
                assert_ne!(a.name, b.name);
                assert_ne!(a.repo, b.repo);
            }
            assert!(a.repo.split('/').count() == 2, "{}", a.repo);
        }
        assert!(find(DEFAULT_MODEL).is_some());
    }
}
