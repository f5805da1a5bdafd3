// The search box's query features in the main window: good matches with their count and
// the divider, the "no good matches" state, filter chips that edit the text, the
// autocomplete, the timeline, errors under the box, example photos and the help.
import { emit } from "@tauri-apps/api/event";
import { afterEach, describe, expect, test, vi } from "vitest";
import type { Hit, QueryResults } from "../src/ipc";
import { HELP_ROWS } from "../src/views/querybar";
import { mountApp, type AppHandle } from "../src/views/app";
import {
  byTestId,
  fixedSizeResizeObserver,
  key,
  makeHits,
  mockShell,
  one,
  pageOf,
  queryHandler,
  readyStatus,
  resetShell,
  settle,
  type,
  type Call,
  type Handler,
} from "./helpers";

let app: AppHandle | null = null;

afterEach(() => {
  app?.destroy();
  app = null;
  document.body.replaceChildren();
  resetShell();
  vi.unstubAllGlobals();
  vi.useRealTimers();
  localStorage.clear();
});

/** "dog": 12 good matches among 40; "passport": none among 30; anything else: 5 of 20. */
function ranking(text: string): Hit[] {
  if (text.includes("passport")) return makeHits(30, "passport", 1, 0);
  if (text.startsWith("dog")) return makeHits(40, "dog", 1, 12);
  return makeHits(20, "p", 1, 5);
}

async function mount(handlers: Record<string, Handler> = {}): Promise<Call[]> {
  vi.useFakeTimers();
  vi.stubGlobal("ResizeObserver", fixedSizeResizeObserver(1000, 700));
  const calls = mockShell({
    status: () => readyStatus(),
    query: queryHandler((text) => ranking(text)),
    timeline: () => [],
    suggest: () => [],
    ...handlers,
  });
  const root = document.createElement("div");
  document.body.append(root);
  app = mountApp(root);
  await app.ready;
  return calls;
}

const input = (): HTMLInputElement => one<HTMLInputElement>("search-input");

async function typeQuery(text: string): Promise<void> {
  input().focus();
  type(input(), text);
  await vi.advanceTimersByTimeAsync(200);
}

const queries = (calls: Call[]): Record<string, unknown>[] => calls.filter((c) => c.cmd === "query").map((c) => c.args);
const tilesShown = (): { id: number; top: number }[] =>
  byTestId("tile")
    .map((t) => ({ id: Number(t.dataset.photoId), top: Number(/translate\([^,]+, ([\d.]+)px\)/.exec(t.style.transform)?.[1]) }))
    .sort((a, b) => a.id - b.id);

describe("good matches first", () => {
  test("the count of good matches, then a divider, then the less likely ones from where the good ones end", async () => {
    const calls = await mount();
    await typeQuery("dog");
    await settle(10);
    expect(one("result-count").textContent).toBe("12 good matches for “dog”");
    expect(one("result-count").dataset.good).toBe("12");
    // The divider is near: the rest is fetched from offset 12 of the whole ranking.
    expect(queries(calls).map((q) => [q.text, q.scope, q.offset])).toEqual([
      ["dog", "good", 0],
      ["dog", "all", 12],
    ]);
    const divider = one("divider");
    expect(divider.hidden).toBe(false);
    expect(divider.getAttribute("role")).toBe("separator");
    expect(divider.textContent).toContain("Less likely");
    const top = Number(/translateY\(([\d.]+)px\)/.exec(divider.style.transform)?.[1]);
    const tiles = tilesShown();
    const good = tiles.filter((t) => t.id <= 12);
    const rest = tiles.filter((t) => t.id > 12);
    expect(good.length).toBeGreaterThan(0);
    expect(rest.length, "less likely tiles are drawn too").toBeGreaterThan(0);
    expect(good.every((t) => t.top < top), "good matches above the divider").toBe(true);
    expect(rest.every((t) => t.top > top), "the rest below it").toBe(true);
  });

  test("a capped count says 1,000+", async () => {
    await mount({
      query: (args) => ({ ...pageOf(makeHits(50, "sky"), args), good: 1000, goodCapped: true }) satisfies QueryResults,
    });
    await typeQuery("sky");
    expect(one("result-count").textContent).toBe("1,000+ good matches for “sky”");
  });

  test("the less likely ones wait for the button when the divider is far", async () => {
    const calls = await mount({ query: queryHandler(() => makeHits(600, "sea", 1, 300)) });
    await typeQuery("sea");
    expect(queries(calls).every((q) => q.scope === "good"), "300 good matches fill the screen: nothing else yet").toBe(true);
    // The good matches are all here (300 < a page); the divider offers the rest.
    one<HTMLButtonElement>("show-less-likely").click();
    await settle(10);
    expect(queries(calls).at(-1)).toMatchObject({ scope: "all", offset: 300 });
    expect(one("show-less-likely").hidden).toBe(true);
  });
});

describe("no good matches", () => {
  test("says so and offers the closest anyway", async () => {
    const calls = await mount();
    await typeQuery("passport");
    const empty = one("empty-state");
    expect(empty.dataset.state).toBe("no-good");
    expect(one("no-good-title").textContent).toBe("No good matches for “passport”");
    expect(one("grid").hidden).toBe(true);
    expect(queries(calls).length, "nothing else is fetched on its own").toBe(1);
    one<HTMLButtonElement>("show-closest").click();
    await settle(10);
    expect(queries(calls).at(-1)).toMatchObject({ text: "passport", scope: "all", offset: 0 });
    expect(one("grid").hidden).toBe(false);
    expect(byTestId("tile").length).toBeGreaterThan(0);
    expect(one("result-count").textContent).toBe("No good matches for “passport” · showing the closest");
    expect(one("divider").textContent).toContain("these are the closest photos");
  });
});

describe("errors under the box", () => {
  test("a malformed query says what is wrong under the box, never as an empty grid or a toast", async () => {
    const message = "“colour:red”: unknown filter “colour:” (known: in:, after:, before:, type:, camera:, orientation:, name:, like:, sort:)";
    await mount({
      query: (args) =>
        String(args.text).includes("colour:") ? Promise.reject({ code: "query", message }) : pageOf(ranking(String(args.text)), args),
    });
    await typeQuery("a red circle colour:red");
    const error = one("query-error");
    expect(error.hidden).toBe(false);
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toContain("“colour:red”");
    expect(input().getAttribute("aria-invalid")).toBe("true");
    expect(input().getAttribute("aria-describedby")).toBe(error.id);
    expect(byTestId("error-banner"), "not a toast as well").toEqual([]);
    expect(one("empty-state").textContent).toContain("could not be understood");
    await typeQuery("a red circle");
    expect(one("query-error").hidden).toBe(true);
    expect(input().hasAttribute("aria-invalid")).toBe(false);
  });
});

describe("filter chips", () => {
  test("chips show the filters of the text; removing one removes its token", async () => {
    const calls = await mount();
    await typeQuery("beach in:Holidays type:png after:2019-06 before:2019-07 ");
    const chips = byTestId("filter-chip");
    expect(chips.map((c) => [c.dataset.kind, c.textContent])).toEqual([
      ["folder", "Holidays"],
      ["type", "PNG"],
      ["date", "Jun 2019"],
    ]);
    const removeType = byTestId("chip-remove", chips[1]);
    expect(removeType[0]?.getAttribute("aria-label")).toBe("Remove the type filter PNG");
    removeType[0]?.click();
    expect(input().value).toBe("beach in:Holidays after:2019-06 before:2019-07");
    await vi.advanceTimersByTimeAsync(200);
    expect(queries(calls).at(-1)?.text).toBe("beach in:Holidays after:2019-06 before:2019-07");
    byTestId("chip-remove", byTestId("filter-chip")[1])[0]?.click();
    expect(input().value, "the date chip removes both dates").toBe("beach in:Holidays");
  });

  test("the Filter menu inserts a key and offers its values", async () => {
    const calls = await mount({ suggest: () => [{ value: "Google Pixel 7", count: 12 }] });
    await typeQuery("dog");
    one<HTMLButtonElement>("add-filter").click();
    const menu = one("filter-menu");
    expect(menu.hidden).toBe(false);
    const items = [...menu.querySelectorAll<HTMLButtonElement>("[role=menuitem]")];
    expect(document.activeElement).toBe(items[0]);
    key(items[0] as HTMLElement, "ArrowDown");
    expect(document.activeElement).toBe(items[1]);
    items.find((i) => i.dataset.insert === "camera:")?.click();
    await settle(10);
    expect(menu.hidden).toBe(true);
    expect(input().value).toBe("dog camera:");
    expect(calls.filter((c) => c.cmd === "suggest").map((c) => c.args)).toEqual([{ key: "camera", prefix: "" }]);
    expect(byTestId("suggestion").map((s) => s.textContent)).toEqual(["Google Pixel 7" + "12 photos"]);
    await vi.advanceTimersByTimeAsync(200);
    expect(queries(calls).at(-1)?.text, "a key waiting for its value is not sent").toBe("dog");
    expect(one("query-error").hidden).toBe(true);
  });
});

describe("autocomplete", () => {
  const folders = [
    { value: "Paris", count: 3 },
    { value: "Phone backup", count: 9 },
  ];

  test("arrows choose, Enter takes the value (quoted when needed), Esc closes without clearing", async () => {
    const calls = await mount({
      suggest: (args) => folders.filter((f) => f.value.toLowerCase().includes(String(args.prefix).toLowerCase())),
    });
    await typeQuery("dog in:P");
    await settle(10);
    expect(calls.filter((c) => c.cmd === "suggest").at(-1)?.args).toEqual({ key: "in", prefix: "P" });
    const list = one("suggestions");
    expect(list.hidden).toBe(false);
    expect(list.getAttribute("role")).toBe("listbox");
    expect(input().getAttribute("aria-expanded")).toBe("true");
    const options = byTestId("suggestion");
    expect(options.map((o) => o.dataset.value)).toEqual(["Paris", "Phone backup"]);
    expect(options[0]?.getAttribute("aria-selected")).toBe("true");
    expect(key(input(), "ArrowDown").defaultPrevented).toBe(true);
    expect(options[1]?.getAttribute("aria-selected")).toBe("true");
    expect(input().getAttribute("aria-activedescendant")).toBe(options[1]?.id);
    key(input(), "Enter");
    expect(input().value).toBe(`dog in:"Phone backup" `);
    expect(list.hidden).toBe(true);
    expect(byTestId("preview").every((p) => p.closest(".overlay")?.hasAttribute("hidden")), "Enter was the list's").toBe(true);
    await vi.advanceTimersByTimeAsync(200);
    expect(queries(calls).at(-1)?.text).toBe(`dog in:"Phone backup"`);
    expect(byTestId("filter-chip").map((c) => c.textContent)).toEqual(["Phone backup"]);

    // Tab takes the first; Esc closes the list and leaves the text alone.
    type(input(), "dog in:Pa");
    await settle(10);
    expect(one("suggestions").hidden).toBe(false);
    key(input(), "Tab");
    expect(input().value).toBe("dog in:Paris ");
    type(input(), "dog in:");
    await settle(10);
    expect(one("suggestions").hidden).toBe(false);
    key(input(), "Escape");
    expect(one("suggestions").hidden).toBe(true);
    expect(input().value, "Esc closed the list only").toBe("dog in:");
    key(input(), "ArrowDown");
    expect(document.activeElement, "with the list closed, ↓ goes to the results").toBe(one("grid"));
  });

  test("a value still being chosen is not searched; once the list has nothing more to offer, it is", async () => {
    const calls = await mount({
      suggest: (args) => folders.filter((f) => f.value.toLowerCase().startsWith(String(args.prefix).toLowerCase())),
    });
    await typeQuery("dog in:P");
    await settle(10);
    await vi.advanceTimersByTimeAsync(200);
    expect(one("suggestions").hidden).toBe(false);
    expect(queries(calls).at(-1)?.text, "in:P selects nothing yet: the words alone are searched").toBe("dog");
    // "Paris" typed out: the list offers only what is typed, closes, and the filter applies.
    type(input(), "dog in:Paris");
    await settle(10);
    await vi.advanceTimersByTimeAsync(200);
    expect(one("suggestions").hidden).toBe(true);
    expect(queries(calls).at(-1)?.text).toBe("dog in:Paris");
  });

  test("the grammar's own values are offered for type:", async () => {
    const calls = await mount();
    await typeQuery("dog type:j");
    expect(byTestId("suggestion").map((o) => o.dataset.value)).toEqual(["jpeg", "jxl"]);
    expect(calls.some((c) => c.cmd === "suggest"), "nothing to ask the shell").toBe(false);
  });
});

describe("timeline", () => {
  test("good matches by month; clicking a month narrows the text to it", async () => {
    const calls = await mount({
      timeline: (args) =>
        String(args.text).includes("after:")
          ? [{ month: "2019-07", count: 5 }]
          : [
              { month: "2019-05", count: 2 },
              { month: "2019-07", count: 5 },
            ],
    });
    await typeQuery("dog");
    await settle(10);
    expect(calls.filter((c) => c.cmd === "timeline").map((c) => c.args)).toEqual([{ text: "dog", examples: [] }]);
    const strip = one("timeline");
    expect(strip.hidden).toBe(false);
    const months = byTestId("timeline-month");
    expect(months.map((m) => [m.dataset.month, m.getAttribute("aria-label")])).toEqual([
      ["2019-05", "May 2019: 2 good matches"],
      ["2019-07", "July 2019: 5 good matches"],
    ]);
    expect(strip.querySelectorAll(".timeline-month").length, "June keeps its place, empty").toBe(3);
    expect(months.map((m) => m.tabIndex), "one tab stop").toEqual([0, -1]);
    key(months[0] as HTMLElement, "ArrowRight");
    (months[1] as HTMLButtonElement).click();
    expect(input().value).toBe("dog after:2019-07 before:2019-08");
    await vi.advanceTimersByTimeAsync(200);
    await settle(10);
    expect(queries(calls).at(-1)?.text).toBe("dog after:2019-07 before:2019-08");
    expect(byTestId("filter-chip").map((c) => c.textContent)).toEqual(["Jul 2019"]);
  });
});

describe("example photos", () => {
  test("Add to query in the preview adds the photo as a chip with its thumbnail; × removes it", async () => {
    const calls = await mount({
      photoDetails: (args) => ({
        id: args.photoId, path: "/photos/dog-1.jpg", name: "dog-1.jpg", size: 1, contentId: 1001,
        width: 1, height: 1, format: "JPEG", takenAt: null, camera: null, failure: null,
      }),
    });
    await typeQuery("dog");
    one("grid").focus();
    key(one("grid"), "ArrowRight");
    key(one("grid"), "Enter");
    await settle(10);
    one<HTMLButtonElement>("add-to-query").click();
    await settle(10);
    const chip = one("example-chip");
    expect(chip.dataset.photoId).toBe("1");
    expect(chip.textContent).toContain("dog-1.jpg");
    expect(chip.querySelector("img")?.getAttribute("src")).toBe("thumb://localhost/1001");
    expect(queries(calls).filter((q) => q.scope === "good").at(-1)).toMatchObject({ text: "dog", examples: [1] });
    expect(one("result-count").textContent).toContain("and the example photo");
    one<HTMLButtonElement>("example-remove").click();
    await settle(10);
    expect(byTestId("example-chip")).toEqual([]);
    expect(queries(calls).filter((q) => q.scope === "good").at(-1)).toMatchObject({ text: "dog", examples: [] });
  });

  test("a result dragged onto the search box joins the query", async () => {
    const calls = await mount({ startDrag: () => null });
    await typeQuery("dog");
    const box = one("searchbar");
    box.getBoundingClientRect = () => ({ left: 40, right: 640, top: 8, bottom: 44, width: 600, height: 36, x: 40, y: 8, toJSON: () => ({}) });
    const tile = byTestId("tile")[2] as HTMLElement;
    tile.dispatchEvent(new Event("dragstart", { bubbles: true, cancelable: true }));
    await settle(10);
    const path = tile.dataset.path ?? "";
    await emit("tauri://drag-enter", { paths: [path], position: { x: 300, y: 500 } });
    await emit("tauri://drag-over", { position: { x: 300, y: 20 } });
    expect(box.classList.contains("is-drop-target")).toBe(true);
    await emit("tauri://drag-drop", { paths: [path], position: { x: 300, y: 20 } });
    await settle(10);
    expect(one("example-chip").dataset.photoId).toBe(tile.dataset.photoId);
    expect(calls.some((c) => c.cmd === "addFolder"), "not a folder").toBe(false);
    expect(box.classList.contains("is-drop-target")).toBe(false);
  });
});

describe("help", () => {
  test("? lists every key with an example; an example goes into the box; Esc closes", async () => {
    const calls = await mount();
    const toggle = one<HTMLButtonElement>("query-help-toggle");
    expect(toggle.getAttribute("aria-label")).toBe("How to search");
    toggle.click();
    const help = one("query-help");
    expect(help.hidden).toBe(false);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    const text = help.textContent ?? "";
    for (const k of ["in:", "after:", "before:", "type:", "camera:", "orientation:", "name:", "sort:", "-word", "\"phrase\"", "term^2"]) {
      expect(text).toContain(k);
    }
    expect(byTestId("help-row").length).toBe(HELP_ROWS.length);
    key(help, "Escape");
    expect(help.hidden).toBe(true);
    expect(document.activeElement).toBe(toggle);
    // Esc with the focus elsewhere on the page (a click does not always focus the button).
    toggle.click();
    expect(help.hidden).toBe(false);
    key(document.body, "Escape");
    expect(help.hidden).toBe(true);
    toggle.click();
    byTestId("help-example").find((b) => b.textContent === "sort:newest")?.click();
    expect(input().value).toBe("sort:newest");
    expect(help.hidden).toBe(true);
    await vi.advanceTimersByTimeAsync(200);
    expect(queries(calls).at(-1)?.text).toBe("sort:newest");
  });
});
