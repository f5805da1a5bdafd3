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
  /** Cosine similarity, higher is closer (0..1 typical). */
  score: number;
  /** How many other files show this picture: identical copies, and the raw/JPEG files of the same shot. */
  duplicates: number;
  /** Those other files' names, copies first. */
  others: string[];
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

/** State of the CLIP model. */
export type ModelState =
  | { state: "ready"; id: string; source: string }
  | { state: "missing"; defaultRepo: string }
  | { state: "downloading"; file: string; done: number; total: number | null }
  | { state: "error"; message: string };

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
  /** `"hub:<repo>"` or `"dir:<path>"`. */
  modelSource: string;
  /** Inference threads; 0 lets the shell choose. */
  cpuThreads: number;
  /** Thumbnail cache folder; null for the default. */
  thumbnailDir: string | null;
  launchAtLogin: boolean;
}

/** Payload of `glimpse://thumbnails-ready`. */
export interface ThumbnailsReady {
  contents: number[];
}

/** A native file drag over the window, reduced to what the UI uses. */
export type DropEvent =
  | { type: "enter"; paths: string[] }
  | { type: "over" }
  | { type: "drop"; paths: string[] }
  | { type: "leave" };
