//! Little TIFF structures for the tests that feed hostile directories to the decoders.

/// A little-endian TIFF: IFD0 at 8 with `entries` (tag, type, count, value or offset), then
/// the next directory's offset, then `tail` (where other directories or values can go).
pub fn tiff(entries: &[(u16, u16, u32, u32)], next_ifd: u32, tail: &[u8]) -> Vec<u8> {
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for &(tag, kind, count, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    }
    out.extend_from_slice(&next_ifd.to_le_bytes());
    out.extend_from_slice(tail);
    out
}

/// A directory of one entry (tag, type, count, value or offset) and no next, as it is
/// written after IFD0 in a [`tiff`]'s `tail`.
#[allow(dead_code)] // Not every test file that includes this module uses it.
pub fn directory(tag: u16, kind: u16, count: u32, value: u32) -> Vec<u8> {
    let mut out = 1u16.to_le_bytes().to_vec();
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&value.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out
}
