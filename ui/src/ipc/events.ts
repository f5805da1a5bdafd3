// Typed subscriptions to the shell's events (docs/IPC.md), through the generated `events`
// (./bindings.ts, made from the Rust side), and to native file drops.
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { events } from "./bindings";
import { toGlimpseError } from "./error";
import type { DropEvent, DropPosition, Failure, ModelState, ModelSwitch, Progress } from "./types";

/** Stops a subscription. */
export type Unlisten = () => void;

/** A generated event: what `listen` needs of it. */
interface ShellEvent<T> {
  listen(callback: (event: { payload: T }) => void): Promise<Unlisten>;
}

async function on<T>(event: ShellEvent<T>, callback: (payload: T) => void): Promise<Unlisten> {
  try {
    return await event.listen((e) => callback(e.payload));
  } catch (error) {
    throw toGlimpseError(error);
  }
}

/** Indexing progress (≤ 10 Hz). */
export function onProgress(callback: (progress: Progress) => void): Promise<Unlisten> {
  return on(events.glimpseProgress, callback);
}

/** Indexing finished: nothing is pending. */
export function onIdle(callback: () => void): Promise<Unlisten> {
  return on(events.glimpseIdle, () => callback());
}

/** A file could not be indexed. */
export function onItemFailed(callback: (failure: Failure) => void): Promise<Unlisten> {
  return on(events.glimpseItemFailed, callback);
}

/** Folders or their counts changed: fetch them again. */
export function onFoldersChanged(callback: () => void): Promise<Unlisten> {
  return on(events.glimpseFoldersChanged, () => callback());
}

/** New thumbnails can be loaded for these content ids. */
export function onThumbnailsReady(callback: (contentIds: number[]) => void): Promise<Unlisten> {
  return on(events.glimpseThumbnailsReady, (payload) => callback(payload.contents));
}

/** The model changed state (download progress, ready, error). */
export function onModel(callback: (model: ModelState) => void): Promise<Unlisten> {
  return on(events.glimpseModel, callback);
}

/** A model switch moved on (`null`: none is under way any more). */
export function onModelSwitch(callback: (change: ModelSwitch | null) => void): Promise<Unlisten> {
  return on(events.glimpseModelSwitch, callback);
}

/**
 * Indexing stopped for the whole library (a full disk, a thumbnail folder that went away):
 * the reason, in words. Searching keeps working; `retryIndexing` starts it again.
 */
export function onStopped(callback: (message: string) => void): Promise<Unlisten> {
  return on(events.glimpseStopped, (payload) => callback(payload.message));
}

/**
 * Native drags of files over this window. The web page's own drag events do not see OS
 * files in Tauri (its drop handler takes them), so this is the only way to get the paths.
 */
export async function onDragDrop(callback: (event: DropEvent) => void): Promise<Unlisten> {
  try {
    // The shell reports physical pixels; the page lays out in CSS pixels.
    const css = (p: { x: number; y: number } | undefined): DropPosition | undefined => {
      if (!p) return undefined;
      const scale = window.devicePixelRatio || 1;
      return { x: p.x / scale, y: p.y / scale };
    };
    return await getCurrentWebview().onDragDropEvent((event) => {
      const p = event.payload;
      switch (p.type) {
        case "enter":
          callback({ type: "enter", paths: p.paths, position: css(p.position) });
          break;
        case "over":
          callback({ type: "over", position: css(p.position) });
          break;
        case "drop":
          callback({ type: "drop", paths: p.paths, position: css(p.position) });
          break;
        default:
          callback({ type: "leave" });
      }
    });
  } catch (error) {
    throw toGlimpseError(error);
  }
}
