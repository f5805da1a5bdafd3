// Types of the IPC contract (docs/IPC.md). Field names are exactly what the shell sends.

/** One search result. */
export interface Hit {
  /** Photo id: for details, open, reveal and similar. */
  photoId: number;
  /** Thumbnail key: see `thumbUrl`. */
  contentId: number;
  /** Absolute path, for display only. */
  path: string;
  /** File name. */
  name: string;
  /** How well it matches (cosine units of the query's main line), higher is closer. */
  score: number;
  /** A good match: on the model's side of its calibrated line (docs/GOOD-MATCHES.md). */
  good: boolean;
  /** EXIF capture time, seconds since the epoch, when known. */
  taken: number | null;
  /** How many other files show this picture: identical copies, and the raw/JPEG files of the same shot. */
  duplicates: number;
  /** Those other files' names, copies first. */
  others: string[];
}

/** Which results a query returns: the good matches only, or the whole ranking (good first). */
export type Scope = "good" | "all";

/** The arguments of `query`. */
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

/** A date of the grammar (`after:2019-06` is `{ year: 2019, month: 6, day: null }`). */
export interface Period {
  year: number;
  month: number | null;
  day: number | null;
}

/** One part of a query's meaning: a text (or, from the CLI, an example file), signed and weighted. */
export interface QueryTerm {
  kind: { kind: "text"; value: string } | { kind: "like"; value: string };
  weight: number;
  /** Written with `-`: pushed away from the results. */
  negative: boolean;
}

/** The search box's text as the shell understood it. */
export interface ParsedQuery {
  terms: QueryTerm[];
  filters: {
    folders: string[];
    after: Period | null;
    before: Period | null;
    types: string[];
    cameras: string[];
    orientation: "portrait" | "landscape" | "square" | null;
    names: string[];
  };
  sort: "relevance" | "newest" | "oldest";
}

/** The answer of `query`. */
export interface QueryResults {
  /** The page asked for. */
  hits: Hit[];
  /** Good matches in all (at most 1000). */
  good: number;
  /** There are more good matches than `good` says. */
  goodCapped: boolean;
  /** Results in all for the scope asked, as far as they were ranked. */
  total: number;
  /** The folders `in:` stood for. */
  folders: string[];
  understood: ParsedQuery;
}

/** A value offered while a filter is typed, with the photos it selects. */
export interface Suggestion {
  value: string;
  count: number;
}

/** Good matches in one month. */
export interface MonthCount {
  /** `YYYY-MM`. */
  month: string;
  count: number;
}

/** A watched folder and its counts. */
export interface Folder {
  id: number;
  path: string;
  photos: number;
  indexed: number;
  pending: number;
  failed: number;
}

/** Indexing progress, pushed by `glimpse://progress`. */
export interface Progress {
  done: number;
  total: number;
  current: string | null;
  /** Photos per second. */
  rate: number;
  paused: boolean;
}

/** A file that could not be indexed, and why (a sentence). */
export interface Failure {
  path: string;
  reason: string;
}

/** State of the model that answers searches. */
export type ModelState =
  | { state: "ready"; id: string; source: string }
  | { state: "missing"; defaultRepo: string; downloadBytes: number | null }
  | { state: "downloading"; file: string; done: number; total: number | null }
  | { state: "error"; message: string };

/** Where a model switch stands (`glimpse://model-switch`, `status.switch`). */
export type SwitchPhase =
  /** The new model's files are being fetched; `done`/`total` cover the whole download. */
  | { phase: "downloading"; file: string; done: number; total: number | null }
  /** The new model is being loaded beside the current one. */
  | { phase: "loading" }
  /** The library is being re-embedded: `done` of `total` distinct pictures have a vector. */
  | { phase: "embedding"; done: number; total: number }
  /** The switch failed; the current model still answers. */
  | { phase: "error"; message: string };

/** A model switch under way. */
export type ModelSwitch = {
  /** The model being switched to, as settings store it (`clip-b32`, `hub:org/name`, `dir:/path`). */
  model: string;
  /** Its name for people. */
  title: string;
  /** The model that answers searches meanwhile. */
  fromTitle: string | null;
} & SwitchPhase;

/** A published retrieval figure. */
export interface Retrieval {
  /** COCO 5k, text → image, Recall@1 (%). */
  cocoTextToImageR1: number;
  /** COCO 5k, image → text, Recall@1 (%). */
  cocoImageToTextR1: number;
  /** Where the figures are published. */
  source: string;
}

/** A model of the catalogue, with what this computer and library know of it. */
export interface CatalogueModel {
  /** Short name, what `switchModel` takes. */
  name: string;
  title: string;
  /** Hugging Face repo. */
  repo: string;
  revision: string | null;
  architecture: "clip" | "siglip";
  downloadBytes: number;
  /** Length of its vectors. */
  dim: number;
  /** Side of the square image it sees (px). */
  imageSize: number;
  languages: string;
  multilingual: boolean;
  retrieval: Retrieval;
  /** One sentence on when to choose it. */
  summary: string;
  /** Images/second measured on this computer the first time it indexed. */
  measuredImagesPerSecond: number | null;
  measuredDevice: string | null;
  /** Vectors this library keeps for it. */
  storedVectors: number;
  inUse: boolean;
  switchingTo: boolean;
  default: boolean;
  /** Its files are on this computer. */
  downloaded: boolean;
}

/** A model whose vectors the library keeps. */
export interface StoredModel {
  /** Embedder id: what `removeModelVectors` takes. */
  id: string;
  title: string;
  catalogueName: string | null;
  vectors: number;
  searching: boolean;
  switchingTo: boolean;
}

/** The answer of `listModels`. */
export interface ModelList {
  models: CatalogueModel[];
  stored: StoredModel[];
  switch: ModelSwitch | null;
}

/** Everything the UI needs at start, from the `status` command. */
export interface Status {
  model: ModelState;
  folders: Folder[];
  photos: number;
  indexed: number;
  pending: number;
  failed: number;
  progress: Progress;
  /** The first 1000 failures. */
  failures: Failure[];
  /** The model switch under way, if any. */
  switch: ModelSwitch | null;
  /** Why indexing stopped for the whole library (disk full, thumbnail folder gone), if it did. */
  stopped: string | null;
}

/** Details shown in the preview. */
export interface PhotoDetails {
  id: number;
  path: string;
  name: string;
  /** Bytes. */
  size: number;
  contentId: number | null;
  width: number | null;
  height: number | null;
  format: string | null;
  /** When the photo was taken (Unix seconds; milliseconds are recognised too). */
  takenAt: number | null;
  camera: string | null;
  failure: string | null;
}

/** User settings. */
export interface Settings {
  /** The model in use: a catalogue name, `"hub:<repo>[@rev]"` or `"dir:<path>"` (changed by `switchModel`, not `setSettings`). */
  modelSource: string;
  /** The model a switch under way goes to (kept across restarts). */
  nextModelSource: string | null;
  /** Threads that decode photos while indexing; 0 lets the shell choose (cores − 1). Applies at the next start. */
  cpuThreads: number;
  /** The share of the CPU indexing may use, in percent (10–100); applied at once. */
  cpuLimit: number;
  /** Thumbnail cache folder; null for the default. */
  thumbnailDir: string | null;
  launchAtLogin: boolean;
  /** Where good matches end: −2 (looser) … +2 (stricter) steps from the model's line; applied at once. */
  sensitivity: number;
}

/** Payload of `glimpse://thumbnails-ready`. */
export interface ThumbnailsReady {
  contents: number[];
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
