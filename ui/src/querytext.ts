// The search box's text as the query grammar reads it (crates/engine/src/grammar.rs), for
// what the box shows while typing: filter chips, the token being completed, and edits
// (removing a chip's token, inserting a completion or a timeline month). The shell parses
// the same text for real and names any error; this lexer only has to find the tokens, so
// it mirrors the engine's lexing and nothing else. Pure functions, no DOM.

/** One token of the text, with where it is. */
export interface Token {
  /** Offset of its first character (the `-` of an exclusion). */
  start: number;
  /** Offset just past it (its weight included). */
  end: number;
  /** Written with `-`. */
  negative: boolean;
  /** `in`, `after`, … (lowercase) for `key:value`; `null` for words and phrases. */
  key: string | null;
  /** The value, without its quotes. */
  value: string;
  /** The value was quoted. */
  quoted: boolean;
  /** A quote was opened and not closed (the rest of the text is its value). */
  unclosed: boolean;
}

const isSpace = (c: string): boolean => /\s/.test(c);
const isKeyName = (s: string): boolean => /^[A-Za-z]+$/.test(s);

/** The tokens of `text`, as the engine's lexer cuts them. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && isSpace(text.charAt(i))) i++;
    if (i >= n) break;
    const start = i;
    let negative = false;
    if (text.charAt(i) === "-") {
      negative = true;
      i++;
    }
    let value = "";
    let key: string | null = null;
    let quoted = false;
    let unclosed = false;
    while (i < n) {
      const c = text.charAt(i);
      if (isSpace(c)) break;
      if (c === '"' && value === "") {
        const close = text.indexOf('"', i + 1);
        quoted = true;
        if (close < 0) {
          value = text.slice(i + 1);
          unclosed = true;
          i = n;
        } else {
          value = text.slice(i + 1, close);
          i = close + 1;
        }
        break;
      }
      if (c === ":" && key === null && value !== "" && isKeyName(value)) {
        key = value.toLowerCase();
        value = "";
        i++;
        continue;
      }
      if (c === "^") break;
      value += c;
      i++;
    }
    if (text.charAt(i) === "^") {
      while (i < n && !isSpace(text.charAt(i))) i++;
    }
    tokens.push({ start, end: i, negative, key, value, quoted, unclosed });
  }
  return tokens;
}

/** The keys of filters (and `sort:`), as the grammar knows them. */
export const FILTER_KEYS = ["in", "after", "before", "type", "camera", "orientation", "name", "sort"] as const;

/** What a chip stands for. */
export type ChipKind = "folder" | "date" | "type" | "camera" | "orientation" | "name" | "sort";

/** A filter of the text, shown as a chip under the box. */
export interface Chip {
  kind: ChipKind;
  /** Short text on the chip ("shapes", "Jun 2019", "PNG"). */
  label: string;
  /** What it does, in words (tooltip and the remove button's name). */
  title: string;
  /** The tokens it stands for: removing the chip removes them from the text. */
  tokens: Token[];
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTHS_LONG = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December",
];

/** A date of the grammar: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`. */
interface Period {
  year: number;
  month: number | null;
  day: number | null;
}

function parsePeriod(text: string): Period | null {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(text);
  if (!m) return null;
  const month = m[2] ? Number(m[2]) : null;
  const day = m[3] ? Number(m[3]) : null;
  if (month !== null && (month < 1 || month > 12)) return null;
  if (day !== null && (day < 1 || day > 31)) return null;
  return { year: Number(m[1]), month, day };
}

function periodLabel(p: Period): string {
  if (p.month === null) return String(p.year);
  const month = MONTHS[p.month - 1] ?? "";
  return p.day === null ? `${month} ${p.year}` : `${p.day} ${month} ${p.year}`;
}

/** The period just after `p`, at the same precision (what `before:` names to end at `p`). */
function nextPeriod(p: Period): Period {
  if (p.month === null) return { year: p.year + 1, month: null, day: null };
  if (p.day === null) return p.month === 12 ? { year: p.year + 1, month: 1, day: null } : { ...p, month: p.month + 1 };
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day + 1));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The period just before `p` (the last one `before:p` includes). */
function previousPeriod(p: Period): Period {
  if (p.month === null) return { year: p.year - 1, month: null, day: null };
  if (p.day === null) return p.month === 1 ? { year: p.year - 1, month: 12, day: null } : { ...p, month: p.month - 1 };
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day - 1));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

const samePeriod = (a: Period, b: Period): boolean => a.year === b.year && a.month === b.month && a.day === b.day;

/** The words on a date chip for `after:` and/or `before:` (either may be missing). */
export function dateRangeLabel(after: string | null, before: string | null): string {
  const a = after === null ? null : parsePeriod(after);
  const b = before === null ? null : parsePeriod(before);
  if (after !== null && a === null) return after;
  if (before !== null && b === null) return before;
  if (a && b) {
    // One whole period ("after:2019-06 before:2019-07") reads as that period.
    if (samePeriod(nextPeriod(a), b)) return periodLabel(a);
    return `${periodLabel(a)} – ${periodLabel(previousPeriod(b))}`;
  }
  if (a) return `From ${periodLabel(a)}`;
  if (b) return `Before ${periodLabel(b)}`;
  return "";
}

const TYPE_NAMES: Record<string, string> = {
  jpeg: "JPEG", jpg: "JPEG", png: "PNG", webp: "WebP", gif: "GIF", tiff: "TIFF", tif: "TIFF",
  bmp: "BMP", heic: "HEIC", heif: "HEIC", avif: "AVIF", jxl: "JPEG XL", raw: "Raw",
};

/** The filter chips of `text`, in the order their tokens appear (the date range once). */
export function chipsOf(text: string, skip: Token | null = null): Chip[] {
  const chips: Chip[] = [];
  let date: Chip | null = null;
  let after: string | null = null;
  let before: string | null = null;
  for (const t of tokenize(text)) {
    if (t.key === null || (skip !== null && t.start === skip.start)) continue;
    const v = t.value.trim();
    if (v === "") continue;
    switch (t.key) {
      case "in":
        chips.push({ kind: "folder", label: v, title: `In the folder “${v}” and its subfolders`, tokens: [t] });
        break;
      case "after":
      case "before": {
        if (t.key === "after") after ??= v;
        else before ??= v;
        if (date === null) {
          date = { kind: "date", label: "", title: "", tokens: [] };
          chips.push(date);
        }
        date.tokens.push(t);
        break;
      }
      case "type":
        chips.push({ kind: "type", label: TYPE_NAMES[v.toLowerCase()] ?? v, title: `${TYPE_NAMES[v.toLowerCase()] ?? v} files only`, tokens: [t] });
        break;
      case "camera":
        chips.push({ kind: "camera", label: v, title: `Taken with a camera named “${v}”`, tokens: [t] });
        break;
      case "orientation":
        chips.push({ kind: "orientation", label: capitalise(v), title: `${capitalise(v)} photos only`, tokens: [t] });
        break;
      case "name":
        chips.push({ kind: "name", label: v, title: `File name contains “${v}”`, tokens: [t] });
        break;
      case "sort":
        chips.push({ kind: "sort", label: sortLabel(v), title: `Sorted ${sortLabel(v).toLowerCase()}`, tokens: [t] });
        break;
    }
  }
  if (date !== null) {
    const d: Chip = date;
    d.label = dateRangeLabel(after, before);
    d.title = `Taken ${describeRange(after, before)}`;
  }
  return chips;
}

function describeRange(after: string | null, before: string | null): string {
  const parts: string[] = [];
  if (after !== null) parts.push(`on or after ${after}`);
  if (before !== null) parts.push(`before ${before}`);
  return parts.join(" and ");
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}

function sortLabel(v: string): string {
  switch (v.toLowerCase()) {
    case "newest":
      return "Newest first";
    case "oldest":
      return "Oldest first";
    default:
      return "Best first";
  }
}

/** The text with `tokens` removed, each with one space beside it, so no gap is left. */
export function removeTokens(text: string, tokens: readonly Token[]): string {
  let out = text;
  for (const t of [...tokens].sort((a, b) => b.start - a.start)) {
    let start = t.start;
    let end = t.end;
    if (end < out.length && isSpace(out.charAt(end))) end++;
    else if (start > 0 && isSpace(out.charAt(start - 1))) start--;
    out = out.slice(0, start) + out.slice(end);
  }
  return out.trim();
}

/** `text` with `token` appended after one space. */
export function appendToken(text: string, token: string): string {
  const base = text.trimEnd();
  return base === "" ? token : `${base} ${token}`;
}

/** A value as the grammar reads it whole: quoted when it holds a space (quotes dropped). */
export function quoteValue(value: string): string {
  const v = value.replace(/"/g, "");
  return /\s/.test(v) || v === "" ? `"${v}"` : v;
}

/** The token the caret is in or just after, if any. */
export function tokenAt(text: string, caret: number): Token | null {
  for (const t of tokenize(text)) if (caret >= t.start && caret <= t.end) return t;
  return null;
}

/** Keys the box completes while they are typed, and what it offers for each. */
export type CompletionKey = "in" | "camera" | "type" | "orientation" | "sort";

/** A filter being typed at the caret: its key, token, and the value typed so far. */
export interface Completion {
  key: CompletionKey;
  token: Token;
  prefix: string;
}

const COMPLETED: ReadonlySet<string> = new Set(["in", "camera", "type", "orientation", "sort"]);

/** The filter being typed at `caret`, when it is one the box completes. */
export function completionAt(text: string, caret: number): Completion | null {
  const token = tokenAt(text, caret);
  if (token === null || token.key === null || !COMPLETED.has(token.key)) return null;
  if (token.quoted && !token.unclosed && caret === token.end && token.value !== "") return null;
  // Where the value starts: after `-`, `key:` and an opening quote.
  const valueStart = token.start + (token.negative ? 1 : 0) + token.key.length + 1 + (token.quoted ? 1 : 0);
  if (caret < valueStart - (token.quoted ? 1 : 0)) return null;
  const prefix = token.value.slice(0, Math.max(0, caret - valueStart));
  return { key: token.key as CompletionKey, token, prefix };
}

/** The text with the completion's token set to `key:value` and a space after it, and where the caret goes. */
export function applyCompletion(text: string, completion: Completion, value: string): { text: string; caret: number } {
  const { token, key } = completion;
  const written = `${token.negative ? "-" : ""}${key}:${quoteValue(value)}`;
  const rest = text.slice(token.end);
  const spaced = rest.startsWith(" ") ? rest : ` ${rest}`;
  const out = text.slice(0, token.start) + written + spaced;
  return { text: out, caret: token.start + written.length + 1 };
}

/** Static values of the keys whose values the grammar fixes. */
export const FIXED_VALUES: Record<"type" | "orientation" | "sort", readonly string[]> = {
  type: ["jpeg", "png", "webp", "gif", "tiff", "bmp", "heic", "avif", "jxl", "raw"],
  orientation: ["portrait", "landscape", "square"],
  sort: ["relevance", "newest", "oldest"],
};

/** `YYYY-MM` of the month after `month` (`YYYY-MM`). */
export function nextMonth(month: string): string {
  const [y, m] = month.split("-").map(Number);
  const year = y ?? 1970;
  const mon = m ?? 1;
  return mon >= 12 ? `${year + 1}-01` : `${year}-${String(mon + 1).padStart(2, "0")}`;
}

/** "Jun 2019" (or "June 2019" with `long`) for `YYYY-MM`. */
export function monthLabel(month: string, long = false): string {
  const [y, m] = month.split("-").map(Number);
  const names = long ? MONTHS_LONG : MONTHS;
  return `${names[(m ?? 1) - 1] ?? ""} ${y ?? ""}`.trim();
}

/** The text narrowed to one month: its `after:`/`before:` tokens replaced by the month's. */
export function withMonth(text: string, month: string): string {
  const dates = tokenize(text).filter((t) => t.key === "after" || t.key === "before");
  return appendToken(removeTokens(text, dates), `after:${month} before:${nextMonth(month)}`);
}
