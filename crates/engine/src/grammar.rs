//! The search box's grammar, the same in the app and `glimpse search`: words to look for,
//! words to push away, example photos, filters and a sort order, in one line.
//!
//! ```text
//! beach sunset -people in:Holidays after:2019 before:2020-07 type:heic sort:newest
//! like:~/Pictures/cat.jpg^2 "at night" -"the 2019 trip" camera:pixel orientation:portrait
//! ```
//!
//! - plain words form the text to look for (adjacent words are one phrase); `"a phrase"`
//!   is one term of its own;
//! - `-word` / `-"a phrase"` push matching photos down and out of the good matches;
//! - `like:PATH` (or `like:"a path"`) adds an example photo;
//! - `TERM^2` weighs any term (word, phrase, example): 0 < weight ≤ 10;
//! - filters: `in:FOLDER` (a library folder, given as an absolute path or by its name, or
//!   any folder below one; several are OR'd), `after:` and `before:` with `YYYY`, `YYYY-MM`
//!   or `YYYY-MM-DD` (capture time, else the file's time; `after:` includes the period named,
//!   `before:` excludes it), `type:` (jpeg, png, webp, gif, tiff, bmp, heic, avif, jxl, raw),
//!   `camera:TEXT` (EXIF make or model contains, any case), `orientation:portrait|landscape|
//!   square` (as displayed), `name:TEXT` (file name contains, any case);
//! - `sort:relevance` (default), `sort:newest`, `sort:oldest`.
//!
//! A query of filters alone is allowed. Anything else that looks like `key:value` with an
//! unknown key, a malformed date, an unknown type, an unfinished quote or a bad weight is an
//! error naming the token at fault, never a silent empty result.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// What a query term looks for.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum TermKind {
    /// Text, embedded by the model's text tower.
    Text(String),
    /// An example photo, embedded by its image tower.
    Like(PathBuf),
}

/// One part of the query's meaning.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Term {
    /// Text or example photo.
    pub kind: TermKind,
    /// Its weight (1 unless `^w` was given).
    pub weight: f32,
    /// Written with `-`: push matches away.
    pub negative: bool,
}

/// A calendar date the grammar accepts: a year, a month or a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Period {
    /// Year.
    pub year: i32,
    /// Month 1–12, when given.
    pub month: Option<u32>,
    /// Day 1–31, when given.
    pub day: Option<u32>,
}

impl Period {
    /// Seconds since the Unix epoch at the start of the period (UTC; capture times without a
    /// zone are stored as the camera's wall clock read as UTC, so they compare as written).
    pub fn start(&self) -> i64 {
        days_from_civil(self.year, self.month.unwrap_or(1), self.day.unwrap_or(1)) * 86_400
    }

    /// Seconds since the epoch at the start of the next period (the end, exclusive).
    pub fn end(&self) -> i64 {
        match (self.month, self.day) {
            (Some(m), Some(d)) => days_from_civil(self.year, m, d) * 86_400 + 86_400,
            (Some(12), None) => days_from_civil(self.year + 1, 1, 1) * 86_400,
            (Some(m), None) => days_from_civil(self.year, m + 1, 1) * 86_400,
            (None, _) => days_from_civil(self.year + 1, 1, 1) * 86_400,
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
        }
        if let Some(d) = self.day {
            write!(f, "-{d:02}")?;
        }
        Ok(())
    }
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm; proleptic Gregorian).
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count from 1970-01-01 (inverse of `days_from_civil`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Seconds since the epoch as RFC 3339 in UTC (`2019-06-01T12:00:00Z`); capture times
/// without a zone come out as the camera's clock showed them.
pub fn rfc3339(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

/// Image kinds `type:` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum FileType {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// WebP.
    Webp,
    /// GIF.
    Gif,
    /// TIFF.
    Tiff,
    /// BMP.
    Bmp,
    /// HEIC / HEIF.
    Heic,
    /// AVIF.
    Avif,
    /// JPEG XL.
    Jxl,
    /// Camera raw (DNG, CR2, CR3, NEF, ARW, RAF, ORF, RW2, PEF).
    Raw,
}

impl FileType {
    const ALL: [(&'static str, FileType); 13] = [
        ("jpeg", Self::Jpeg),
        ("jpg", Self::Jpeg),
        ("png", Self::Png),
        ("webp", Self::Webp),
        ("gif", Self::Gif),
        ("tiff", Self::Tiff),
        ("tif", Self::Tiff),
        ("bmp", Self::Bmp),
        ("heic", Self::Heic),
        ("heif", Self::Heic),
        ("avif", Self::Avif),
        ("jxl", Self::Jxl),
        ("raw", Self::Raw),
    ];

    fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|(_, t)| *t)
    }

    /// The name `type:` takes.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("", |(name, _)| name)
    }
}

/// `orientation:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Orientation {
    /// Taller than wide, as displayed.
    Portrait,
    /// Wider than tall.
    Landscape,
    /// As wide as tall.
    Square,
}

/// `sort:`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Sort {
    /// Best match first.
    #[default]
    Relevance,
    /// Newest first (capture time, else file time).
    Newest,
    /// Oldest first.
    Oldest,
}

/// The exact conditions a photo must meet.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Filters {
    /// `in:`: any of these folders (absolute paths, or names of folders to find).
    pub folders: Vec<String>,
    /// `after:` (inclusive).
    pub after: Option<Period>,
    /// `before:` (exclusive).
    pub before: Option<Period>,
    /// `type:`: any of these.
    pub types: Vec<FileType>,
    /// `camera:`: make or model contains each (any case).
    pub cameras: Vec<String>,
    /// `orientation:`.
    pub orientation: Option<Orientation>,
    /// `name:`: the file name contains each (any case).
    pub names: Vec<String>,
}

impl Filters {
    /// No condition at all.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A parsed query.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ParsedQuery {
    /// Texts and example photos, positive and negative.
    pub terms: Vec<Term>,
    /// Exact conditions.
    pub filters: Filters,
    /// Order of the results.
    pub sort: Sort,
}

impl ParsedQuery {
    /// Parses the search box's text.
    pub fn parse(text: &str) -> Result<Self, QueryError> {
        Parser::new(text).parse()
    }

    /// The positive text terms, joined: what a plain search would have encoded.
    pub fn positive_text(&self) -> String {
        let parts: Vec<&str> = self
            .terms
            .iter()
            .filter(|t| !t.negative)
            .filter_map(|t| match &t.kind {
                TermKind::Text(s) => Some(s.as_str()),
                TermKind::Like(_) => None,
            })
            .collect();
        parts.join(" ")
    }

    /// True when nothing asks for meaning (filters and sort only).
    pub fn has_meaning(&self) -> bool {
        self.terms.iter().any(|t| !t.negative)
    }
}

/// Why a query could not be understood: a sentence naming the token at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// `key:value` with a key the grammar does not know.
    #[error(
        "“{token}”: unknown filter “{key}:” (known: in:, after:, before:, type:, camera:, \
         orientation:, name:, like:, sort:)"
    )]
    UnknownKey {
        /// The token.
        token: String,
        /// Its key.
        key: String,
    },
    /// A filter with nothing after the colon.
    #[error("“{0}”: say what to filter by after the colon")]
    EmptyValue(String),
    /// A date that is not `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, or not a real date.
    #[error("“{token}”: {reason} (write YYYY, YYYY-MM or YYYY-MM-DD)")]
    BadDate {
        /// The token.
        token: String,
        /// What is wrong.
        reason: String,
    },
    /// `after:` is not before `before:`.
    #[error("“after:{after}” is not before “before:{before}”: nothing can match")]
    EmptyRange {
        /// The after date.
        after: Period,
        /// The before date.
        before: Period,
    },
    /// An unknown `type:`.
    #[error("“{0}”: unknown type (known: jpeg, png, webp, gif, tiff, bmp, heic, avif, jxl, raw)")]
    BadType(String),
    /// An unknown `orientation:`.
    #[error("“{0}”: orientation is portrait, landscape or square")]
    BadOrientation(String),
    /// An unknown `sort:`.
    #[error("“{0}”: sort is relevance, newest or oldest")]
    BadSort(String),
    /// `sort:` given twice with different values, or `after:`/`before:` twice.
    #[error("“{0}”: given twice")]
    Repeated(String),
    /// A `"` without its closing `"`.
    #[error("“{0}”: the quote is not closed")]
    UnclosedQuote(String),
    /// `^` followed by something other than a number in (0, 10].
    #[error("“{0}”: a weight is a number above 0 and at most 10, as in dog^2")]
    BadWeight(String),
    /// `-` with nothing after it.
    #[error("“{0}”: say what to leave out after the minus, as in -people")]
    EmptyExclusion(String),
}

/// The largest weight `^` takes: more would drown every other term.
const MAX_WEIGHT: f32 = 10.0;

const KEYS: [&str; 9] = [
    "in",
    "after",
    "before",
    "type",
    "camera",
    "orientation",
    "name",
    "like",
    "sort",
];

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    text: &'a str,
    query: ParsedQuery,
    /// Plain words waiting to become one phrase.
    words: Vec<String>,
    sort_given: bool,
}

/// One lexical token: its text as written, and its parts.
struct Token {
    written: String,
    negative: bool,
    key: Option<String>,
    value: String,
    /// The value was quoted (a phrase, or a path with spaces).
    quoted: bool,
    weight: Option<String>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            chars: text.char_indices().peekable(),
            text,
            query: ParsedQuery::default(),
            words: Vec::new(),
            sort_given: false,
        }
    }

    fn parse(mut self) -> Result<ParsedQuery, QueryError> {
        while let Some(token) = self.next_token()? {
            self.take(token)?;
        }
        self.flush_words();
        if let (Some(after), Some(before)) = (self.query.filters.after, self.query.filters.before)
            && after.start() >= before.start()
        {
            return Err(QueryError::EmptyRange { after, before });
        }
        Ok(self.query)
    }

    fn skip_space(&mut self) {
        while self.chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            self.chars.next();
        }
    }

    /// Reads up to a closing quote (the opening one is consumed); errors if there is none.
    fn quoted(&mut self, start: usize) -> Result<String, QueryError> {
        let mut out = String::new();
        for (_, c) in self.chars.by_ref() {
            if c == '"' {
                return Ok(out);
            }
            out.push(c);
        }
        Err(QueryError::UnclosedQuote(
            self.text[start..].trim().to_owned(),
        ))
    }

    fn next_token(&mut self) -> Result<Option<Token>, QueryError> {
        self.skip_space();
        let Some(&(start, first)) = self.chars.peek() else {
            return Ok(None);
        };
        let mut negative = false;
        if first == '-' {
            self.chars.next();
            negative = true;
        }
        let mut value = String::new();
        let mut key = None;
        let mut quoted = false;
        loop {
            match self.chars.peek().copied() {
                None => break,
                Some((_, c)) if c.is_whitespace() => break,
                Some((_, '"')) if value.is_empty() => {
                    self.chars.next();
                    value = self.quoted(start)?;
                    quoted = true;
                    break;
                }
                Some((_, ':'))
                    if key.is_none()
                        && !value.is_empty()
                        && value.chars().all(|c| c.is_ascii_alphabetic()) =>
                {
                    self.chars.next();
                    key = Some(std::mem::take(&mut value).to_ascii_lowercase());
                }
                Some((_, '^')) => break,
                Some((_, c)) => {
                    self.chars.next();
                    value.push(c);
                }
            }
        }
        let mut weight = None;
        if self.chars.peek().is_some_and(|(_, c)| *c == '^') {
            self.chars.next();
            let mut w = String::new();
            while let Some(&(_, c)) = self.chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                w.push(c);
                self.chars.next();
            }
            weight = Some(w);
        }
        let end = self.chars.peek().map_or(self.text.len(), |(i, _)| *i);
        Ok(Some(Token {
            written: self.text[start..end].to_owned(),
            negative,
            key,
            value,
            quoted,
            weight,
        }))
    }

    fn flush_words(&mut self) {
        if !self.words.is_empty() {
            self.query.terms.push(Term {
                kind: TermKind::Text(self.words.join(" ")),
                weight: 1.0,
                negative: false,
            });
            self.words.clear();
        }
    }

    fn weight(token: &Token) -> Result<f32, QueryError> {
        match &token.weight {
            None => Ok(1.0),
            Some(w) => match w.parse::<f32>() {
                Ok(w) if w > 0.0 && w <= MAX_WEIGHT && w.is_finite() => Ok(w),
                _ => Err(QueryError::BadWeight(token.written.clone())),
            },
        }
    }

    fn take(&mut self, token: Token) -> Result<(), QueryError> {
        let weight = Self::weight(&token)?;
        let Some(key) = token.key.as_deref() else {
            if token.value.is_empty() {
                if token.negative {
                    return Err(QueryError::EmptyExclusion(token.written));
                }
                return Ok(());
            }
            // A plain word joins the phrase being built; anything marked stands alone.
            if !token.negative && !token.quoted && token.weight.is_none() {
                self.words.push(token.value);
                return Ok(());
            }
            self.flush_words();
            self.query.terms.push(Term {
                kind: TermKind::Text(token.value),
                weight,
                negative: token.negative,
            });
            return Ok(());
        };
        if !KEYS.contains(&key) {
            return Err(QueryError::UnknownKey {
                key: key.to_owned(),
                token: token.written,
            });
        }
        if token.value.trim().is_empty() {
            return Err(QueryError::EmptyValue(token.written));
        }
        let value = token.value.trim().to_owned();
        let filters = &mut self.query.filters;
        match key {
            "like" => {
                self.flush_words();
                self.query.terms.push(Term {
                    kind: TermKind::Like(PathBuf::from(value)),
                    weight,
                    negative: token.negative,
                });
            }
            "in" => filters.folders.push(value),
            "after" | "before" => {
                let period = parse_period(&value).map_err(|reason| QueryError::BadDate {
                    token: token.written.clone(),
                    reason,
                })?;
                let slot = if key == "after" {
                    &mut filters.after
                } else {
                    &mut filters.before
                };
                if slot.replace(period).is_some_and(|old| old != period) {
                    return Err(QueryError::Repeated(token.written));
                }
            }
            "type" => {
                let t = FileType::parse(&value).ok_or(QueryError::BadType(token.written))?;
                if !filters.types.contains(&t) {
                    filters.types.push(t);
                }
            }
            "camera" => filters.cameras.push(value.to_lowercase()),
            "name" => filters.names.push(value.to_lowercase()),
            "orientation" => {
                let o = match value.to_ascii_lowercase().as_str() {
                    "portrait" => Orientation::Portrait,
                    "landscape" => Orientation::Landscape,
                    "square" => Orientation::Square,
                    _ => return Err(QueryError::BadOrientation(token.written)),
                };
                if filters.orientation.replace(o).is_some_and(|old| old != o) {
                    return Err(QueryError::Repeated(token.written));
                }
            }
            "sort" => {
                let s = match value.to_ascii_lowercase().as_str() {
                    "relevance" => Sort::Relevance,
                    "newest" => Sort::Newest,
                    "oldest" => Sort::Oldest,
                    _ => return Err(QueryError::BadSort(token.written)),
                };
                if self.sort_given && self.query.sort != s {
                    return Err(QueryError::Repeated(token.written));
                }
                self.sort_given = true;
                self.query.sort = s;
            }
            _ => unreachable!("keys are checked above"),
        }
        Ok(())
    }
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, checked to be a real date.
fn parse_period(s: &str) -> Result<Period, String> {
    let parts: Vec<&str> = s.split('-').collect();
    let number = |p: &str, digits: usize, what: &str| -> Result<u32, String> {
        if p.len() != digits || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("the {what} must have {digits} digits"));
        }
        p.parse().map_err(|_| format!("the {what} is not a number"))
    };
    if parts.is_empty() || parts.len() > 3 {
        return Err("not a date".into());
    }
    let year = number(parts[0], 4, "year")? as i32;
    let month = parts.get(1).map(|p| number(p, 2, "month")).transpose()?;
    let day = parts.get(2).map(|p| number(p, 2, "day")).transpose()?;
    if let Some(m) = month
        && !(1..=12).contains(&m)
    {
        return Err(format!("there is no month {m}"));
    }
    if let (Some(m), Some(d)) = (month, day) {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match m {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if d == 0 || d > days {
            return Err(format!("{year:04}-{m:02} has no day {d}"));
        }
    }
    Ok(Period { year, month, day })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str, weight: f32, negative: bool) -> Term {
        Term {
            kind: TermKind::Text(s.into()),
            weight,
            negative,
        }
    }

    fn parse(s: &str) -> ParsedQuery {
        ParsedQuery::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn words_phrases_exclusions_examples_and_weights() {
        let q =
            parse(r#"dog on a beach -people -"the 2019 trip" "at night"^1.5 like:/p/cat.jpg^2"#);
        assert_eq!(
            q.terms,
            vec![
                text("dog on a beach", 1.0, false),
                text("people", 1.0, true),
                text("the 2019 trip", 1.0, true),
                text("at night", 1.5, false),
                Term {
                    kind: TermKind::Like("/p/cat.jpg".into()),
                    weight: 2.0,
                    negative: false
                },
            ]
        );
        assert_eq!(q.positive_text(), "dog on a beach at night");
        let q = parse(r#"like:"/my pics/a b.png" red"#);
        assert_eq!(
            q.terms[0].kind,
            TermKind::Like("/my pics/a b.png".into()),
            "a quoted path keeps its spaces"
        );
        assert_eq!(q.terms[1], text("red", 1.0, false));
        assert_eq!(
            parse("dog^2 cat").terms,
            vec![text("dog", 2.0, false), text("cat", 1.0, false)]
        );
        // Colons inside words that are not filters stay words.
        assert_eq!(
            parse("ratio 16:9").terms,
            vec![text("ratio 16:9", 1.0, false)]
        );
    }

    #[test]
    fn every_filter_and_sort() {
        let q = parse(
            "in:Paris in:/home/me/Pictures/2019 after:2019 before:2020-07 type:heic type:RAW \
             camera:Pixel orientation:Portrait name:IMG_ sort:newest",
        );
        assert!(
            q.terms.is_empty() && !q.has_meaning(),
            "filters alone are allowed"
        );
        let f = &q.filters;
        assert_eq!(f.folders, ["Paris", "/home/me/Pictures/2019"]);
        assert_eq!(
            f.after,
            Some(Period {
                year: 2019,
                month: None,
                day: None
            })
        );
        assert_eq!(
            f.before,
            Some(Period {
                year: 2020,
                month: Some(7),
                day: None
            })
        );
        assert_eq!(f.types, [FileType::Heic, FileType::Raw]);
        assert_eq!(f.cameras, ["pixel"]);
        assert_eq!(f.orientation, Some(Orientation::Portrait));
        assert_eq!(f.names, ["img_"]);
        assert_eq!(q.sort, Sort::Newest);
        assert_eq!(parse("type:jpg").filters.types, [FileType::Jpeg]);
        assert_eq!(parse("x").sort, Sort::Relevance);
    }

    #[test]
    fn periods_start_and_end_where_the_calendar_says() {
        let p = |s: &str| parse_period(s).expect(s);
        assert_eq!(p("1970").start(), 0);
        assert_eq!(p("2019").start(), 1_546_300_800); // 2019-01-01T00:00:00Z
        assert_eq!(p("2019").end(), p("2020").start());
        assert_eq!(p("2019-12").end(), p("2020").start());
        assert_eq!(p("2020-02").end(), p("2020-03").start());
        assert_eq!(p("2020-02-29").end(), p("2020-03-01").start());
        assert_eq!(p("2024-03-10").start(), 1_710_028_800);
    }

    #[test]
    fn timestamps_print_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_710_028_800 + 3723), "2024-03-10T01:02:03Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn every_error_names_its_token() {
        let cases = [
            ("dog colour:red", "colour:red", "unknown filter"),
            ("http://example.com", "http://example.com", "unknown filter"),
            ("after:19", "after:19", "4 digits"),
            ("after:2019-13", "after:2019-13", "no month 13"),
            ("before:2019-02-30", "before:2019-02-30", "no day 30"),
            ("after:2019-1-05", "after:2019-1-05", "2 digits"),
            ("after:yesterday", "after:yesterday", "digits"),
            ("type:psd", "type:psd", "unknown type"),
            (
                "orientation:wide",
                "orientation:wide",
                "portrait, landscape",
            ),
            ("sort:best", "sort:best", "relevance, newest"),
            ("sort:newest sort:oldest", "sort:oldest", "twice"),
            ("after:2019 after:2020", "after:2020", "twice"),
            ("dog \"at night", "\"at night", "not closed"),
            ("dog^0", "dog^0", "weight"),
            ("dog^x", "dog^x", "weight"),
            ("dog^11", "dog^11", "weight"),
            ("dog -", "-", "minus"),
            ("in:", "in:", "after the colon"),
            ("after:2020 before:2019", "after:2020", "nothing can match"),
        ];
        for (query, token, words) in cases {
            let err = ParsedQuery::parse(query).expect_err(query).to_string();
            assert!(
                err.contains(token) && err.contains(words),
                "{query:?} gave {err:?}"
            );
        }
    }
}
