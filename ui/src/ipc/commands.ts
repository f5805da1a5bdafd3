// The commands of docs/IPC.md as the UI calls them: thin wrappers of the generated
// `commands` (./bindings.ts, made from the Rust side), each rejecting with a `GlimpseError`.
import { commands, QUERY_PAGE_LIMIT } from "./bindings";
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
  SuggestKey,
  Suggestion,
} from "./types";
import type { Removed } from "./bindings";

async function call<T>(invoke: () => Promise<T>): Promise<T> {
  try {
    return await invoke();
  } catch (error) {
    throw toGlimpseError(error);
  }
}

/**
 * Most results one `query` returns, and the page the UI asks for: the shell's `PAGE_LIMIT`
 * (src-tauri/src/query.rs), exported into the generated bindings.
 */
export { QUERY_PAGE_LIMIT };

/**
 * A page of results for the search box's text (the query grammar) and example photos: the
 * good matches only (`scope: "good"`) or the whole ranking, good ones first (`"all"`). A
 * malformed text rejects with code `query` and a message naming the token at fault.
 */
export function query(request: QueryRequest): Promise<QueryResults> {
  return call(() => commands.query(request.text, request.examples, request.offset, request.limit, request.scope));
}

/**
 * Encodes the words of a text being typed so that its query, sent after the debounce, finds
 * them ready. Fire and forget: a failure here is reported by the query that follows.
 */
export function prefetchQuery(query: string): void {
  call(() => commands.prefetchQuery(query)).catch(() => undefined);
}

/** Values for the filter being typed: folder names (`in`) or cameras (`camera`) containing `prefix`. */
export function suggest(key: SuggestKey, prefix: string): Promise<Suggestion[]> {
  return call(() => commands.suggest(key, prefix));
}

/** The good matches of a text and its example photos by month, oldest first. */
export function timeline(text: string, examples: number[]): Promise<MonthCount[]> {
  return call(() => commands.timeline(text, examples));
}

/** Starts watching and indexing a folder. */
export function addFolder(path: string): Promise<Folder> {
  return call(() => commands.addFolder(path));
}

/** Forgets a folder (files on disk are untouched). */
export function removeFolder(path: string): Promise<null> {
  return call(() => commands.removeFolder(path));
}

/** Watched folders with counts. */
export function folders(): Promise<Folder[]> {
  return call(() => commands.folders());
}

/** Model, folders, counts, progress and failures. */
export function status(): Promise<Status> {
  return call(() => commands.status());
}

/** Details of one photo for the preview. */
export function photoDetails(photoId: number): Promise<PhotoDetails> {
  return call(() => commands.photoDetails(photoId));
}

/** Opens a photo in the default app. */
export function openPhoto(photoId: number): Promise<null> {
  return call(() => commands.openPhoto(photoId));
}

/** Shows a photo in the file manager. */
export function revealPhoto(photoId: number): Promise<null> {
  return call(() => commands.revealPhoto(photoId));
}

/** Pauses or resumes indexing. */
export function setPaused(paused: boolean): Promise<null> {
  return call(() => commands.setPaused(paused));
}

/**
 * Starts indexing again after it stopped for the whole library (`glimpse://stopped`): the
 * shell reopens the library, which rescans the folders. A cause still there stops it again.
 */
export function retryIndexing(): Promise<null> {
  return call(() => commands.retryIndexing());
}

/** Starts downloading the model (`null`: the default repository); progress comes as events. */
export function downloadModel(repo: string | null): Promise<null> {
  return call(() => commands.downloadModel(repo));
}

/** Uses a model from a local folder. */
export function useModelDir(path: string): Promise<ModelState> {
  return call(() => commands.useModelDir(path));
}

/** Current settings (the shell sends every field: see `Settings`). */
export function getSettings(): Promise<Settings> {
  return call(() => commands.getSettings() as Promise<Settings>);
}

/** Saves settings and returns them as stored. */
export function setSettings(settings: Settings): Promise<Settings> {
  return call(() => commands.setSettings(settings) as Promise<Settings>);
}

/** Hides the quick-search window. */
export function hideQuickSearch(): Promise<null> {
  return call(() => commands.hideQuickSearch());
}

/**
 * Starts dragging a photo out of the window as a file. The shell finds the file and its
 * thumbnail (the drag icon) from the id: the page never hands it a path.
 */
export function startDrag(photoId: number): Promise<null> {
  return call(() => commands.startDrag(photoId));
}

/** The catalogue with speeds, kept vectors and flags; every model with kept vectors; the switch. */
export function listModels(): Promise<ModelList> {
  return call(() => commands.listModels());
}

/**
 * Starts switching to `model` (a catalogue name, `hub:org/name[@rev]` or `dir:/path`). Resolves
 * at once with the switch as it starts (`null`: nothing to switch); progress comes as
 * `glimpse://model-switch`.
 */
export function switchModel(model: string): Promise<ModelSwitch | null> {
  return call(() => commands.switchModel(model));
}

/** Switches to the model being switched to now, before it has caught up. */
export function finishModelSwitch(): Promise<null> {
  return call(() => commands.finishModelSwitch());
}

/** Stops the switch under way (vectors made so far are kept). */
export function cancelModelSwitch(): Promise<null> {
  return call(() => commands.cancelModelSwitch());
}

/** Deletes the kept vectors of a model not in use. */
export function removeModelVectors(id: string): Promise<Removed> {
  return call(() => commands.removeModelVectors(id));
}
