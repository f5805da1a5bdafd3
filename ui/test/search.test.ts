// Search as you type, through the real IPC wrappers and Tauri's mockIPC.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import * as ipc from "../src/ipc";
import type { Hit } from "../src/ipc";
import { PAGE_SIZE, SearchController, type SearchState } from "../src/search";
import { deferred, makeHits, mockShell, resetShell, settle, type Deferred } from "./helpers";

const backend = { search: ipc.search, similar: ipc.similar };
const DEBOUNCE = 90;

function controller(options = {}): { c: SearchController; states: SearchState[] } {
  const states: SearchState[] = [];
  const c = new SearchController(backend, (s) => states.push(s), { debounceMs: DEBOUNCE, ...options });
  return { c, states };
}

const ids = (hits: readonly Hit[]): number[] => hits.map((h) => h.photoId);

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  resetShell();
  vi.useRealTimers();
});

describe("debouncing", () => {
  test("a burst of keystrokes sends one search, for the last text, after the quiet time", async () => {
    const calls = mockShell({ search: () => [] });
    const { c } = controller();
    c.setQuery("d");
    await vi.advanceTimersByTimeAsync(DEBOUNCE - 30);
    c.setQuery("do");
    await vi.advanceTimersByTimeAsync(DEBOUNCE - 30);
    c.setQuery("dog");
    await vi.advanceTimersByTimeAsync(DEBOUNCE - 1);
    expect(calls, "nothing may be sent while the user is still typing").toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls, "exactly one query, for the final text").toEqual([
      { cmd: "search", args: { query: "dog", limit: PAGE_SIZE } },
    ]);
  });

  test("each new text is prefetched at once; the search still waits for the pause", async () => {
    const calls = mockShell({
      search: () => makeHits(1),
      prefetchQuery: (args) =>
        args.query === "do" ? Promise.reject({ code: "no_model", message: "No model." }) : null,
    });
    const states: SearchState[] = [];
    const c = new SearchController(
      { ...backend, prefetch: ipc.prefetchQuery },
      (s) => states.push(s),
      { debounceMs: DEBOUNCE },
    );
    c.setQuery("d");
    await vi.advanceTimersByTimeAsync(DEBOUNCE - 30);
    c.setQuery("do");
    await vi.advanceTimersByTimeAsync(DEBOUNCE - 30);
    c.setQuery("dog");
    c.setQuery("dog ");
    await vi.advanceTimersByTimeAsync(1);
    expect(calls, "one prefetch per new text, none for a trailing space, no search yet").toEqual([
      { cmd: "prefetchQuery", args: { query: "d" } },
      { cmd: "prefetchQuery", args: { query: "do" } },
      { cmd: "prefetchQuery", args: { query: "dog" } },
    ]);
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(calls.slice(3)).toEqual([{ cmd: "search", args: { query: "dog", limit: PAGE_SIZE } }]);
    await settle();
    expect(c.state.error, "a failed prefetch is not shown: the search reports for itself").toBeNull();
    expect(ids(c.state.hits)).toHaveLength(1);
    c.setQuery("");
    expect(calls, "clearing prefetches nothing").toHaveLength(4);
  });

  test("trailing spaces do not send the same query again", async () => {
    const calls = mockShell({ search: () => makeHits(2) });
    const { c } = controller();
    c.setQuery("dog");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    c.setQuery("dog ");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(calls.length, "whitespace alone is not a new query").toBe(1);
    expect(c.state.pending, "nothing is left pending").toBe(false);
  });
});

describe("stale responses", () => {
  let answers: Map<string, Deferred<Hit[]>>;

  beforeEach(() => {
    answers = new Map();
    mockShell({
      search: (args) => {
        const d = deferred<Hit[]>();
        answers.set(String(args.query), d);
        return d.promise;
      },
    });
  });

  async function sendBoth(c: SearchController): Promise<void> {
    c.setQuery("cat");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    c.setQuery("cats");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect([...answers.keys()]).toEqual(["cat", "cats"]);
  }

  test("an older answer arriving after a newer one is dropped", async () => {
    const { c } = controller();
    await sendBoth(c);
    answers.get("cats")?.resolve(makeHits(3, "cats", 100));
    await settle();
    expect(ids(c.state.hits)).toEqual([100, 101, 102]);
    answers.get("cat")?.resolve(makeHits(5, "cat", 1));
    await settle();
    expect(ids(c.state.hits), "the late 'cat' answer must not overwrite 'cats'").toEqual([100, 101, 102]);
    expect(c.state.shownQuery).toBe("cats");
    expect(c.state.pending).toBe(false);
  });

  test("answers in order are shown as they come, the newest last", async () => {
    const { c } = controller();
    await sendBoth(c);
    answers.get("cat")?.resolve(makeHits(2, "cat", 1));
    await settle();
    expect(ids(c.state.hits), "an intermediate answer may show while typing").toEqual([1, 2]);
    expect(c.state.pending, "'cats' is still on its way").toBe(true);
    answers.get("cats")?.resolve(makeHits(1, "cats", 100));
    await settle();
    expect(ids(c.state.hits)).toEqual([100]);
    expect(c.state.pending).toBe(false);
  });

  test("the old results stay on screen until the new ones arrive (no flicker)", async () => {
    const { c, states } = controller();
    c.setQuery("cat");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    answers.get("cat")?.resolve(makeHits(4, "cat", 1));
    await settle();
    const shown = states.length;
    c.setQuery("cats");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    for (const s of states.slice(shown)) {
      expect(ids(s.hits), "no state between two result lists may be empty").toEqual([1, 2, 3, 4]);
    }
    expect(c.state.pending).toBe(true);
  });

  test("clearing the query empties the results at once and drops answers in flight", async () => {
    const { c } = controller();
    c.setQuery("cat");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    answers.get("cat")?.resolve(makeHits(2));
    await settle();
    c.setQuery("cats");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    c.setQuery("");
    expect(c.state.hits, "an empty query shows nothing, without waiting").toEqual([]);
    expect(c.state.pending).toBe(false);
    answers.get("cats")?.resolve(makeHits(3, "cats", 100));
    await settle();
    expect(c.state.hits, "the answer to a query typed before clearing is dropped").toEqual([]);
  });

  test("an empty query sends nothing", async () => {
    const { c } = controller();
    c.setQuery("   ");
    await vi.advanceTimersByTimeAsync(DEBOUNCE * 3);
    expect(answers.size).toBe(0);
  });
});

describe("errors", () => {
  test("a rejected {code, message} surfaces the message and keeps the previous results", async () => {
    let fail = false;
    mockShell({
      search: () => (fail ? Promise.reject({ code: "catalog", message: "The photo catalog is locked by another program." }) : makeHits(2)),
    });
    const { c } = controller();
    c.setQuery("dog");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(c.state.hits.length).toBe(2);
    fail = true;
    c.setQuery("dogs");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(c.state.error?.message).toBe("The photo catalog is locked by another program.");
    expect(c.state.error?.code, "the code is there for branching").toBe("catalog");
    expect(c.state.hits.length, "the last good results stay").toBe(2);
    expect(c.state.pending).toBe(false);
  });

  test("a plain string rejection (Tauri's own errors) becomes a sentence", async () => {
    mockShell({});
    const { c } = controller();
    c.setQuery("dog");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(c.state.error?.message).toBe("Command search not found.");
    expect(c.state.error?.code).toBe("unknown");
  });
});

describe("paging and similar", () => {
  test("loadMore asks again with a larger limit and keeps the list (same generation)", async () => {
    const calls = mockShell({ search: (args) => makeHits(Math.min(Number(args.limit), 1000)) });
    const { c } = controller({ pageSize: 100, growth: 4 });
    c.setQuery("tree");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    const generation = c.state.generation;
    expect(c.state.complete, "a full page means more may exist").toBe(false);
    c.loadMore();
    await settle();
    expect(calls.map((x) => x.args.limit)).toEqual([100, 400]);
    expect(c.state.hits.length).toBe(400);
    expect(c.state.generation, "more results are not a new list").toBe(generation);
    c.loadMore();
    await settle();
    c.loadMore();
    await settle();
    expect(c.state.hits.length).toBe(1000);
    expect(c.state.complete, "fewer than asked for: everything is here").toBe(true);
    c.loadMore();
    await settle();
    expect(calls.length, "a complete list is not asked for again").toBe(3);
  });

  test("findSimilar runs at once; typing leaves similar mode", async () => {
    const calls = mockShell({ similar: () => makeHits(3, "sim", 50), search: () => makeHits(1) });
    const { c } = controller();
    c.findSimilar(7, "beach.jpg");
    await settle();
    expect(calls).toEqual([{ cmd: "similar", args: { photoId: 7, limit: PAGE_SIZE } }]);
    expect(c.state.mode).toEqual({ kind: "similar", photoId: 7, name: "beach.jpg" });
    expect(ids(c.state.hits)).toEqual([50, 51, 52]);
    c.setQuery("sea");
    expect(c.state.mode.kind).toBe("text");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(ids(c.state.hits)).toEqual([1]);
  });
});
