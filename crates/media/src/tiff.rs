//! Just enough TIFF to tell a camera raw file from an ordinary TIFF: most raw formats
//! (DNG, CR2, NEF, ARW, PEF) are TIFF files, and only their first directory says which
//! camera wrote them. Every read is bounds-checked: the bytes are untrusted.

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
