//! Just enough TIFF to tell a camera raw file from an ordinary TIFF: most raw formats
//! (DNG, CR2, NEF, ARW, PEF) are TIFF files, and only their first directory says which
//! camera wrote them; and to find the damage that would make rawler allocate gigabytes
//! ([`rawler_hazard`]). Every read is bounds-checked: the bytes are untrusted.

use crate::Format;

/// Tag of the `DNGVersion` entry: present in IFD0 of every DNG.
const TAG_DNG_VERSION: u16 = 0xC612;
/// Tag of `Make`, the camera maker, ASCII.
const TAG_MAKE: u16 = 0x010F;
/// More entries than any real IFD0 has; a header claiming more is not trusted.
const MAX_ENTRIES: usize = 1024;

/// The camera raw format of a classic TIFF file, or `None` for an ordinary TIFF (or one
/// too damaged to tell). BigTIFF is never a camera raw format.
pub(crate) fn camera_raw_kind(bytes: &[u8]) -> Option<Format> {
    let order = ByteOrder::of(bytes)?;
    if order.u16(bytes, 2)? != 42 {
        return None;
    }
    // CR2 marks itself right after the header: "CR", major version 2.
    if bytes.get(8..10) == Some(b"CR") && bytes.get(10) == Some(&2) {
        return Some(Format::Cr2);
    }
    let ifd = usize::try_from(order.u32(bytes, 4)?).ok()?;
    let count = usize::from(order.u16(bytes, ifd)?);
    if count > MAX_ENTRIES {
        return None;
    }
    let mut make = None;
    for i in 0..count {
        let entry = ifd + 2 + i * 12;
        let tag = order.u16(bytes, entry)?;
        if tag == TAG_DNG_VERSION {
            return Some(Format::Dng);
        }
        if tag == TAG_MAKE {
            make = ascii_value(bytes, order, entry);
        }
    }
    let make = make?.to_ascii_uppercase();
    if make.starts_with(b"NIKON") {
        Some(Format::Nef)
    } else if make.starts_with(b"SONY") {
        Some(Format::Arw)
    } else if make.starts_with(b"PENTAX") || make.starts_with(b"RICOH") {
        Some(Format::Pef)
    } else {
        None
    }
}

/// The bytes of an ASCII entry (type 2), without the trailing NUL; inline when they fit in
/// the 4-byte value field, else at the offset it holds.
fn ascii_value(bytes: &[u8], order: ByteOrder, entry: usize) -> Option<&[u8]> {
    if order.u16(bytes, entry + 2)? != 2 {
        return None;
    }
    let count = usize::try_from(order.u32(bytes, entry + 4)?).ok()?;
    let start = if count <= 4 {
        entry + 8
    } else {
        usize::try_from(order.u32(bytes, entry + 8)?).ok()?
    };
    let value = bytes.get(start..start.checked_add(count.min(256))?)?;
    Some(value.split(|&b| b == 0).next().unwrap_or(value))
}

/// An entry may declare at most this many bytes beyond what the file holds before it is
/// taken as damage that would cost a dangerous allocation (see [`rawler_hazard`]).
const MAX_UNREADABLE_ENTRY_BYTES: u64 = 64 << 20;

/// The entries rawler's TIFF reader follows into a sub-directory from a directory of the
/// chain: SubIFDs, the EXIF directory, GPS, and the ICC profile (its `wellknown_sub_ifd_tags`).
const SUB_DIRECTORY_TAGS: [u16; 4] = [0x014A, 0x8769, 0x8825, 0x8773];

/// Most directories in one chain: real files have a handful.
const MAX_DIRECTORIES: usize = 256;

/// rawler reads at most this many entries of a directory.
const RAWLER_MAX_ENTRIES: usize = 4096;

/// A TIFF-structured file (classic TIFF, Panasonic's and Olympus's variants, the two TIFF
/// structures inside a Fujifilm RAF and those of a Canon CR3's CMT boxes) whose directories, as rawler's TIFF reader walks
/// them before any decoder runs, hold an entry declaring more bytes than the file holds and
/// over 64 MiB, or whose chain of directories never ends: `Some(reason)`.
///
/// rawler 0.8 allocates each entry's declared size (up to 4 G items of up to 8 bytes)
/// before it reads the value, and a failed allocation aborts the process: an 11-byte file
/// found by the fuzzer asked for 3.3 GB, and with a larger type the request exceeds what
/// the system grants. Such a file is damaged (the value cannot be there), so rawler is not
/// called on it; its embedded previews are still searched. Decoder-specific directories
/// (maker notes) are not walked here: for those, the vendored rawler bounds each size where
/// it reads it (`vendor/rawler/GLIMPSE-PATCHES.md`); this walk keeps such files away from
/// rawler altogether, with a reason the user can read.
pub(crate) fn rawler_hazard(bytes: &[u8]) -> Option<String> {
    if bytes.starts_with(b"FUJIFILM") {
        // rawler's `parse_raf`: a TIFF 12 bytes into the JPEG whose offset is at 84, and
        // another at the offset stored at 100, with Fujifilm's own sub-directory tag.
        let offset_at = |at: usize| -> Option<u32> {
            Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
        };
        let main = offset_at(84).and_then(|o| o.checked_add(12));
        let fuji = offset_at(100);
        // Both read at most 11 directories of their chains.
        return [(main, &SUB_DIRECTORY_TAGS[..]), (fuji, &[0xF000][..])]
            .into_iter()
            .find_map(|(base, tags)| walk(bytes, base?, tags, Some(11)));
    }
    if bytes.get(4..12) == Some(b"ftypcrx ") {
        // CR3: rawler reads the TIFF in each of the CMT1–CMT4 boxes of the movie box with
        // its generic reader.
        let (start, end) = movie_box(bytes)?;
        let movie = &bytes[start..end];
        return (0..movie.len().saturating_sub(8))
            .filter(|&i| matches!(&movie[i + 4..i + 8], b"CMT1" | b"CMT2" | b"CMT3" | b"CMT4"))
            .find_map(|i| {
                let base = u32::try_from(start + i + 8).ok()?;
                walk(bytes, base, &SUB_DIRECTORY_TAGS, None)
            });
    }
    walk(bytes, 0, &SUB_DIRECTORY_TAGS, None)
}

/// Where the `moov` box of an ISO media file lies (its start and end), from the top-level
/// boxes' sizes.
fn movie_box(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().ok()?);
        let size = match size {
            0 => bytes.len() - at,
            1 => usize::try_from(u64::from_be_bytes(
                bytes.get(at + 8..at + 16)?.try_into().ok()?,
            ))
            .ok()?,
            n => usize::try_from(n).ok()?,
        };
        if size < 8 {
            return None;
        }
        let end = at.checked_add(size)?.min(bytes.len());
        if &bytes[at + 4..at + 8] == b"moov" {
            return Some((at, end));
        }
        at = end;
    }
    None
}

/// [`rawler_hazard`] for the TIFF structure at `base` (its offsets count from there),
/// following `sub_tags` one level down, through at most `chain_limit` directories of the
/// chain — or, where rawler sets no limit (its generic reader), refusing a chain that loops
/// back or runs on: rawler would follow it until memory ran out (found by the fuzzer: a
/// directory naming itself as the next).
fn walk(bytes: &[u8], base: u32, sub_tags: &[u16], chain_limit: Option<usize>) -> Option<String> {
    let len = bytes.len() as u64;
    let bytes = bytes.get(usize::try_from(base).ok()?..)?;
    let order = ByteOrder::of(bytes)?;
    // 42: TIFF; 85: Panasonic RW2; 0x4F52 / 0x5352: Olympus ORF.
    if !matches!(order.u16(bytes, 2)?, 42 | 85 | 0x4F52 | 0x5352) {
        return None;
    }
    let mut next = order.u32(bytes, 4)?;
    let mut seen = Vec::new();
    while next != 0 {
        match chain_limit {
            Some(limit) if seen.len() >= limit => break,
            Some(_) if seen.contains(&next) => break,
            None if seen.contains(&next) => {
                return Some("damaged: its chain of directories loops back".to_owned());
            }
            None if seen.len() >= MAX_DIRECTORIES => {
                return Some(format!(
                    "damaged: over {MAX_DIRECTORIES} directories in one chain"
                ));
            }
            _ => {}
        }
        seen.push(next);
        let directory = Directory::read(bytes, order, next)?;
        for entry in &directory.entries {
            if let Some(reason) = entry.oversized(len) {
                return Some(reason);
            }
            if sub_tags.contains(&entry.tag) {
                for offset in entry.offsets(bytes, order) {
                    // rawler walks sub-directories one level deep, without their chains.
                    let Some(sub) = Directory::read(bytes, order, offset) else {
                        continue;
                    };
                    if let Some(reason) = sub.entries.iter().find_map(|e| e.oversized(len)) {
                        return Some(reason);
                    }
                }
            }
        }
        next = directory.next;
    }
    None
}

/// One directory's entries as rawler reads them, and the offset of the next.
struct Directory {
    entries: Vec<Entry>,
    next: u32,
}

impl Directory {
    fn read(bytes: &[u8], order: ByteOrder, offset: u32) -> Option<Self> {
        let at = usize::try_from(offset).ok()?;
        let count = usize::from(order.u16(bytes, at)?);
        let mut entries = Vec::new();
        for i in 0..count.min(RAWLER_MAX_ENTRIES) {
            let pos = at + 2 + i * 12;
            let (Some(tag), Some(typ), Some(count)) = (
                order.u16(bytes, pos),
                order.u16(bytes, pos + 2),
                order.u32(bytes, pos + 4),
            ) else {
                // rawler stops at a truncated directory too.
                break;
            };
            entries.push(Entry {
                tag,
                typ,
                count,
                value_at: pos + 8,
            });
        }
        let next = order
            .u32(bytes, at + 2 + count.min(RAWLER_MAX_ENTRIES) * 12)
            .unwrap_or(0);
        Some(Self { entries, next })
    }
}

struct Entry {
    tag: u16,
    typ: u16,
    count: u32,
    /// Where the 4-byte value (or the offset of a longer one) sits.
    value_at: usize,
}

impl Entry {
    /// The bytes rawler allocates for it: the count times the type's size, unknown types
    /// taken as bytes.
    fn byte_size(&self) -> u64 {
        let size: u64 = match self.typ {
            3 | 8 => 2,
            4 | 9 | 11 | 13 => 4,
            5 | 10 | 12 => 8,
            _ => 1,
        };
        u64::from(self.count) * size
    }

    fn oversized(&self, file_len: u64) -> Option<String> {
        let size = self.byte_size();
        (size > file_len && size > MAX_UNREADABLE_ENTRY_BYTES).then(|| {
            format!(
                "damaged: a directory entry (tag 0x{:04X}) declares {size} bytes in a file of {file_len}",
                self.tag
            )
        })
    }

    /// The directory offsets a sub-directory entry holds: its LONG or IFD values (at most
    /// 64), else where its value lies.
    fn offsets(&self, bytes: &[u8], order: ByteOrder) -> Vec<u32> {
        let inline = self.byte_size() <= 4;
        let values_at = if inline {
            Some(self.value_at)
        } else {
            order
                .u32(bytes, self.value_at)
                .and_then(|o| usize::try_from(o).ok())
        };
        let Some(values_at) = values_at else {
            return Vec::new();
        };
        if matches!(self.typ, 4 | 13) {
            (0..self.count.min(64) as usize)
                .map_while(|i| order.u32(bytes, values_at + i * 4))
                .collect()
        } else {
            u32::try_from(values_at).ok().into_iter().collect()
        }
    }
}

#[derive(Clone, Copy)]
enum ByteOrder {
    Little,
    Big,
}

impl ByteOrder {
    fn of(bytes: &[u8]) -> Option<Self> {
        match bytes.get(0..2)? {
            b"II" => Some(Self::Little),
            b"MM" => Some(Self::Big),
            _ => None,
        }
    }

    fn u16(self, bytes: &[u8], at: usize) -> Option<u16> {
        let b: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            Self::Little => u16::from_le_bytes(b),
            Self::Big => u16::from_be_bytes(b),
        })
    }

    fn u32(self, bytes: &[u8], at: usize) -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(match self {
            Self::Little => u32::from_le_bytes(b),
            Self::Big => u32::from_be_bytes(b),
        })
    }
}
