// Search as you type: debouncing, stale-response dropping, paging. Pure logic: it knows
// nothing of the DOM and gets its backend injected, so tests drive it with mocked IPC.
import { toGlimpseError, type GlimpseError } from "./ipc/error";
import type { Hit } from "./ipc/types";

/** What the results are for. */
export type SearchMode = { kind: "text" } | { kind: "similar"; photoId: number; name: string };

/** Everything a view needs to draw the results. */
export interface SearchState {
  /** Text in the search box. */
  readonly query: string;
  /** Text results or "similar to" a photo. */
  readonly mode: SearchMode;
  /** Results being shown: the newest that arrived (kept while a newer query runs). */
  readonly hits: readonly Hit[];
  /** The query that produced `hits` ("" when they are for a photo or nothing). */
  readonly shownQuery: string;
  /** A query is waiting for its debounce or its answer. */
  readonly pending: boolean;
  /** Every result was fetched (fewer came back than asked for). */
  readonly complete: boolean;
  /** Why the newest query failed, if it did; `hits` are then the older results. */
  readonly error: GlimpseError | null;
  /** Changes when `hits` belong to a new query (the grid scrolls back to the top). */
  readonly generation: number;
}

/** The commands the controller calls. */
export interface SearchBackend {
  search(query: string, limit: number): Promise<Hit[]>;
  similar(photoId: number, limit: number): Promise<Hit[]>;
  /**
   * Told each new text as it is typed, before the debounce: the shell encodes it at once, so
   * the search after the pause finds the vector ready (and the encoder warm).
   */
  prefetch?(query: string): void;
}

/** Tuning; the defaults suit the main window. */
export interface SearchOptions {
  /** Quiet time after the last keystroke before a query is sent. */
  debounceMs?: number;
  /** First number of results asked for. */
  pageSize?: number;
  /** Factor by which `loadMore` grows the limit. */
  growth?: number;
  /** Upper bound on results. */
  maxResults?: number;
}

/** Default debounce: long enough to skip most keystrokes, short enough to feel live. */
export const DEBOUNCE_MS = 90;
/** Default first page. */
export const PAGE_SIZE = 400;
/** Default cap on results held by the grid. */
export const MAX_RESULTS = 100_000;

type Request = { kind: "text"; query: string } | { kind: "similar"; photoId: number };

const EMPTY: readonly Hit[] = Object.freeze([]);

/**
 * Runs queries as the user types.
 *
 * Every request gets a sequence number; a response is applied only if it is newer than the
 * one on screen, so an older response never overwrites a newer one, while answers that
 * arrive in order still show up during fast typing. The old hits stay until new ones
 * arrive (no flicker).
 */
export class SearchController {
  private readonly backend: SearchBackend;
  private readonly onChange: (state: SearchState) => void;
  private readonly debounceMs: number;
  private readonly pageSize: number;
  private readonly growth: number;
  private readonly maxResults: number;

  private current: SearchState;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private issued = 0;
  private applied = 0;
  /** The request whose results are (or will be) shown, and its limit. */
  private request: Request | null = null;
  private limit: number;
  /** The text last handed to `backend.prefetch`. */
  private prefetched = "";
  /** The newest request sent that starts a new result list. */
  private newestNewSeq = 0;
  private disposed = false;

  constructor(backend: SearchBackend, onChange: (state: SearchState) => void, options: SearchOptions = {}) {
    this.backend = backend;
    this.onChange = onChange;
    this.debounceMs = options.debounceMs ?? DEBOUNCE_MS;
    this.pageSize = options.pageSize ?? PAGE_SIZE;
    this.growth = Math.max(2, options.growth ?? 4);
    this.maxResults = options.maxResults ?? MAX_RESULTS;
    this.limit = this.pageSize;
    this.current = {
      query: "",
      mode: { kind: "text" },
      hits: EMPTY,
      shownQuery: "",
      pending: false,
      complete: true,
      error: null,
      generation: 0,
    };
  }

  /** The state last reported. */
  get state(): SearchState {
    return this.current;
  }

  /** The user typed: an empty query clears at once, anything else runs after the debounce. */
  setQuery(text: string): void {
    const wasSimilar = this.current.mode.kind === "similar";
    const trimmed = text.trim();
    this.cancelTimer();
    if (trimmed === "") {
      this.invalidate();
      this.request = null;
      this.update({
        query: text,
        mode: { kind: "text" },
        hits: EMPTY,
        shownQuery: "",
        pending: false,
        complete: true,
        error: null,
        generation: this.current.generation + 1,
      });
      return;
    }
    const req = this.request;
    const same = !wasSimilar && req !== null && req.kind === "text" && req.query === trimmed;
    if (same) {
      // Only whitespace changed (or the user typed back to the query already sent).
      this.update({ query: text, pending: this.issued > this.applied });
      return;
    }
    this.update({ query: text, mode: { kind: "text" }, pending: true });
    if (trimmed !== this.prefetched) {
      this.prefetched = trimmed;
      this.backend.prefetch?.(trimmed);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run({ kind: "text", query: trimmed }, this.pageSize, true);
    }, this.debounceMs);
  }

  /** Esc: empties the box and the results. */
  clear(): void {
    this.setQuery("");
  }

  /** Shows photos similar to one, at once (no debounce: it is a click). */
  findSimilar(photoId: number, name: string): void {
    this.cancelTimer();
    this.update({ mode: { kind: "similar", photoId, name }, pending: true });
    this.run({ kind: "similar", photoId }, this.pageSize, true);
  }

  /** Leaves "similar" mode and shows the text query's results again. */
  exitSimilar(): void {
    if (this.current.mode.kind !== "similar") return;
    const text = this.current.query;
    this.request = null;
    this.update({ mode: { kind: "text" } });
    const trimmed = text.trim();
    if (trimmed === "") {
      this.setQuery("");
      return;
    }
    this.cancelTimer();
    this.update({ pending: true });
    this.run({ kind: "text", query: trimmed }, this.pageSize, true);
  }

  /** Asks for more results of the same query (the grid scrolled near its end). */
  loadMore(): void {
    const req = this.request;
    if (req === null || this.current.pending || this.current.complete) return;
    if (this.current.hits.length === 0) return;
    const limit = Math.min(this.limit * this.growth, this.maxResults);
    if (limit <= this.limit) return;
    this.update({ pending: true });
    this.run(req, limit, false);
  }

  /** Runs the shown query again (new photos were indexed), keeping the scroll position. */
  refresh(): void {
    const req = this.request;
    if (req === null || this.timer !== null) return;
    this.run(req, this.limit, false);
  }

  /** Stops reporting; pending answers are dropped. */
  dispose(): void {
    this.disposed = true;
    this.cancelTimer();
    this.invalidate();
  }

  private run(req: Request, limit: number, isNew: boolean): void {
    const seq = ++this.issued;
    if (isNew) this.newestNewSeq = seq;
    this.request = req;
    const promise =
      req.kind === "text" ? this.backend.search(req.query, limit) : this.backend.similar(req.photoId, limit);
    promise.then(
      (hits) => this.settle(seq, req, limit, isNew, hits, null),
      (error: unknown) => this.settle(seq, req, limit, isNew, null, toGlimpseError(error)),
    );
  }

  private settle(
    seq: number,
    req: Request,
    limit: number,
    isNew: boolean,
    hits: Hit[] | null,
    error: GlimpseError | null,
  ): void {
    // Older than what is on screen (or cleared since): drop it.
    if (this.disposed || seq <= this.applied) return;
    // A page of an older query arriving after a newer query was sent: drop it too.
    if (!isNew && seq < this.newestNewSeq) return;
    this.applied = seq;
    const pending = this.timer !== null || this.issued > this.applied;
    if (hits === null) {
      // A failed page stops paging, or the grid would ask again on every scroll.
      this.update(isNew ? { pending, error } : { pending, error, complete: true });
      return;
    }
    this.limit = limit;
    const newList = isNew || this.current.hits === EMPTY;
    this.update({
      hits,
      shownQuery: req.kind === "text" ? req.query : "",
      pending,
      complete: hits.length < limit || limit >= this.maxResults,
      error: null,
      generation: newList ? this.current.generation + 1 : this.current.generation,
    });
  }

  private invalidate(): void {
    // Everything sent so far is now stale.
    this.applied = this.issued;
    this.newestNewSeq = this.issued;
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private update(patch: Partial<SearchState>): void {
    this.current = { ...this.current, ...patch };
    if (!this.disposed) this.onChange(this.current);
  }
}
