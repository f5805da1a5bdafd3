//! A structural check of USearch's serialised bytes, run before USearch parses them.
//!
//! Why: the footer checksum stops accidental damage, but USearch's loader trusts the graph
//! it reads. A file whose checksum was recomputed over changed bytes (forged, or written by
//! a buggy tool) crashed it: neighbour slots past the node count are followed as pointers
//! in `search`, a changed node level shifts every node after it, and the vector count in
//! the first four bytes is allocated before anything is checked (fuzz target
//! `vector_index_file`, docs/RELIABILITY.md, bug 3). This module walks the whole layout in
//! Rust and refuses anything USearch would read out of bounds, so that only a graph whose
//! every pointer stays inside it reaches native code.
//!
//! The layout (USearch 2.x, `index_dense_gt::save_to_stream` and `index_gt::save_to_stream`
//! with the default serialisation config, all little-endian):
//!
//! ```text
//! rows u32 | cols u32 | rows × cols vector bytes
//! dense head [64]: "usearch" | version major, minor, patch u16 | metric u8 | scalar u8
//!                  | key kind u8 | slot kind u8 | present u64 | deleted u64 | dimensions u64
//!                  | multi u8 | zero padding
//! graph header [40]: size u64 | connectivity u64 | connectivity_base u64 | max_level u64
//!                    | entry_slot u64
//! levels: size × i16
//! nodes: size × { key u64 | level i16 | base: count u32, connectivity_base × slot u32
//!                 | level × { count u32, connectivity × slot u32 } }
//! ```
//!
//! Deleted entries stay in the graph as stepping stones, keyed `u64::MAX`.

use std::collections::HashSet;

use crate::Quantization;

/// USearch's major file format version this check understands.
const USEARCH_MAJOR: u16 = 2;
/// Before 2.10 the scalar kinds were numbered differently (USearch converts them).
const USEARCH_MIN_MINOR: u16 = 10;
const DENSE_HEAD_LEN: usize = 64;
const MAGIC: &[u8; 7] = b"usearch";
/// `metric_kind_t::cos_k`.
const METRIC_COS: u8 = b'c';
/// `scalar_kind_t::u64_k`: the key type.
const KIND_U64: u8 = 14;
/// `scalar_kind_t::u32_k`: the compressed slot type.
const KIND_U32: u8 = 15;
/// The key USearch gives deleted entries (`default_free_value<u64>()`).
const FREE_KEY: u64 = u64::MAX;
/// Far above any connectivity that makes sense; keeps node sizes small numbers.
const MAX_CONNECTIVITY_BASE: u64 = 1 << 16;

/// What the footer (already verified) says the USearch bytes must hold.
pub(crate) struct Expected<'a> {
    pub(crate) dim: usize,
    pub(crate) quantization: Quantization,
    pub(crate) connectivity: usize,
    /// The key list stored after the USearch bytes: exactly the live keys of the graph.
    pub(crate) keys: &'a [u64],
}

/// Checks that `bytes` are a USearch index USearch can load and search without reading
/// outside what it allocates. The error says which check failed, in words.
pub(crate) fn check(bytes: &[u8], expected: &Expected<'_>) -> Result<(), String> {
    let mut r = Reader::new(bytes);

    // Vectors.
    let rows = u64::from(r.u32("vector count")?);
    let cols = u64::from(r.u32("vector width")?);
    let width = expected
        .dim
        .checked_mul(expected.quantization.bytes_per_dimension())
        .ok_or("dimensions overflow")?;
    if cols != width as u64 {
        return Err(format!(
            "vectors are {cols} bytes wide, {}-d {} needs {width}",
            expected.dim, expected.quantization
        ));
    }
    let matrix = rows
        .checked_mul(cols)
        .filter(|&n| n <= r.remaining() as u64)
        .ok_or_else(|| {
            format!(
                "{rows} vectors of {cols} bytes do not fit in the {} bytes left",
                r.remaining()
            )
        })?;
    r.skip(matrix as usize, "vectors")?;

    // Dense head.
    let head = r.take(DENSE_HEAD_LEN, "USearch header")?;
    let mut h = Reader::new(head);
    if h.take(MAGIC.len(), "magic")? != MAGIC {
        return Err("no USearch header after the vectors".into());
    }
    let (major, minor) = (h.u16("version")?, h.u16("version")?);
    h.u16("version")?;
    if major != USEARCH_MAJOR || minor < USEARCH_MIN_MINOR {
        return Err(format!(
            "USearch format {major}.{minor} is not 2.x from 2.10 on"
        ));
    }
    let (metric, scalar, key_kind, slot_kind) = (h.u8()?, h.u8()?, h.u8()?, h.u8()?);
    let scalar_expected = scalar_code(expected.quantization);
    if metric != METRIC_COS
        || scalar != scalar_expected
        || key_kind != KIND_U64
        || slot_kind != KIND_U32
    {
        return Err(format!(
            "USearch header kinds (metric {metric}, scalar {scalar}, key {key_kind}, slot \
             {slot_kind}) are not cosine/{}/u64/u32",
            expected.quantization
        ));
    }
    let present = h.u64("present count")?;
    let deleted = h.u64("deleted count")?;
    let dimensions = h.u64("dimensions")?;
    let multi = h.u8()?;
    if dimensions != expected.dim as u64 || multi != 0 {
        return Err(format!(
            "USearch header says {dimensions} dimensions (multi {multi}), expected {}",
            expected.dim
        ));
    }
    if present != expected.keys.len() as u64 || present.checked_add(deleted) != Some(rows) {
        return Err(format!(
            "USearch header counts {present} present + {deleted} deleted for {rows} vectors \
             and {} keys",
            expected.keys.len()
        ));
    }

    // Graph header.
    let size = r.u64("graph size")?;
    let connectivity = r.u64("connectivity")?;
    let connectivity_base = r.u64("base connectivity")?;
    let max_level = r.u64("max level")?;
    let entry_slot = r.u64("entry slot")?;
    if size != rows {
        return Err(format!("graph has {size} nodes for {rows} vectors"));
    }
    if connectivity != expected.connectivity as u64
        || connectivity_base < connectivity
        || connectivity_base > MAX_CONNECTIVITY_BASE
    {
        return Err(format!(
            "graph connectivity {connectivity} (base {connectivity_base}) does not match \
             the footer's {}",
            expected.connectivity
        ));
    }
    if size == 0 {
        // USearch stops reading here; anything after would be a different layout.
        return r.finish();
    }
    // Both bounded above (≤ 2^16, and size ≤ u32::MAX as rows came from a u32).
    let (conn, conn_base, size) = (
        connectivity as usize,
        connectivity_base as usize,
        size as usize,
    );
    let max_level = i16::try_from(max_level)
        .ok()
        .filter(|&l| l >= 0)
        .ok_or_else(|| format!("max level {max_level} is out of range"))?;
    if entry_slot >= size as u64 {
        return Err(format!(
            "entry slot {entry_slot} is outside the {size} nodes"
        ));
    }

    // Levels, which give every node's size.
    let mut levels = Vec::with_capacity(size.min(r.remaining() / 2));
    for slot in 0..size {
        let level = r.i16("node levels")?;
        if !(0..=max_level).contains(&level) {
            return Err(format!(
                "node {slot} has level {level}, outside 0..={max_level}"
            ));
        }
        levels.push(level);
    }
    if levels[entry_slot as usize] != max_level {
        return Err(format!(
            "entry node {entry_slot} has level {}, the graph's top is {max_level}",
            levels[entry_slot as usize]
        ));
    }

    // Nodes.
    let mut live = HashSet::with_capacity(expected.keys.len());
    let mut free = 0u64;
    for (slot, &level) in levels.iter().enumerate() {
        let key = r.u64("node key")?;
        let own_level = r.i16("node level")?;
        if own_level != level {
            return Err(format!(
                "node {slot} says level {own_level}, the level table says {level}"
            ));
        }
        if key == FREE_KEY {
            free += 1;
        } else if !live.insert(key) {
            return Err(format!("key {key} is stored twice"));
        }
        for at_level in 0..=level {
            let capacity = if at_level == 0 { conn_base } else { conn };
            let count = r.u32("neighbour count")? as usize;
            if count > capacity {
                return Err(format!(
                    "node {slot} lists {count} neighbours at level {at_level}, at most \
                     {capacity} fit"
                ));
            }
            for i in 0..capacity {
                let neighbour = r.u32("neighbour slots")? as usize;
                if i >= count {
                    continue; // unused slot, never read
                }
                // A neighbour at level L is itself searched at level L: it must have one.
                match levels.get(neighbour) {
                    Some(&n) if n >= at_level => {}
                    Some(&n) => {
                        return Err(format!(
                            "node {slot} links node {neighbour} at level {at_level}, which \
                             only reaches level {n}"
                        ));
                    }
                    None => {
                        return Err(format!(
                            "node {slot} links slot {neighbour}, outside the {size} nodes"
                        ));
                    }
                }
            }
        }
    }
    if free != deleted || live.len() != expected.keys.len() {
        return Err(format!(
            "graph holds {} live and {free} deleted nodes, the header says {present} and \
             {deleted}",
            live.len()
        ));
    }
    if let Some(key) = expected.keys.iter().find(|k| !live.contains(k)) {
        return Err(format!("listed key {key} is not in the graph"));
    }
    r.finish()
}

/// `scalar_kind_t` codes of USearch ≥ 2.10.
fn scalar_code(quantization: Quantization) -> u8 {
    match quantization {
        Quantization::F32 => 11,
        Quantization::F16 => 12,
        Quantization::I8 => 23,
    }
}

/// Sequential little-endian reads that fail, naming the field, at the end of the bytes.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    fn remaining(&self) -> usize {
        self.rest.len()
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if n > self.rest.len() {
            return Err(format!("the USearch data ends inside the {what}"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn skip(&mut self, n: usize, what: &str) -> Result<(), String> {
        self.take(n, what).map(|_| ())
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.array::<1>("USearch header")?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, String> {
        self.array(what).map(u16::from_le_bytes)
    }

    fn i16(&mut self, what: &str) -> Result<i16, String> {
        self.array(what).map(i16::from_le_bytes)
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        self.array(what).map(u32::from_le_bytes)
    }

    fn u64(&mut self, what: &str) -> Result<u64, String> {
        self.array(what).map(u64::from_le_bytes)
    }

    fn finish(&self) -> Result<(), String> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{} unexpected bytes after the USearch graph",
                self.rest.len()
            ))
        }
    }
}
