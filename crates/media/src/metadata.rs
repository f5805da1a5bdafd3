//! EXIF facts we keep in the catalog: when the photo was taken and with what camera.

use std::io::Cursor;

use exif::{In, Tag, Value};

/// What the catalog keeps from a photo's EXIF block. Missing or unparseable EXIF yields the
/// default (all `None`, orientation 1): metadata never makes a decode fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// When the photo was taken, in Unix seconds, from `DateTimeOriginal` (falling back to
    /// `DateTimeDigitized`). With an `OffsetTimeOriginal`/`OffsetTimeDigitized` the value is
    /// true UTC; without one the camera's local wall-clock time is stored as if it were UTC
    /// ("naive UTC"), so formatting it back in UTC shows what the camera showed.
    pub taken_at: Option<i64>,
    /// EXIF `Make`, trimmed; `None` when absent or blank.
    pub camera_make: Option<String>,
    /// EXIF `Model`, trimmed; `None` when absent or blank.
    pub camera_model: Option<String>,
    /// The EXIF orientation (1–8) that [`crate::decode`] applied; 1 when there is none.
    pub orientation: u16,
}

impl Default for Metadata {
    fn default() -> Self {
        Self {
            taken_at: None,
            camera_make: None,
            camera_model: None,
            orientation: 1,
        }
    }
}

/// Reads EXIF from any container kamadak-exif knows (JPEG APP1, TIFF, PNG eXIf, WebP EXIF).
/// `orientation` comes from the image decoder, which is what was actually applied.
pub(crate) fn read_metadata(bytes: &[u8], orientation: u16) -> Metadata {
    parse_guarded(orientation, |reader| {
        reader.read_from_container(&mut Cursor::new(bytes))
    })
}

/// Reads a bare EXIF block (a TIFF header and its directories), as HEIF, AVIF and JPEG XL
/// files carry it in their `Exif` item or box.
pub(crate) fn read_exif_block(tiff: &[u8], orientation: u16) -> Metadata {
    parse_guarded(orientation, |reader| reader.read_raw(tiff.to_vec()))
}

/// Reads a TIFF-structured file's EXIF (a camera raw file's first directories), taking
/// the orientation from its Orientation tag (1 when absent or out of range).
pub(crate) fn read_tiff_metadata(tiff: &[u8]) -> Metadata {
    let mut orientation = 1;
    let mut metadata = parse_guarded_with(
        1,
        |reader| reader.read_raw(tiff.to_vec()),
        |exif| {
            if let Some(value) = exif
                .get_field(Tag::Orientation, In::PRIMARY)
                .and_then(|f| f.value.get_uint(0))
                .and_then(|v| u16::try_from(v).ok())
                .filter(|v| (1..=8).contains(v))
            {
                orientation = value;
            }
        },
    );
    metadata.orientation = orientation;
    metadata
}

/// What a camera raw file's own metadata says, as the raw decoder read it: maker, model,
/// `DateTimeOriginal` (`"YYYY:MM:DD HH:MM:SS"`) and its offset.
pub(crate) fn from_parts(
    make: Option<&str>,
    model: Option<&str>,
    date_time_original: Option<&str>,
    offset: Option<&str>,
    orientation: u16,
) -> Metadata {
    let clean = |text: Option<&str>| {
        let text = text?.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        (!text.is_empty()).then(|| text.to_owned())
    };
    Metadata {
        taken_at: date_time_original
            .and_then(|date| parse_timestamp(date.as_bytes(), offset.map(str::as_bytes))),
        camera_make: clean(make),
        camera_model: clean(model),
        orientation,
    }
}

fn parse_guarded(
    orientation: u16,
    read: impl FnOnce(&exif::Reader) -> Result<exif::Exif, exif::Error> + std::panic::UnwindSafe,
) -> Metadata {
    parse_guarded_with(orientation, read, |_| {})
}

fn parse_guarded_with(
    orientation: u16,
    read: impl FnOnce(&exif::Reader) -> Result<exif::Exif, exif::Error> + std::panic::UnwindSafe,
    mut also: impl FnMut(&exif::Exif),
) -> Metadata {
    let mut metadata = Metadata {
        orientation,
        ..Metadata::default()
    };
    // The EXIF parser sees hostile input too; a panic there must not take the photo with it.
    let parsed = std::panic::catch_unwind(|| {
        let mut reader = exif::Reader::new();
        reader.continue_on_error(true);
        read(&reader).or_else(|e| e.distill_partial_result(|_| {}))
    });
    let exif = match parsed {
        Ok(Ok(exif)) => exif,
        Ok(Err(e)) => {
            tracing::trace!("no usable EXIF: {e}");
            return metadata;
        }
        Err(_) => {
            tracing::debug!("EXIF parser panicked; ignoring EXIF");
            return metadata;
        }
    };
    metadata.camera_make = ascii_field(&exif, Tag::Make);
    metadata.camera_model = ascii_field(&exif, Tag::Model);
    metadata.taken_at = timestamp(&exif, Tag::DateTimeOriginal, Tag::OffsetTimeOriginal)
        .or_else(|| timestamp(&exif, Tag::DateTimeDigitized, Tag::OffsetTimeDigitized));
    also(&exif);
    metadata
}

fn ascii_bytes(exif: &exif::Exif, tag: Tag) -> Option<&[u8]> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(parts) => parts.first().map(Vec::as_slice),
        _ => None,
    }
}

fn ascii_field(exif: &exif::Exif, tag: Tag) -> Option<String> {
    let raw = ascii_bytes(exif, tag)?;
    // Cameras pad with spaces or NULs; some write Latin-1, which lossy decoding survives.
    let text = String::from_utf8_lossy(raw);
    let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!text.is_empty()).then(|| text.to_owned())
}

fn timestamp(exif: &exif::Exif, date_tag: Tag, offset_tag: Tag) -> Option<i64> {
    parse_timestamp(ascii_bytes(exif, date_tag)?, ascii_bytes(exif, offset_tag))
}

fn parse_timestamp(date: &[u8], offset: Option<&[u8]>) -> Option<i64> {
    let mut dt = exif::DateTime::from_ascii(date).ok()?;
    if let Some(offset) = offset {
        // A malformed offset leaves the time naive rather than dropping it.
        let _ = dt.parse_offset(offset);
    }
    let valid = (1..=12).contains(&dt.month)
        && (1..=31).contains(&dt.day)
        && dt.hour < 24
        && dt.minute < 60
        && dt.second < 61
        && dt.year >= 1800;
    if !valid {
        return None;
    }
    let days = days_from_civil(i64::from(dt.year), i64::from(dt.month), i64::from(dt.day));
    let local = days * 86_400
        + i64::from(dt.hour) * 3600
        + i64::from(dt.minute) * 60
        + i64::from(dt.second);
    Some(local - i64::from(dt.offset.unwrap_or(0)) * 60)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm), so we
/// need no date crate for one conversion.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::days_from_civil;

    #[test]
    fn civil_days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }
}
