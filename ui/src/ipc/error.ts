import { ERROR_CODES, type ErrorCode as ShellErrorCode } from "./bindings";

// The one error type of the UI. Every failing command rejects with `{ code, message }`;
// the UI branches on `code` and shows `message`, never the code.

/** Error codes the shell sends (generated from src-tauri/src/error.rs), plus `unknown` for anything else. */
export type ErrorCode = ShellErrorCode | "unknown";

const KNOWN_CODES: ReadonlySet<string> = new Set<string>(ERROR_CODES);

// Shown only when the shell sends a code without a message: a sentence is always shown.
// A code added on the Rust side fails the typecheck here until it has one.
const FALLBACK_MESSAGES: Record<ErrorCode, string> = {
  no_model: "The AI model is not installed yet.",
  model_download: "The AI model could not be downloaded.",
  not_a_folder: "That is not a folder.",
  unknown_folder: "That folder is not in Glimpse.",
  unknown_photo: "That photo is no longer in Glimpse.",
  image: "The image could not be read.",
  io: "A file could not be read or written.",
  catalog: "The photo catalog could not be updated.",
  vectors: "The search index could not be updated.",
  model: "The AI model failed.",
  model_in_use: "That model is in use.",
  stopped: "Glimpse is shutting down.",
  invalid: "That request was not valid.",
  in_use: "This library is open in another Glimpse.",
  watch: "A folder could not be watched for changes.",
  query: "The search could not be understood.",
  superseded: "A newer search replaced this one.",
  unknown: "Something went wrong.",
};

/** An error from the shell (or the UI), with a user-facing sentence. */
export class GlimpseError extends Error {
  /** What kind of error; for branching only, never shown. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "GlimpseError";
    this.code = code;
  }
}

function asSentence(text: string): string {
  const t = text.trim();
  if (t === "") return "";
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

/** Converts anything a command or plugin can reject with into a `GlimpseError`. */
export function toGlimpseError(error: unknown): GlimpseError {
  if (error instanceof GlimpseError) return error;
  if (typeof error === "object" && error !== null && "code" in error) {
    const raw = error as { code: unknown; message?: unknown };
    const code: ErrorCode =
      typeof raw.code === "string" && KNOWN_CODES.has(raw.code) ? (raw.code as ErrorCode) : "unknown";
    const message = typeof raw.message === "string" ? asSentence(raw.message) : "";
    return new GlimpseError(code, message || FALLBACK_MESSAGES[code]);
  }
  // Tauri itself (a missing command, a denied permission) and plugins reject with strings.
  if (typeof error === "string") return new GlimpseError("unknown", asSentence(error) || FALLBACK_MESSAGES.unknown);
  if (error instanceof Error) return new GlimpseError("unknown", asSentence(error.message) || FALLBACK_MESSAGES.unknown);
  return new GlimpseError("unknown", FALLBACK_MESSAGES.unknown);
}

/** The sentence to show for any error. */
export function errorMessage(error: unknown): string {
  return toGlimpseError(error).message;
}
