//! Which weights files a model has: one `model.safetensors`, or the shards that
//! `model.safetensors.index.json` names (what `save_pretrained` writes for large models and
//! what many hub repos serve); and the repos that have only a PyTorch pickle, recognised
//! so that the user hears why the model cannot be used.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::cache::is_safe_component;
use super::{PICKLE_FILES, SourceError, WEIGHTS_FILE, WEIGHTS_INDEX_FILE};

/// The largest index accepted, in bytes (a 1,000-layer model's index is ~200 kB).
const MAX_INDEX_BYTES: u64 = 16 << 20;

/// What a model folder (or snapshot, or hub repo) offers as weights.
#[derive(Debug)]
pub(super) enum Found<T> {
    /// `model.safetensors`.
    Single(T),
    /// `model.safetensors.index.json`.
    Index(T),
    /// Only this pickle.
    PickleOnly(&'static str),
    /// Nothing usable or recognisable.
    Nothing,
}

/// Looks for the weights through `find` (which says whether a file exists, and where),
/// preferring one file over shards as transformers does.
pub(super) fn find<T, E>(
    mut find: impl FnMut(&str) -> Result<Option<T>, E>,
) -> Result<Found<T>, E> {
    if let Some(single) = find(WEIGHTS_FILE)? {
        return Ok(Found::Single(single));
    }
    if let Some(index) = find(WEIGHTS_INDEX_FILE)? {
        return Ok(Found::Index(index));
    }
    for pickle in PICKLE_FILES {
        if find(pickle)?.is_some() {
            return Ok(Found::PickleOnly(pickle));
        }
    }
    Ok(Found::Nothing)
}

#[derive(Deserialize)]
struct Index {
    weight_map: std::collections::HashMap<String, String>,
}

/// The shard file names an index names, sorted and without repeats.
///
/// Names come from a downloaded file and become paths: only plain file names ending in
/// `.safetensors` are accepted, never a path.
pub(super) fn shard_names(index: &Path) -> Result<Vec<String>, SourceError> {
    let invalid = |reason: String| SourceError::InvalidWeightsIndex {
        path: index.to_path_buf(),
        reason,
    };
    let io = |source| SourceError::Io {
        path: index.to_path_buf(),
        action: "read",
        source,
    };
    let len = std::fs::metadata(index).map_err(io)?.len();
    if len > MAX_INDEX_BYTES {
        return Err(invalid(format!(
            "it has {len} bytes, more than any real index ({MAX_INDEX_BYTES})"
        )));
    }
    let bytes = std::fs::read(index).map_err(io)?;
    parse_shard_names(&bytes).map_err(invalid)
}

fn parse_shard_names(bytes: &[u8]) -> Result<Vec<String>, String> {
    let parsed: Index = serde_json::from_slice(bytes)
        .map_err(|e| format!("it is not an index with a weight_map: {e}"))?;
    let names: BTreeSet<String> = parsed.weight_map.into_values().collect();
    if names.is_empty() {
        return Err("its weight_map names no files".to_owned());
    }
    if let Some(bad) = names
        .iter()
        .find(|n| !is_safe_component(n) || !n.ends_with(".safetensors"))
    {
        return Err(format!(
            "it names {bad:?}, which is not a .safetensors file beside it"
        ));
    }
    Ok(names.into_iter().collect())
}

/// The local paths of an index's shards in `dir`, each required to exist.
pub(super) fn local_shards(dir: &Path, index: &Path) -> Result<Vec<PathBuf>, SourceError> {
    shard_names(index)?
        .into_iter()
        .map(|name| {
            let path = dir.join(&name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(SourceError::MissingShard {
                    index: index.to_path_buf(),
                    file: name,
                })
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_names_its_shards_once_each_in_order() {
        let json = br#"{"metadata":{"total_size":123},"weight_map":{
            "b":"model-00002-of-00002.safetensors","a":"model-00001-of-00002.safetensors",
            "c":"model-00001-of-00002.safetensors"}}"#;
        assert_eq!(
            parse_shard_names(json).expect("valid"),
            [
                "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors"
            ]
        );
    }

    #[test]
    fn paths_pickles_empty_maps_and_garbage_are_refused() {
        for (json, what) in [
            (
                &br#"{"weight_map":{"a":"../x.safetensors"}}"#[..],
                "parent path",
            ),
            (br#"{"weight_map":{"a":"sub/x.safetensors"}}"#, "sub-folder"),
            (
                br#"{"weight_map":{"a":"pytorch_model-1.bin"}}"#,
                "pickle shard",
            ),
            (br#"{"weight_map":{}}"#, "empty"),
            (br#"{"metadata":{}}"#, "no weight_map"),
            (b"[1,2]", "not an object"),
        ] {
            assert!(parse_shard_names(json).is_err(), "{what} must be refused");
        }
    }
}
