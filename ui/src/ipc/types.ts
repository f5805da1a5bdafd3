// Types of the IPC contract. The shell's types are generated from the Rust side into
// ./bindings.ts (docs/IPC.md, "How the contract is made"); this module re-exports them under
// the names the UI uses and adds the few types that are the UI's own.
import type { Scope, Settings as ShellSettings, Term, ThumbnailsReadyEvent } from "./bindings";

export type {
  Architecture,
  Calibration,
  CatalogueModel,
  ErrorCode as ShellErrorCode,
  Failure,
  FileType,
  Filters,
  Folder,
  Hit,
  IpcError,
  ModelList,
  ModelState,
  ModelSwitch,
  MonthCount,
  Orientation,
  ParsedQuery,
  Period,
  PhotoDetails,
  Progress,
  QueryResults,
  Retrieval,
  Scope,
  Sort,
  Status,
  StoredModel,
  SuggestKey,
  Suggestion,
  SwitchPhase,
  TermKind,
} from "./bindings";

/**
 * The settings as `getSettings`/`setSettings` answer them: every field. (The generated type
 * marks the fields optional because the shell also accepts a partial object, filling in
 * defaults, as it does for an old settings file.)
 */
export type Settings = Required<ShellSettings>;

/** One part of a query's meaning (the shell's `Term`). */
export type QueryTerm = Term;

/** Payload of `glimpse://thumbnails-ready`. */
export type ThumbnailsReady = ThumbnailsReadyEvent;

/** The arguments of `query`, as one value (the UI's own bundle of the command's arguments). */
export interface QueryRequest {
  /** The search box's text, in the query grammar (docs/QUERY.md). */
  text: string;
  /** Photo ids added as examples ("Add to query"). */
  examples: number[];
  /** Results to skip. */
  offset: number;
  /** Results to return, at most `QUERY_PAGE_LIMIT`. */
  limit: number;
  scope: Scope;
}

/** A native file drag over the window, reduced to what the UI uses. */
export type DropEvent =
  | { type: "enter"; paths: string[]; position?: DropPosition }
  | { type: "over"; position?: DropPosition }
  | { type: "drop"; paths: string[]; position?: DropPosition }
  | { type: "leave" };

/** Where a native drag is over the window, in CSS pixels of the page. */
export interface DropPosition {
  x: number;
  y: number;
}
