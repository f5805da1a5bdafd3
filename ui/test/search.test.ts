// Search as you type, through the real IPC wrappers and Tauri's mockIPC.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import * as ipc from "../src/ipc";
import type { Hit, QueryResults } from "../src/ipc";
import { PAGE_SIZE, SearchController, type SearchState } from "../src/search";
import { deferred, makeHits, mockShell, pageOf, queryHandler, resetShell, settle, type Deferred } from "./helpers";

const backend = { query: ipc.query };
const DEBOUNCE = 90;

function controller(options = {}): { c: SearchController; states: SearchState[] } {
  const states: SearchState[] = [];
  const c = new SearchController(backend, (s) => states.push(s), { debounceMs: DEBOUNCE, ...options });
  return { c, states };
}

const ids = (hits: readonly Hit[]): number[] => hits.map((h) => h.photoId);
const first = (text: string, examples: number[] = []): Record<string, unknown> => ({
  text,
  examples,
  offset: 0,
  limit: PAGE_SIZE,
  scope: "good",
});

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  resetShell();
  vi.useRealTimers();
});

describe("debouncing", () => {
  test("a burst of keystrokes sends one query, for the last text, after the quiet time", async () => {
    const calls = mockShell({ query: queryHandler(() => []) });
    const { c } = controller();
    c.setQuery("d");
    await vi.advanceTimersByTimeAsync(DEBOUNCE - 30);
    c.setQuery("do");
    await vi.advanceTimersByTimeAsync(DEBOUNCE - 30);
    c.setQuery("dog");
    await vi.advanceTimersByTimeAsync(DEBOUNCE - 1);
    expect(calls, "nothing may be sent while the user is still typing").toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls, "exactly one query, for the final text, its good matches first").toEqual([
      { cmd: "query", args: first("dog") },
    ]);
  });

  test("each new text is prefetched at once; the query still waits for the pause", async () => {
    const calls = mockShell({
      query: queryHandler(() => makeHits(1)),
      prefetchQuery: (args) =>
        args.query === "do" ? Promise.reject({ code: "no_model", message: "No model." }) : null,
    });
    const states: SearchState[] = [];
    const c = new SearchController({ ...backend, prefetch: ipc.prefetchQuery }, (s) => states.push(s), { debounceMs: DEBOUNCE });
    c.setQuery("d");
    await vi.advanceTimersByTimeAsync(DEBOUNCE - 30);
    c.setQuery("do");
    await vi.advanceTimersByTimeAsync(DEBOUNCE - 30);
    c.setQuery("dog");
    c.setQuery("dog ");
    await vi.advanceTimersByTimeAsync(1);
    expect(calls, "one prefetch per new text, none for a trailing space, no query yet").toEqual([
      { cmd: "prefetchQuery", args: { query: "d" } },
      { cmd: "prefetchQuery", args: { query: "do" } },
      { cmd: "prefetchQuery", args: { query: "dog" } },
    ]);
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(calls.slice(3)).toEqual([{ cmd: "query", args: first("dog") }]);
    await settle();
    expect(c.state.error, "a failed prefetch is not shown: the query reports for itself").toBeNull();
    expect(ids(c.state.hits)).toHaveLength(1);
    c.setQuery("");
    expect(calls, "clearing prefetches nothing").toHaveLength(4);
  });

  test("trailing spaces do not send the same query again", async () => {
    const calls = mockShell({ query: queryHandler(() => makeHits(2)) });
    const { c } = controller();
    c.setQuery("dog");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    c.setQuery("dog ");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(calls.length, "whitespace alone is not a new query").toBe(1);
    expect(c.state.pending, "nothing is left pending").toBe(false);
  });

  test("the controller's page is the shell's limit", () => {
    expect(PAGE_SIZE).toBe(ipc.QUERY_PAGE_LIMIT);
  });
});

describe("stale responses", () => {
  let answers: Map<string, { d: Deferred<QueryResults>; args: Record<string, unknown> }>;
  const answer = (text: string, hits: Hit[]): void => {
    const a = answers.get(text);
    a?.d.resolve(pageOf(hits, a.args));
  };

  beforeEach(() => {
    answers = new Map();
    mockShell({
      query: (args) => {
        const d = deferred<QueryResults>();
        answers.set(String(args.text), { d, args });
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
    answer("cats", makeHits(3, "cats", 100));
    await settle();
    expect(ids(c.state.hits)).toEqual([100, 101, 102]);
    answer("cat", makeHits(5, "cat", 1));
    await settle();
    expect(ids(c.state.hits), "the late 'cat' answer must not overwrite 'cats'").toEqual([100, 101, 102]);
    expect(c.state.shownQuery).toBe("cats");
    expect(c.state.pending).toBe(false);
  });

  test("answers in order are shown as they come, the newest last", async () => {
    const { c } = controller();
    await sendBoth(c);
    answer("cat", makeHits(2, "cat", 1));
    await settle();
    expect(ids(c.state.hits), "an intermediate answer may show while typing").toEqual([1, 2]);
    expect(c.state.pending, "'cats' is still on its way").toBe(true);
    answer("cats", makeHits(1, "cats", 100));
    await settle();
    expect(ids(c.state.hits)).toEqual([100]);
    expect(c.state.pending).toBe(false);
  });

  test("the old results stay on screen until the new ones arrive (no flicker)", async () => {
    const { c, states } = controller();
    c.setQuery("cat");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    answer("cat", makeHits(4, "cat", 1));
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
    answer("cat", makeHits(2));
    await settle();
    c.setQuery("cats");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    c.setQuery("");
    expect(c.state.hits, "an empty query shows nothing, without waiting").toEqual([]);
    expect(c.state.pending).toBe(false);
    answer("cats", makeHits(3, "cats", 100));
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
      query: (args) =>
        fail ? Promise.reject({ code: "catalog", message: "The photo catalog is locked by another program." }) : pageOf(makeHits(2), args),
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

  test("a search typed past while it waited (superseded) shows nothing; the newer one answers", async () => {
    const calls: string[] = [];
    const pending = new Map<string, Deferred<QueryResults>>();
    mockShell({
      query: (args) => {
        const text = String(args.text);
        calls.push(text);
        const d = deferred<QueryResults>();
        pending.set(text, d);
        return d.promise;
      },
    });
    const { c, states } = controller();
    c.setQuery("do");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    c.setQuery("dog");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    pending.get("do")?.reject({ code: "superseded", message: "A newer search replaced this one." });
    await settle();
    expect(states.some((s) => s.error !== null), "no error is shown for it").toBe(false);
    expect(calls, "the superseded text is not asked again: a newer one is on its way").toEqual(["do", "dog"]);
    expect(c.state.pending).toBe(true);
    pending.get("dog")?.resolve(pageOf(makeHits(3, "dog"), first("dog")));
    await settle();
    expect(c.state.shownQuery).toBe("dog");
    expect(c.state.pending).toBe(false);
  });

  test("the newest search superseded (another window typed) is asked again", async () => {
    let superseded = 1;
    const calls: string[] = [];
    mockShell({
      query: (args) => {
        calls.push(String(args.text));
        if (superseded-- > 0) return Promise.reject({ code: "superseded", message: "A newer search replaced this one." });
        return pageOf(makeHits(2, "cat"), args);
      },
    });
    const { c } = controller();
    c.setQuery("cat");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    await settle(10);
    expect(calls).toEqual(["cat", "cat"]);
    expect(c.state.shownQuery).toBe("cat");
    expect(c.state.error).toBeNull();
    expect(c.state.pending).toBe(false);
  });

  test("a malformed query is the error `query`, with the shell's sentence", async () => {
    mockShell({
      query: () => Promise.reject({ code: "query", message: "“colour:red”: unknown filter “colour:”" }),
    });
    const { c } = controller();
    c.setQuery("a red circle colour:red");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(c.state.error?.code).toBe("query");
    expect(c.state.error?.message).toBe("“colour:red”: unknown filter “colour:”.");
  });

  test("a plain string rejection (Tauri's own errors) becomes a sentence", async () => {
    mockShell({});
    const { c } = controller();
    c.setQuery("dog");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(c.state.error?.message).toBe("Command query not found.");
    expect(c.state.error?.code).toBe("unknown");
  });
});

describe("good matches, then the less likely ones", () => {
  test("good matches are paged with scope good, then the rest from where they end with scope all", async () => {
    // 250 good matches among 700.
    const ranking = makeHits(700, "tree", 1, 250);
    const calls = mockShell({ query: queryHandler(() => ranking) });
    const { c } = controller({ pageSize: 100 });
    c.setQuery("tree");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    const generation = c.state.generation;
    expect(c.state.good).toBe(250);
    expect(c.state.goodShown).toBe(100);
    expect(c.state.goodComplete).toBe(false);
    c.loadMore();
    await settle();
    c.loadMore();
    await settle();
    expect(c.state.goodShown).toBe(250);
    expect(c.state.goodComplete).toBe(true);
    expect(c.state.rest, "the rest waits until asked for").toBe("hidden");
    // Scrolling to the divider shows the rest.
    c.loadMore();
    await settle();
    expect(c.state.rest).toBe("shown");
    c.loadMore();
    await settle();
    const pages = calls.map((x) => [x.args.scope, x.args.offset, x.args.limit]);
    expect(pages).toEqual([
      ["good", 0, 100],
      ["good", 100, 100],
      ["good", 200, 100],
      ["all", 250, 100],
      ["all", 350, 100],
    ]);
    expect(c.state.hits.length).toBe(450);
    expect(c.state.hits.slice(0, 250).every((h) => h.good)).toBe(true);
    expect(c.state.hits.slice(250).every((h) => !h.good)).toBe(true);
    expect(new Set(ids(c.state.hits)).size, "no photo twice").toBe(450);
    expect(c.state.generation, "more results are not a new list").toBe(generation);
  });

  test("with no good match nothing more loads until the closest are asked for", async () => {
    const calls = mockShell({ query: queryHandler(() => makeHits(30, "passport", 1, 0)) });
    const { c } = controller();
    c.setQuery("passport");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(c.state.good).toBe(0);
    expect(c.state.hits).toEqual([]);
    c.loadMore();
    await settle();
    expect(calls.length, "the closest are a choice, not a scroll").toBe(1);
    c.showLessLikely();
    expect(c.state.rest).toBe("loading");
    await settle();
    expect(calls[1]?.args).toMatchObject({ scope: "all", offset: 0 });
    expect(c.state.rest).toBe("shown");
    expect(c.state.hits.length).toBe(30);
    expect(c.state.restComplete).toBe(true);
  });

  test("the closest asked for while the list is being refreshed show once the refresh answers", async () => {
    // The "show the closest" button is on screen while a refresh (photos indexed, the model
    // switched) is on its way: the click is kept for the refreshed list, not dropped.
    const answers: Deferred<QueryResults>[] = [];
    const calls = mockShell({
      query: (args) => {
        if (args.scope === "all") return pageOf(makeHits(30, "passport", 1, 0), args);
        const d = deferred<QueryResults>();
        answers.push(d);
        return d.promise;
      },
    });
    const { c } = controller();
    c.setQuery("passport");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    answers[0]?.resolve(pageOf(makeHits(30, "passport", 1, 0), calls[0]!.args));
    await settle();
    expect(c.state.good).toBe(0);
    c.refresh();
    c.showLessLikely();
    expect(c.state.rest, "nothing to load from until the refresh answers").toBe("hidden");
    answers[1]?.resolve(pageOf(makeHits(30, "passport", 1, 0), calls[1]!.args));
    await settle(20);
    expect(calls.map((x) => x.args.scope)).toEqual(["good", "good", "all"]);
    expect(c.state.rest).toBe("shown");
    expect(c.state.hits.length).toBe(30);

    // A new query forgets it: its "no good matches" waits for its own click.
    c.setQuery("visa");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    c.refresh();
    c.showLessLikely();
    c.setQuery("visa card");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    for (const [i, d] of answers.entries()) if (i >= 2) d.resolve(pageOf(makeHits(30, "visa", 1, 0), calls[i + 1]!.args));
    await settle();
    expect(c.state.shownQuery).toBe("visa card");
    expect(c.state.rest).toBe("hidden");
  });

  test("filters alone have no rest: every photo they select is a result", async () => {
    mockShell({ query: queryHandler(() => makeHits(20, "p")) });
    const { c } = controller();
    c.setQuery("in:Paris");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(c.state.hits.length).toBe(20);
    expect(c.hasMeaning()).toBe(false);
    expect(c.state.complete).toBe(true);
  });

  test("findSimilar runs at once as a query of one example; typing leaves similar mode", async () => {
    const calls = mockShell({
      query: queryHandler((text) => (text === "" ? makeHits(3, "sim", 50) : makeHits(1))),
    });
    const { c } = controller();
    c.findSimilar(7, "beach.jpg");
    await settle();
    expect(calls).toEqual([{ cmd: "query", args: first("", [7]) }]);
    expect(c.state.mode).toEqual({ kind: "similar", photoId: 7, name: "beach.jpg" });
    expect(ids(c.state.hits)).toEqual([50, 51, 52]);
    c.setQuery("sea");
    expect(c.state.mode.kind).toBe("text");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(ids(c.state.hits)).toEqual([1]);
  });

  test("example photos join the text at once and leave it when removed", async () => {
    const calls = mockShell({ query: queryHandler(() => makeHits(2)) });
    const { c } = controller();
    c.setQuery("sea");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    c.addExample({ photoId: 9, contentId: 19, name: "wave.jpg" });
    await settle();
    c.addExample({ photoId: 9, contentId: 19, name: "wave.jpg" });
    await settle();
    expect(calls.map((x) => x.args.examples)).toEqual([[], [9]]);
    expect(c.state.shownExamples).toEqual([9]);
    c.setQuery("");
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(calls.at(-1)?.args, "an example alone is a query").toMatchObject({ text: "", examples: [9] });
    c.removeExample(9);
    expect(c.state.examples).toEqual([]);
    expect(c.state.hits, "nothing left to look for").toEqual([]);
  });
});
