// Search as you type: debouncing, stale-response dropping, and paging through the good
// matches first, then, on demand, the less likely rest. Pure logic: it knows nothing of
// the DOM and gets its backend injected, so tests drive it with mocked IPC.
import { QUERY_PAGE_LIMIT } from "./ipc/commands";
import { toGlimpseError, type GlimpseError } from "./ipc/error";
import type { Hit, ParsedQuery, QueryRequest, QueryResults } from "./ipc/types";

/** What the results are for. */
export type SearchMode = { kind: "text" } | { kind: "similar"; photoId: number; name: string };

/** A photo of the library added to the query as an example ("Add to query", a drop). */
export interface Example {
  photoId: number;
  /** Its thumbnail key. */
  contentId: number;
  name: string;
}

/** Where the less likely results stand. */
export type RestState = "hidden" | "loading" | "shown";

/** Everything a view needs to draw the results. */
export interface SearchState {
  /** Text in the search box. */
  readonly query: string;
  /** Example photos added to the query (shown as chips; used in text mode). */
  readonly examples: readonly Example[];
  /** Text results or "similar to" a photo. */
  readonly mode: SearchMode;
  /** Results being shown: the good matches loaded, then the less likely ones loaded. */
  readonly hits: readonly Hit[];
  /** How many of `hits` are good matches (they come first). */
  readonly goodShown: number;
  /** Good matches in all (at most 1000, see `goodCapped`). */
  readonly good: number;
  /** There are more good matches than `good`. */
  readonly goodCapped: boolean;
  /** Every good match is in `hits`. */
  readonly goodComplete: boolean;
  /** The less likely results: not asked for yet, loading, or shown. */
  readonly rest: RestState;
  /** Every less likely result asked for is in `hits`. */
  readonly restComplete: boolean;
  /** The text that produced `hits` ("" when they are for a photo, an example or nothing). */
  readonly shownQuery: string;
  /** Example photos (ids) of the query that produced `hits` (the photo in "similar" mode). */
  readonly shownExamples: readonly number[];
  /** How the shell understood the text of the shown results. */
  readonly understood: ParsedQuery | null;
  /** The folders `in:` stood for. */
  readonly folders: readonly string[];
  /** A query (or page) is waiting for its debounce or its answer. */
  readonly pending: boolean;
  /** Nothing more can be loaded (the good matches and, if shown, the rest are complete). */
  readonly complete: boolean;
  /** Why the newest query failed, if it did; `hits` are then the older results. */
  readonly error: GlimpseError | null;
  /** Changes when `hits` belong to a new query (the grid scrolls back to the top). */
  readonly generation: number;
}

/** The commands the controller calls. */
export interface SearchBackend {
  query(request: QueryRequest): Promise<QueryResults>;
  /**
   * Told each new text as it is typed, before the debounce: the shell encodes its words at
   * once, so the query after the pause finds the vector ready (and the encoder warm).
   */
  prefetch?(text: string): void;
}

/** Tuning; the defaults suit the main window. */
export interface SearchOptions {
  /** Quiet time after the last keystroke before a query is sent. */
  debounceMs?: number;
  /** Results asked for per page (at most the shell's `QUERY_PAGE_LIMIT`). */
  pageSize?: number;
  /** Upper bound on results held. */
  maxResults?: number;
}

/** Default debounce: long enough to skip most keystrokes, short enough to feel live. */
export const DEBOUNCE_MS = 90;
/** Default page: the shell's limit (docs/IPC.md). */
export const PAGE_SIZE = QUERY_PAGE_LIMIT;
/** Default cap on results held by the grid. */
export const MAX_RESULTS = 100_000;

/** What one result list is for. */
interface Request {
  text: string;
  examples: readonly number[];
}

/** The result list on screen (or being replaced). */
interface List {
  id: number;
  request: Request;
  good: Hit[];
  rest: Hit[];
  /** Offset of the next page of the rest in the whole ranking. */
  restOffset: number;
  seen: Set<number>;
}

const EMPTY: readonly Hit[] = Object.freeze([]);

const sameRequest = (a: Request, b: Request): boolean =>
  a.text === b.text && a.examples.length === b.examples.length && a.examples.every((id, i) => b.examples[i] === id);

/**
 * Runs queries as the user types.
 *
 * Every new result list gets a sequence number; an answer is applied only if it is newer
 * than the list on screen, so an older answer never overwrites a newer one, while answers
 * that arrive in order still show up during fast typing. The old hits stay until new ones
 * arrive (no flicker). A list is the good matches, paged from offset 0 with scope `good`,
 * then (when asked: `showLessLikely`, or `loadMore` once the good ones are all shown) the
 * rest, paged with scope `all` from the offset where the good matches end.
 */
export class SearchController {
  private readonly backend: SearchBackend;
  private readonly onChange: (state: SearchState) => void;
  private readonly debounceMs: number;
  private readonly pageSize: number;
  private readonly maxResults: number;

  private current: SearchState;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private issued = 0;
  private applied = 0;
  /** The request whose list is (or will be) shown. */
  private request: Request | null = null;
  private list: List | null = null;
  /** A page of the shown list is on its way. */
  private paging = false;
  /** The text last handed to `backend.prefetch`. */
  private prefetched = "";
  /** The request on its way asks the shown list again (not a new one). */
  private refreshing = false;
  /** The closest were asked for while the shown list was being asked again: its answer shows them. */
  private restWanted = false;
  private disposed = false;

  constructor(backend: SearchBackend, onChange: (state: SearchState) => void, options: SearchOptions = {}) {
    this.backend = backend;
    this.onChange = onChange;
    this.debounceMs = options.debounceMs ?? DEBOUNCE_MS;
    this.pageSize = Math.min(options.pageSize ?? PAGE_SIZE, QUERY_PAGE_LIMIT);
    this.maxResults = options.maxResults ?? MAX_RESULTS;
    this.current = {
      query: "",
      examples: [],
      mode: { kind: "text" },
      hits: EMPTY,
      goodShown: 0,
      good: 0,
      goodCapped: false,
      goodComplete: true,
      rest: "hidden",
      restComplete: true,
      shownQuery: "",
      shownExamples: [],
      understood: null,
      folders: [],
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
    this.cancelTimer();
    const request = this.textRequest(text);
    if (request === null) {
      this.clearResults({ query: text, mode: { kind: "text" } });
      return;
    }
    const wasSimilar = this.current.mode.kind === "similar";
    if (!wasSimilar && this.request !== null && sameRequest(this.request, request)) {
      // Only whitespace changed (or the user typed back to the query already sent).
      this.update({ query: text, pending: this.issued > this.applied || this.paging });
      return;
    }
    this.update({ query: text, mode: { kind: "text" }, pending: true });
    if (request.text !== this.prefetched && request.text !== "") {
      this.prefetched = request.text;
      this.backend.prefetch?.(request.text);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.start(request, true);
    }, this.debounceMs);
  }

  /** Esc: empties the box and the results (examples stay until removed). */
  clear(): void {
    this.setQuery("");
  }

  /** Adds a photo of the library to the query as an example, and searches at once. */
  addExample(example: Example): void {
    if (this.current.examples.some((e) => e.photoId === example.photoId)) return;
    this.setExamples([...this.current.examples, example]);
  }

  /** Removes an example photo from the query. */
  removeExample(photoId: number): void {
    this.setExamples(this.current.examples.filter((e) => e.photoId !== photoId));
  }

  /** Shows photos similar to one, at once (no debounce: it is a click). */
  findSimilar(photoId: number, name: string): void {
    this.cancelTimer();
    this.update({ mode: { kind: "similar", photoId, name }, pending: true });
    this.start({ text: "", examples: [photoId] }, true);
  }

  /** Leaves "similar" mode and shows the text query's results again. */
  exitSimilar(): void {
    if (this.current.mode.kind !== "similar") return;
    this.request = null;
    this.update({ mode: { kind: "text" } });
    this.runTextNow();
  }

  /** The less likely results, from where the good matches end ("Show the closest anyway"). */
  showLessLikely(): void {
    const list = this.list;
    if (list === null || this.current.rest !== "hidden") return;
    if (this.applied !== this.issued) {
      // A refresh (photos indexed, the model switched) replaces this list in a moment:
      // the click is kept for it rather than lost.
      if (this.refreshing) this.restWanted = true;
      return;
    }
    if (!this.current.goodComplete || this.paging) return;
    this.update({ rest: "loading", restComplete: false, complete: false });
    this.loadRest(list);
  }

  /**
   * The grid scrolled near its end: the next page of good matches, or of the rest once it
   * is shown. Reaching the end of the good matches (the divider) shows the rest, unless
   * there are none (that is the "no good matches" state, where showing the closest is a
   * choice the user makes).
   */
  loadMore(): void {
    const list = this.list;
    const s = this.current;
    if (list === null || this.paging || this.applied !== this.issued || this.timer !== null) return;
    if (s.hits.length >= this.maxResults) return;
    if (!s.goodComplete) {
      this.loadGood(list);
    } else if (s.rest === "shown" && !s.restComplete) {
      this.loadRest(list);
    } else if (s.rest === "hidden" && s.goodShown > 0 && this.hasMeaning()) {
      this.showLessLikely();
    }
  }

  /** Runs the shown query again (new photos were indexed, the sensitivity changed). */
  refresh(): void {
    const request = this.request;
    if (request === null || this.timer !== null) return;
    this.start(request, false);
  }

  /** Stops reporting; pending answers are dropped. */
  dispose(): void {
    this.disposed = true;
    this.cancelTimer();
    this.invalidate();
  }

  /** Whether the shown query asks for meaning (not filters alone), so a rest exists. */
  hasMeaning(): boolean {
    return asksForMeaning(this.current);
  }

  private textRequest(text: string): Request | null {
    const trimmed = text.trim();
    const examples = this.current.examples.map((e) => e.photoId);
    if (trimmed === "" && examples.length === 0) return null;
    return { text: trimmed, examples };
  }

  private setExamples(examples: readonly Example[]): void {
    this.update({ examples });
    if (this.current.mode.kind === "similar") return;
    this.runTextNow();
  }

  /** Runs the box's text and examples now (a click, not typing). */
  private runTextNow(): void {
    this.cancelTimer();
    const request = this.textRequest(this.current.query);
    if (request === null) {
      this.clearResults({});
      return;
    }
    this.update({ pending: true });
    this.start(request, true);
  }

  private clearResults(patch: Partial<SearchState>): void {
    this.invalidate();
    this.request = null;
    this.list = null;
    this.update({
      ...patch,
      hits: EMPTY,
      goodShown: 0,
      good: 0,
      goodCapped: false,
      goodComplete: true,
      rest: "hidden",
      restComplete: true,
      shownQuery: "",
      shownExamples: [],
      understood: null,
      folders: [],
      pending: false,
      complete: true,
      error: null,
      generation: this.current.generation + 1,
    });
  }

  /** Starts a list: its first page of good matches. `isNew` scrolls to the top. */
  private start(request: Request, isNew: boolean): void {
    const id = ++this.issued;
    this.request = request;
    this.paging = false;
    this.refreshing = !isNew;
    if (isNew) this.restWanted = false;
    const keepRest = !isNew && this.current.rest !== "hidden";
    this.backend
      .query({ text: request.text, examples: [...request.examples], offset: 0, limit: this.pageSize, scope: "good" })
      .then(
        (results) => this.first(id, request, isNew, keepRest, results),
        (error: unknown) => {
          const e = toGlimpseError(error);
          // Typed past while it waited for the text encoder: the newer search answers. If
          // none followed (another window typed), ask again rather than wait forever.
          if (e.code === "superseded") {
            if (!this.disposed && id === this.issued && this.request === request) this.start(request, isNew);
            return;
          }
          this.failed(id, e);
        },
      );
  }

  private first(id: number, request: Request, isNew: boolean, keepRest: boolean, results: QueryResults): void {
    // Older than what is on screen (or cleared since): drop it.
    if (this.disposed || id <= this.applied) return;
    this.applied = id;
    const good = dedupe(results.hits, new Set());
    const list: List = { id, request, good, rest: [], restOffset: good.length, seen: new Set(good.map((h) => h.photoId)) };
    this.list = list;
    const goodComplete = results.hits.length < this.pageSize || good.length >= results.total;
    const newList = isNew || this.current.hits === EMPTY;
    this.update({
      hits: good,
      goodShown: good.length,
      good: results.good,
      goodCapped: results.goodCapped,
      goodComplete,
      rest: "hidden",
      restComplete: false,
      shownQuery: request.text,
      shownExamples: request.examples,
      understood: results.understood,
      folders: results.folders,
      pending: this.timer !== null || this.issued > this.applied,
      complete: goodComplete && !this.hasMeaningOf(results, request),
      error: null,
      generation: newList ? this.current.generation + 1 : this.current.generation,
    });
    // A refresh keeps the rest in view if it was, or was asked for while it ran.
    if (this.issued === this.applied) {
      const wantRest = keepRest || this.restWanted;
      this.restWanted = false;
      if (wantRest && goodComplete) this.showLessLikely();
    }
    markFirstResults();
  }

  private hasMeaningOf(results: QueryResults, request: Request): boolean {
    return request.examples.length > 0 || results.understood.terms.some((t) => !t.negative);
  }

  private failed(id: number, error: GlimpseError): void {
    if (this.disposed || id <= this.applied) return;
    this.applied = id;
    if (this.issued === this.applied) this.restWanted = false;
    this.update({ pending: this.timer !== null || this.issued > this.applied, error });
  }

  private loadGood(list: List): void {
    this.page(list, "good", list.good.length, (hits, results) => {
      const fresh = dedupe(hits, list.seen);
      list.good.push(...fresh);
      const goodComplete = hits.length < this.pageSize || list.good.length >= results.total;
      list.restOffset = list.good.length;
      return {
        hits: [...list.good],
        goodShown: list.good.length,
        good: results.good,
        goodCapped: results.goodCapped,
        goodComplete,
        complete: goodComplete && !this.hasMeaning(),
      };
    });
  }

  private loadRest(list: List): void {
    this.page(list, "all", list.restOffset, (hits) => {
      list.restOffset += hits.length;
      // The whole ranking starts with the good matches: anything good here is shown already.
      list.rest.push(...dedupe(hits.filter((h) => !h.good), list.seen));
      const restComplete = hits.length < this.pageSize || list.good.length + list.rest.length >= this.maxResults;
      return {
        hits: [...list.good, ...list.rest],
        rest: "shown",
        restComplete,
        complete: restComplete,
      };
    });
  }

  private page(
    list: List,
    scope: "good" | "all",
    offset: number,
    apply: (hits: Hit[], results: QueryResults) => Partial<SearchState>,
  ): void {
    this.paging = true;
    this.update({ pending: true });
    const { request } = list;
    this.backend
      .query({ text: request.text, examples: [...request.examples], offset, limit: this.pageSize, scope })
      .then(
        (results) => {
          if (this.disposed || this.list !== list || this.issued !== list.id) return;
          this.paging = false;
          this.update({ ...apply(results.hits, results), pending: this.timer !== null, error: null });
        },
        (error: unknown) => {
          if (this.disposed || this.list !== list || this.issued !== list.id) return;
          this.paging = false;
          // A failed page stops paging, or the grid would ask again on every scroll.
          const stop: Partial<SearchState> =
            scope === "good" ? { goodComplete: true } : { rest: "shown", restComplete: true };
          this.update({ ...stop, complete: true, pending: this.timer !== null, error: toGlimpseError(error) });
        },
      );
  }

  private invalidate(): void {
    // Everything sent so far is now stale.
    this.applied = this.issued;
    this.paging = false;
    this.restWanted = false;
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

/**
 * Whether the shown results are for a query with meaning (words or example photos): only
 * then is there a line between good matches and the rest. Filters alone select photos
 * exactly: all of them are the results.
 */
export function asksForMeaning(s: SearchState): boolean {
  if (s.shownExamples.length > 0) return true;
  return s.understood !== null && s.understood.terms.some((t) => !t.negative);
}

/** `hits` without photos already in `seen` (pages of a re-ranked list may overlap); marks them seen. */
function dedupe(hits: readonly Hit[], seen: Set<number>): Hit[] {
  const out: Hit[] = [];
  for (const h of hits) {
    if (seen.has(h.photoId)) continue;
    seen.add(h.photoId);
    out.push(h);
  }
  return out;
}

/** The performance mark set at the frame that paints the session's first results. */
export const FIRST_RESULTS_MARK = "glimpse:first-results";

let firstResultsMarked = false;

/**
 * Marks (once per page) the frame after the first results reach the store — the views
 * render synchronously on update, so that frame paints them. The launch benchmark reads it
 * (`performance.getEntriesByName`): a page opened on the last search shows its results
 * before any script from outside could watch for them.
 */
function markFirstResults(): void {
  if (firstResultsMarked || typeof performance === "undefined" || typeof requestAnimationFrame === "undefined") return;
  firstResultsMarked = true;
  requestAnimationFrame(() => performance.mark(FIRST_RESULTS_MARK));
}
