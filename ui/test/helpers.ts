// Test doubles shared by the suites: a mocked shell (Tauri's own mockIPC), hits, deferreds.
import { clearMocks, mockConvertFileSrc, mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import type { Folder, Hit, ParsedQuery, QueryResults, Status } from "../src/ipc";
import { tokenize } from "../src/querytext";

/** A promise resolved or rejected from the outside. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** `n` hits whose names start with `prefix`, ids from `firstId`; the first `good` are good matches (all by default). */
export function makeHits(n: number, prefix = "photo", firstId = 1, good = n): Hit[] {
  return Array.from({ length: n }, (_, i) => {
    const id = firstId + i;
    return {
      photoId: id,
      contentId: 1000 + id,
      path: `/photos/${prefix}-${id}.jpg`,
      name: `${prefix}-${id}.jpg`,
      score: 0.5 - i / (2 * Math.max(1, n)),
      good: i < good,
      taken: null,
      duplicates: 0,
      others: [],
    };
  });
}

/** What the shell understands of `text`: its words as one term, negatives, and no filters. */
export function understood(text: string): ParsedQuery {
  const terms: ParsedQuery["terms"] = [];
  const words: string[] = [];
  for (const t of tokenize(text)) {
    if (t.key !== null) continue;
    if (t.negative) terms.push({ kind: { kind: "text", value: t.value }, weight: 1, negative: true });
    else words.push(t.value);
  }
  if (words.length > 0) terms.unshift({ kind: { kind: "text", value: words.join(" ") }, weight: 1, negative: false });
  return {
    terms,
    filters: { folders: [], after: null, before: null, types: [], cameras: [], orientation: null, names: [] },
    sort: "relevance",
  };
}

/** One page of `ranking` (good matches first) as the shell's `query` answers it for `args`. */
export function pageOf(ranking: readonly Hit[], args: Record<string, unknown>): QueryResults {
  const good = ranking.filter((h) => h.good);
  const scoped = args.scope === "all" ? ranking : good;
  const offset = Number(args.offset ?? 0);
  const limit = Number(args.limit ?? 400);
  return {
    hits: scoped.slice(offset, offset + limit),
    good: Math.min(good.length, 1000),
    goodCapped: good.length > 1000,
    total: scoped.length,
    folders: [],
    understood: understood(String(args.text ?? "")),
  };
}

/** A fake `query` command: `rank` gives the whole ranking for the request, paged like the shell. */
export function queryHandler(rank: (text: string, args: Record<string, unknown>) => readonly Hit[]): Handler {
  return (args) => pageOf(rank(String(args.text ?? ""), args), args);
}

export function folder(path: string, photos: number, indexed: number, pending: number, failed: number, id = 1): Folder {
  return { id, path, photos, indexed, pending, failed };
}

/** A ready library with the given folders. */
export function readyStatus(folders: Folder[] = [folder("/photos", 10, 10, 0, 0)], overrides: Partial<Status> = {}): Status {
  return {
    model: { state: "ready", id: "clip", source: "hub:openai/clip-vit-base-patch32" },
    folders,
    photos: folders.reduce((n, f) => n + f.photos, 0),
    indexed: folders.reduce((n, f) => n + f.indexed, 0),
    pending: folders.reduce((n, f) => n + f.pending, 0),
    failed: folders.reduce((n, f) => n + f.failed, 0),
    progress: { done: 0, total: 0, current: null, rate: 0, paused: false },
    failures: [],
    switch: null,
    stopped: null,
    ...overrides,
  };
}

export type Call = { cmd: string; args: Record<string, unknown> };
export type Handler = (args: Record<string, unknown>) => unknown;

/**
 * Installs a fake shell behind the real `invoke`/`listen`: every command goes to
 * `handlers[cmd]` (a missing one rejects like an unknown command) and is recorded; events
 * sent with `emit` from `@tauri-apps/api/event` reach the UI's listeners.
 */
export function mockShell(handlers: Record<string, Handler>): Call[] {
  const calls: Call[] = [];
  mockWindows("main");
  mockConvertFileSrc("linux");
  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      const handler = handlers[cmd];
      if (!handler) return Promise.reject(`command ${cmd} not found`);
      return handler(args);
    },
    { shouldMockEvents: true },
  );
  return calls;
}

export function resetShell(): void {
  clearMocks();
}

/** Lets pending promise callbacks run (works with fake timers too). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** A ResizeObserver that reports a fixed size at once (happy-dom has no layout). */
export function fixedSizeResizeObserver(width: number, height: number): typeof ResizeObserver {
  return class {
    private readonly callback: ResizeObserverCallback;
    constructor(callback: ResizeObserverCallback) {
      this.callback = callback;
    }
    observe(target: Element): void {
      const entry = { target, contentRect: { width, height } } as unknown as ResizeObserverEntry;
      this.callback([entry], this as unknown as ResizeObserver);
    }
    unobserve(): void {}
    disconnect(): void {}
  } as unknown as typeof ResizeObserver;
}

/** Elements with a data-testid. */
export function byTestId<T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T[] {
  return [...root.querySelectorAll<T>(`[data-testid="${id}"]`)];
}

export function one<T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T {
  const found = byTestId<T>(id, root);
  if (found.length !== 1) throw new Error(`expected one [data-testid=${id}], found ${found.length}`);
  return found[0] as T;
}

export function key(target: EventTarget, key: string, init: KeyboardEventInit = {}): KeyboardEvent {
  const event = new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(event);
  return event;
}

export function type(input: HTMLInputElement, text: string): void {
  input.value = text;
  input.dispatchEvent(new Event("input", { bubbles: true }));
}
