// Typed wrappers of every command in docs/IPC.md. Each rejects with a `GlimpseError`.
import { invoke, type InvokeArgs } from "@tauri-apps/api/core";
import { toGlimpseError } from "./error";
import type {
  Folder,
  ModelList,
  ModelState,
  ModelSwitch,
  MonthCount,
  PhotoDetails,
  QueryRequest,
  QueryResults,
  Settings,
  Status,
  Suggestion,
} from "./types";

/**
 * The names the shell registers its commands under. Tauri calls a command by the name of
 * its Rust function (only argument names are converted to camelCase), so these must match
 * the `#[tauri::command]` functions exactly; they follow docs/IPC.md.
 */
export const COMMANDS = {
  query: "query",
  suggest: "suggest",
  timeline: "timeline",
  prefetchQuery: "prefetchQuery",
  addFolder: "addFolder",
  removeFolder: "removeFolder",
  folders: "folders",
  status: "status",
  photoDetails: "photoDetails",
  openPhoto: "openPhoto",
  revealPhoto: "revealPhoto",
  setPaused: "setPaused",
  retryIndexing: "retryIndexing",
  downloadModel: "downloadModel",
  useModelDir: "useModelDir",
  getSettings: "getSettings",
  setSettings: "setSettings",
  hideQuickSearch: "hideQuickSearch",
  startDrag: "startDrag",
  listModels: "listModels",
  switchModel: "switchModel",
  finishModelSwitch: "finishModelSwitch",
  cancelModelSwitch: "cancelModelSwitch",
  removeModelVectors: "removeModelVectors",
} as const;

/** A command name of the contract. */
export type CommandName = keyof typeof COMMANDS;

async function call<T>(command: CommandName, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(COMMANDS[command], args);
  } catch (error) {
    throw toGlimpseError(error);
  }
}

/**
 * Most results one `query` returns, and the page the UI asks for: the shell's `PAGE_LIMIT`
 * (src-tauri/src/query.rs) and docs/IPC.md say the same, and a test holds them equal.
 */
export const QUERY_PAGE_LIMIT = 400;

/**
 * A page of results for the search box's text (the query grammar) and example photos: the
 * good matches only (`scope: "good"`) or the whole ranking, good ones first (`"all"`). A
 * malformed text rejects with code `query` and a message naming the token at fault.
 */
export function query(request: QueryRequest): Promise<QueryResults> {
  return call("query", { ...request });
}

/**
 * Encodes the words of a text being typed so that its query, sent after the debounce, finds
 * them ready. Fire and forget: a failure here is reported by the query that follows.
 */
export function prefetchQuery(query: string): void {
  call("prefetchQuery", { query }).catch(() => undefined);
}

/** Values for the filter being typed: folder names (`in`) or cameras (`camera`) containing `prefix`. */
export function suggest(key: "in" | "camera", prefix: string): Promise<Suggestion[]> {
  return call("suggest", { key, prefix });
}

/** The good matches of a text and its example photos by month, oldest first. */
export function timeline(text: string, examples: number[]): Promise<MonthCount[]> {
  return call("timeline", { text, examples });
}

/** Starts watching and indexing a folder. */
export function addFolder(path: string): Promise<Folder> {
  return call("addFolder", { path });
}

/** Forgets a folder (files on disk are untouched). */
export function removeFolder(path: string): Promise<null> {
  return call("removeFolder", { path });
}

/** Watched folders with counts. */
export function folders(): Promise<Folder[]> {
  return call("folders");
}

/** Model, folders, counts, progress and failures. */
export function status(): Promise<Status> {
  return call("status");
}

/** Details of one photo for the preview. */
export function photoDetails(photoId: number): Promise<PhotoDetails> {
  return call("photoDetails", { photoId });
}

/** Opens a photo in the default app. */
export function openPhoto(photoId: number): Promise<null> {
  return call("openPhoto", { photoId });
}

/** Shows a photo in the file manager. */
export function revealPhoto(photoId: number): Promise<null> {
  return call("revealPhoto", { photoId });
}

/** Pauses or resumes indexing. */
export function setPaused(paused: boolean): Promise<null> {
  return call("setPaused", { paused });
}

/**
 * Starts indexing again after it stopped for the whole library (`glimpse://stopped`): the
 * shell reopens the library, which rescans the folders. A cause still there stops it again.
 */
export function retryIndexing(): Promise<null> {
  return call("retryIndexing");
}

/** Starts downloading the model (`null`: the default repository); progress comes as events. */
export function downloadModel(repo: string | null): Promise<null> {
  return call("downloadModel", { repo });
}

/** Uses a model from a local folder. */
export function useModelDir(path: string): Promise<ModelState> {
  return call("useModelDir", { path });
}

/** Current settings. */
export function getSettings(): Promise<Settings> {
  return call("getSettings");
}

/** Saves settings and returns them as stored. */
export function setSettings(settings: Settings): Promise<Settings> {
  return call("setSettings", { settings });
}

/** Hides the quick-search window. */
export function hideQuickSearch(): Promise<null> {
  return call("hideQuickSearch");
}

/**
 * Starts dragging a photo out of the window as a file. The shell finds the file and its
 * thumbnail (the drag icon) from the id: the page never hands it a path.
 */
export function startDrag(photoId: number): Promise<null> {
  return call("startDrag", { photoId });
}

/** The catalogue with speeds, kept vectors and flags; every model with kept vectors; the switch. */
export function listModels(): Promise<ModelList> {
  return call("listModels");
}

/**
 * Starts switching to `model` (a catalogue name, `hub:org/name[@rev]` or `dir:/path`). Resolves
 * at once with the switch as it starts (`null`: nothing to switch); progress comes as
 * `glimpse://model-switch`.
 */
export function switchModel(model: string): Promise<ModelSwitch | null> {
  return call("switchModel", { model });
}

/** Switches to the model being switched to now, before it has caught up. */
export function finishModelSwitch(): Promise<null> {
  return call("finishModelSwitch");
}

/** Stops the switch under way (vectors made so far are kept). */
export function cancelModelSwitch(): Promise<null> {
  return call("cancelModelSwitch");
}

/** Deletes the kept vectors of a model not in use. */
export function removeModelVectors(id: string): Promise<{ removed: number }> {
  return call("removeModelVectors", { id });
}
