// What the shell tells about the library (model, folders, counts, progress, failures),
// kept in one place and fed by the `status` command and the shell's events.
import * as ipc from "./ipc";
import type { Failure, Folder, ModelState, ModelSwitch, Progress, Status } from "./ipc";

/** Snapshot of the library for the views. */
export interface LibraryState {
  /** The first `status` answer arrived. */
  readonly loaded: boolean;
  readonly model: ModelState | null;
  readonly folders: readonly Folder[];
  readonly photos: number;
  readonly indexed: number;
  readonly pending: number;
  readonly failed: number;
  readonly progress: Progress;
  readonly failures: readonly Failure[];
  /** The model switch under way, if any. */
  readonly modelSwitch: ModelSwitch | null;
  /** Why indexing stopped for the whole library (disk full, thumbnail folder gone), if it did. */
  readonly indexingStopped: string | null;
  /** A retry after such a stop is under way. */
  readonly retrying: boolean;
  /** Why the first status could not be loaded (the app then offers to try again). */
  readonly loadError: string | null;
  /** Its code: `in_use` means another Glimpse has the library and the shell is waiting. */
  readonly loadErrorCode: ipc.ErrorCode | null;
}

/** Things the app reacts to. */
export interface LibraryHooks {
  /** An action failed: show its message. */
  onError(error: unknown): void;
  /** Indexing finished (results may have changed). */
  onIdle?(): void;
  /** New thumbnails. */
  onThumbnails?(contentIds: number[]): void;
  /** The model became ready, or another model now answers searches (results change). */
  onModelReady?(): void;
  /** A folder was added (for a confirmation). */
  onFolderAdded?(folder: Folder): void;
}

/** The shell sends at most this many failures in `status`; the list is capped the same. */
export const MAX_FAILURES = 1000;
/** Counts are refetched at most this often while progress events stream in. */
export const STATUS_REFRESH_MS = 2000;

const NO_PROGRESS: Progress = { done: 0, total: 0, current: null, rate: 0, paused: false };

/** Whether indexing has work left. */
export function isIndexing(state: LibraryState): boolean {
  return state.progress.total > state.progress.done;
}

/** Live library state. */
export class Library {
  private current: LibraryState = {
    loaded: false,
    model: null,
    folders: [],
    photos: 0,
    indexed: 0,
    pending: 0,
    failed: 0,
    progress: NO_PROGRESS,
    failures: [],
    modelSwitch: null,
    indexingStopped: null,
    retrying: false,
    loadError: null,
    loadErrorCode: null,
  };
  private readonly listeners = new Set<(state: LibraryState) => void>();
  private readonly unlisteners: ipc.Unlisten[] = [];
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private reloadSeq = 0;
  private stopped = false;

  constructor(private readonly hooks: LibraryHooks) {}

  /** Current snapshot. */
  get state(): LibraryState {
    return this.current;
  }

  /** Calls `listener` on every change (and once now). Returns the unsubscribe function. */
  subscribe(listener: (state: LibraryState) => void): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }

  /** Subscribes to the shell's events, then loads the status. */
  async start(): Promise<void> {
    const subscriptions: Promise<ipc.Unlisten>[] = [
      ipc.onProgress((progress) => {
        this.update({ progress });
        this.scheduleRefresh();
      }),
      ipc.onIdle(() => {
        this.update({ progress: { ...this.current.progress, done: this.current.progress.total, current: null } });
        void this.reload();
        this.hooks.onIdle?.();
      }),
      ipc.onItemFailed((failure) => {
        const rest = this.current.failures.filter((f) => f.path !== failure.path);
        this.update({ failures: [failure, ...rest].slice(0, MAX_FAILURES) });
      }),
      ipc.onFoldersChanged(() => void this.reload()),
      ipc.onThumbnailsReady((ids) => this.hooks.onThumbnails?.(ids)),
      ipc.onModel((model) => this.setModel(model)),
      ipc.onModelSwitch((modelSwitch) => this.update({ modelSwitch })),
      ipc.onStopped((message) => this.update({ indexingStopped: message })),
    ];
    const results = await Promise.allSettled(subscriptions);
    for (const r of results) {
      if (r.status === "fulfilled") {
        if (this.stopped) r.value();
        else this.unlisteners.push(r.value);
      } else {
        this.hooks.onError(r.reason);
      }
    }
    await this.reload();
  }

  /** Fetches the status again. */
  async reload(): Promise<void> {
    const seq = ++this.reloadSeq;
    let status: Status;
    try {
      status = await ipc.status();
    } catch (error) {
      if (seq !== this.reloadSeq || this.stopped) return;
      // Before the first answer the main area says what failed; later, a toast does.
      if (this.current.loaded) this.hooks.onError(error);
      else {
        const e = ipc.toGlimpseError(error);
        this.update({ loadError: e.message, loadErrorCode: e.code });
      }
      return;
    }
    // A slower, older answer must not overwrite a newer one.
    if (seq !== this.reloadSeq || this.stopped) return;
    this.setModel(status.model, false);
    this.update({
      loaded: true,
      loadError: null,
      loadErrorCode: null,
      folders: status.folders,
      photos: status.photos,
      indexed: status.indexed,
      pending: status.pending,
      failed: status.failed,
      progress: status.progress,
      failures: status.failures.slice(0, MAX_FAILURES),
      modelSwitch: status.switch ?? null,
      indexingStopped: status.stopped ?? null,
    });
  }

  /**
   * Starts indexing again after it stopped: the shell reopens the library (a rescan). A
   * cause still there stops it again, which the status and the event then say.
   */
  async retryIndexing(): Promise<void> {
    if (this.current.retrying) return;
    this.update({ retrying: true });
    try {
      await ipc.retryIndexing();
    } catch (error) {
      this.hooks.onError(error);
    } finally {
      this.update({ retrying: false });
    }
    await this.reload();
  }

  /** Adds folders one by one; each failure is reported with its own message. */
  async addFolders(paths: readonly string[]): Promise<void> {
    for (const path of paths) {
      try {
        const folder = await ipc.addFolder(path);
        this.hooks.onFolderAdded?.(folder);
      } catch (error) {
        this.hooks.onError(error);
      }
    }
    if (paths.length > 0) await this.reload();
  }

  /** Removes a folder from the library. */
  async removeFolder(path: string): Promise<void> {
    try {
      await ipc.removeFolder(path);
    } catch (error) {
      this.hooks.onError(error);
    }
    await this.reload();
  }

  /** Pauses or resumes indexing; the button flips at once and flips back on failure. */
  async setPaused(paused: boolean): Promise<void> {
    const before = this.current.progress;
    this.update({ progress: { ...before, paused } });
    try {
      await ipc.setPaused(paused);
    } catch (error) {
      this.update({ progress: { ...this.current.progress, paused: before.paused } });
      this.hooks.onError(error);
    }
  }

  /** Starts the model download (progress arrives as `glimpse://model`). */
  async downloadModel(repo: string | null): Promise<void> {
    try {
      await ipc.downloadModel(repo);
    } catch (error) {
      this.hooks.onError(error);
    }
  }

  /** Uses a model folder. */
  async useModelDir(path: string): Promise<void> {
    try {
      this.setModel(await ipc.useModelDir(path));
    } catch (error) {
      this.hooks.onError(error);
    }
  }

  /** Unsubscribes from everything. */
  stop(): void {
    this.stopped = true;
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    for (const unlisten of this.unlisteners.splice(0)) unlisten();
    this.listeners.clear();
  }

  private setModel(model: ModelState, notify = true): void {
    const before = this.current.model;
    const readyId = before?.state === "ready" ? before.id : null;
    this.current = { ...this.current, model };
    if (notify) this.emit();
    // A switch ending changes the model that answers: the results are asked for again.
    if (model.state === "ready" && model.id !== readyId && this.current.loaded) this.hooks.onModelReady?.();
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer !== null || this.stopped) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.reload();
    }, STATUS_REFRESH_MS);
  }

  private update(patch: Partial<LibraryState>): void {
    this.current = { ...this.current, ...patch };
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.current);
  }
}
