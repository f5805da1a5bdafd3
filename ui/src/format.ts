// Formatting numbers, sizes, durations and dates for people (the user's locale).

const counts = new Intl.NumberFormat();
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** 12345 → "12,345". */
export function formatCount(n: number): string {
  return counts.format(n);
}

/** "1 photo", "2 photos". */
export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** Bytes → "3.2 MB" (decimal units, as file managers show). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  if (bytes < 1000) return `${formatCount(bytes)} bytes`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${oneDecimal.format(value)} ${units[unit]}`;
}

/** Photos per second → "12.5 photos/s". */
export function formatRate(rate: number | null): string {
  if (rate === null || !Number.isFinite(rate) || rate <= 0) return "";
  return `${oneDecimal.format(rate)} photos/s`;
}

/** Seconds left → "about 3 min left" (rounded up so it never reads as done early). */
export function formatRemaining(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "";
  if (seconds < 60) return "less than a minute left";
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `about ${minutes} min left`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `about ${hours} h left` : `about ${hours} h ${rest} min left`;
}

/** Time left for indexing from done/total/rate, or "" when unknown. */
export function remainingText(done: number, total: number, rate: number | null): string {
  if (rate === null || rate <= 0 || total <= done) return "";
  return formatRemaining((total - done) / rate);
}

/** Unix time (seconds, or milliseconds when that large) → a local date and time. */
export function formatTakenAt(takenAt: number): string {
  const ms = Math.abs(takenAt) >= 1e11 ? takenAt : takenAt * 1000;
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "4032 × 3024". */
export function formatDimensions(width: number | null, height: number | null): string {
  return width && height ? `${formatCount(width)} × ${formatCount(height)}` : "";
}

/** Last part of a path, for either separator ("/a/b/" → "b"). */
export function baseName(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, "");
  const cut = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\"));
  return (cut >= 0 ? trimmed.slice(cut + 1) : trimmed) || path;
}

/** Score 0..1 → "0.31". */
export function formatScore(score: number | null): string {
  return score === null ? "–" : score.toFixed(2);
}
