// Typed subscriptions to the shell's events (docs/IPC.md) and to native file drops.
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { toGlimpseError } from "./error";
import type { DropEvent, DropPosition, Failure, ModelState, ModelSwitch, Progress, ThumbnailsReady } from "./types";

/** Stops a subscription. */
export type Unlisten = () => void;

/** Event names of the contract. */
export const EVENTS = {
  progress: "glimpse://progress",
  idle: "glimpse://idle",
  itemFailed: "glimpse://item-failed",
  foldersChanged: "glimpse://folders-changed",
  thumbnailsReady: "glimpse://thumbnails-ready",
  model: "glimpse://model",
  modelSwitch: "glimpse://model-switch",
  stopped: "glimpse://stopped",
} as const;

async function on<T>(name: string, callback: (payload: T) => void): Promise<Unlisten> {
  try {
    const unlisten: UnlistenFn = await listen<T>(name, (event) => callback(event.payload));
    return unlisten;
  } catch (error) {
    throw toGlimpseError(error);
  }
}

/** Indexing progress (≤ 10 Hz). */
export function onProgress(callback: (progress: Progress) => void): Promise<Unlisten> {
  return on(EVENTS.progress, callback);
}

/** Indexing finished: nothing is pending. */
export function onIdle(callback: () => void): Promise<Unlisten> {
  return on<null>(EVENTS.idle, () => callback());
}

/** A file could not be indexed. */
export function onItemFailed(callback: (failure: Failure) => void): Promise<Unlisten> {
  return on(EVENTS.itemFailed, callback);
}

/** Folders or their counts changed: fetch them again. */
export function onFoldersChanged(callback: () => void): Promise<Unlisten> {
  return on<null>(EVENTS.foldersChanged, () => callback());
}

/** New thumbnails can be loaded for these content ids. */
export function onThumbnailsReady(callback: (contentIds: number[]) => void): Promise<Unlisten> {
  return on<ThumbnailsReady>(EVENTS.thumbnailsReady, (payload) => callback(payload.contents));
}

/** The model changed state (download progress, ready, error). */
export function onModel(callback: (model: ModelState) => void): Promise<Unlisten> {
  return on(EVENTS.model, callback);
}

/** A model switch moved on (`null`: none is under way any more). */
export function onModelSwitch(callback: (change: ModelSwitch | null) => void): Promise<Unlisten> {
  return on(EVENTS.modelSwitch, callback);
}

/**
 * Indexing stopped for the whole library (a full disk, a thumbnail folder that went away):
 * the reason, in words. Searching keeps working; `retryIndexing` starts it again.
 */
export function onStopped(callback: (message: string) => void): Promise<Unlisten> {
  return on<{ message: string }>(EVENTS.stopped, (payload) => callback(payload.message));
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
