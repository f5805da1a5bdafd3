// The main window and the quick-search window, end to end inside the page.
import { emit } from "@tauri-apps/api/event";
import { afterEach, describe, expect, test, vi } from "vitest";
import type { Status } from "../src/ipc";
import { mountApp, type AppHandle } from "../src/views/app";
import { mountQuick, type QuickHandle } from "../src/views/quick";
import {
  byTestId,
  fixedSizeResizeObserver,
  folder,
  key,
  makeHits,
  mockShell,
  one,
  readyStatus,
  resetShell,
  settle,
  type,
  queryHandler,
  type Call,
  type Handler,
} from "./helpers";

let app: AppHandle | null = null;
let quick: QuickHandle | null = null;

afterEach(() => {
  app?.destroy();
  quick?.destroy();
  app = quick = null;
  document.body.replaceChildren();
  resetShell();
  vi.unstubAllGlobals();
  vi.useRealTimers();
  localStorage.clear();
});

async function mountMain(handlers: Record<string, Handler> = {}, status: Status = readyStatus()): Promise<Call[]> {
  vi.stubGlobal("ResizeObserver", fixedSizeResizeObserver(1000, 700));
  const calls = mockShell({
    status: () => status,
    query: queryHandler((text, args) => {
      const examples = (args.examples as number[] | undefined) ?? [];
      if (text === "" && examples.length > 0) return makeHits(7, "sim", 500);
      return text.includes("nothing") ? [] : makeHits(50, text);
    }),
    timeline: () => [],
    photoDetails: (args) => ({
      id: args.photoId, path: `/photos/p-${String(args.photoId)}.jpg`, name: `p-${String(args.photoId)}.jpg`, size: 2_400_000,
      contentId: 1, width: 4032, height: 3024, format: "JPEG", takenAt: 1_700_000_000, camera: "Pixel 7", failure: null,
    }),
    ...handlers,
  });
  const root = document.createElement("div");
  document.body.append(root);
  app = mountApp(root);
  await app.ready;
  return calls;
}

async function search(text: string): Promise<void> {
  type(one<HTMLInputElement>("search-input"), text);
  await vi.advanceTimersByTimeAsync(200);
}

describe("main window", () => {
  test("the search box has focus at start", async () => {
    await mountMain();
    expect(document.activeElement).toBe(one("search-input"));
  });

  test("typing shows tiles with path and photo id; Esc clears", async () => {
    vi.useFakeTimers();
    await mountMain();
    expect(one("empty-state").dataset.state).toBe("start");
    await search("dog");
    const tiles = byTestId("tile");
    expect(tiles.length).toBeGreaterThan(0);
    expect(tiles[0]?.dataset.path).toBe("/photos/dog-1.jpg");
    expect(tiles[0]?.dataset.photoId).toBe("1");
    expect(one("grid").hidden).toBe(false);
    expect(one("empty-state").hidden).toBe(true);
    expect(one("result-count").textContent).toBe("50 good matches for “dog”");
    key(one("search-input"), "Escape");
    expect(one<HTMLInputElement>("search-input").value).toBe("");
    expect(byTestId("tile")).toEqual([]);
    expect(one("empty-state").dataset.state).toBe("start");
  });

  test("no results and no folders have their own empty states", async () => {
    vi.useFakeTimers();
    await mountMain();
    await search("in:nothing");
    expect(one("empty-state").dataset.state, "filters alone that select nothing").toBe("no-results");
    expect(one("empty-state").textContent).toContain("No photos match “in:nothing”");
    app?.destroy();
    resetShell();
    await mountMain({}, readyStatus([]));
    expect(one("empty-state").dataset.state).toBe("no-folders");
    expect(one("empty-state").textContent).toContain("Drop a folder here or click Add folder");
  });

  test("the start screen says when indexing is in progress", async () => {
    await mountMain({}, readyStatus([folder("/p", 100, 40, 60, 0)], { progress: { done: 40, total: 100, current: null, rate: 20, paused: false } }));
    expect(one("empty-state").textContent).toContain("Indexing 40 of 100");
    expect(one("empty-state").textContent).toContain("You can search already");
  });

  test("a native drop adds every dropped folder", async () => {
    const calls = await mountMain({ addFolder: (args) => folder(String(args.path), 0, 0, 0, 0) });
    await emit("tauri://drag-enter", { paths: ["/a"], position: { x: 1, y: 1 } });
    expect(one("drop-overlay").hidden, "the drop target shows while dragging").toBe(false);
    await emit("tauri://drag-drop", { paths: ["/photos/2023", "/photos/2024"], position: { x: 1, y: 1 } });
    await settle(10);
    expect(one("drop-overlay").hidden).toBe(true);
    expect(calls.filter((c) => c.cmd === "addFolder").map((c) => c.args)).toEqual([{ path: "/photos/2023" }, { path: "/photos/2024" }]);
    expect(byTestId("toast").map((t) => t.textContent).join(" ")).toContain("Added “2024”");
  });

  test("Add folder opens the native dialog and adds what was picked", async () => {
    const calls = await mountMain({
      "plugin:dialog|open": () => ["/home/me/Holiday"],
      addFolder: (args) => folder(String(args.path), 0, 0, 0, 0),
    });
    one<HTMLButtonElement>("add-folder").click();
    await settle(10);
    const dialog = calls.find((c) => c.cmd === "plugin:dialog|open");
    expect(dialog?.args.options).toMatchObject({ directory: true, multiple: true });
    expect(calls.filter((c) => c.cmd === "addFolder").map((c) => c.args)).toEqual([{ path: "/home/me/Holiday" }]);
  });

  test("preview: Enter opens it, → steps, Enter opens the photo, Esc closes", async () => {
    vi.useFakeTimers();
    const calls = await mountMain({ openPhoto: () => null });
    await search("beach");
    key(one("search-input"), "ArrowDown");
    expect(document.activeElement, "↓ moves into the results").toBe(one("grid"));
    key(one("grid"), "Enter");
    await settle(10);
    const preview = one("preview");
    expect(preview.closest(".overlay")?.hasAttribute("hidden")).toBe(false);
    expect(preview.dataset.photoId).toBe("1");
    expect(preview.textContent).toContain("4,032 × 3,024");
    expect(preview.textContent).toContain("Pixel 7");
    expect(preview.textContent).toContain("2.4 MB");
    key(preview, "ArrowRight");
    await settle(10);
    expect(preview.dataset.photoId).toBe("2");
    expect(byTestId("tile").find((t) => t.getAttribute("aria-selected") === "true")?.dataset.photoId, "the grid follows").toBe("2");
    key(preview, "Enter");
    await settle();
    expect(calls.filter((c) => c.cmd === "openPhoto").map((c) => c.args)).toEqual([{ photoId: 2 }]);
    key(preview, "Escape");
    expect(preview.closest(".overlay")?.hasAttribute("hidden")).toBe(true);
  });

  test("Find similar shows the similar results with a chip; × goes back", async () => {
    vi.useFakeTimers();
    const calls = await mountMain();
    await search("beach");
    one("grid").focus();
    key(one("grid"), "ArrowRight");
    key(one("grid"), "Enter");
    await settle(10);
    one<HTMLButtonElement>("find-similar").click();
    await settle(10);
    const similar = calls.filter((c) => c.cmd === "query" && (c.args.examples as number[]).length > 0 && c.args.scope === "good");
    expect(similar.map((c) => [c.args.text, c.args.examples])).toEqual([["", [1]]]);
    expect(one("similar-chip").hidden).toBe(false);
    expect(one("similar-chip").textContent).toContain("Similar to beach-1.jpg");
    expect(byTestId("tile")[0]?.dataset.photoId).toBe("500");
    one<HTMLButtonElement>("similar-clear").click();
    await settle(10);
    expect(one("similar-chip").hidden).toBe(true);
    expect(byTestId("tile")[0]?.dataset.photoId, "back to the text results").toBe("1");
  });

  test("first run: the download button starts the download and the bar follows glimpse://model", async () => {
    const missing = readyStatus([], { model: { state: "missing", defaultRepo: "google/siglip2-base-patch16-224", downloadBytes: 1_535_168_000 } });
    const calls = await mountMain({ downloadModel: () => null }, missing);
    expect(one("empty-state").dataset.state).toBe("no-model");
    expect(one("empty-state").textContent).toContain("once (about 1.5 GB) from Hugging Face (google/siglip2-base-patch16-224)");
    one<HTMLButtonElement>("model-download").click();
    await settle();
    expect(calls.filter((c) => c.cmd === "downloadModel").map((c) => c.args)).toEqual([{ repo: null }]);
    await emit("glimpse://model", { state: "downloading", file: "model.safetensors", done: 302_500_000, total: 605_000_000 });
    const progress = one("model-progress");
    expect(progress.hidden).toBe(false);
    expect(progress.textContent).toContain("302.5 MB of 605 MB");
    expect(progress.querySelector(".bar-fill")?.getAttribute("style") ?? "").toContain("50%");
    expect(one<HTMLButtonElement>("model-download").disabled).toBe(true);
    await emit("glimpse://model", { state: "ready", id: "clip", source: "hub:openai/clip-vit-base-patch32" });
    expect(one("empty-state").dataset.state, "ready, but no folders yet").toBe("no-folders");
  });

  test("a stopped pipeline shows a banner with the reason; Retry reopens and the banner goes once indexing runs", async () => {
    let stopped: string | null = null;
    const calls = await mountMain({
      status: () => readyStatus(undefined, { stopped }),
      retryIndexing: () => {
        stopped = null;
        return null;
      },
    });
    const banner = one("stopped-banner");
    expect(banner.hidden, "no banner while indexing runs").toBe(true);
    stopped = "the indexing pipeline has stopped: cannot write /home/me/.cache/glimpse/thumbs/ab/ab12.jpg.tmp: No space left on device (os error 28)";
    await emit("glimpse://stopped", { message: stopped });
    expect(banner.hidden).toBe(false);
    expect(banner.getAttribute("role"), "announced when it appears").toBe("alert");
    expect(one("stopped-advice").textContent).toBe("Indexing stopped. The disk is full. Free some space, then retry. Search keeps working meanwhile.");
    expect(one("stopped-reason").textContent).toContain("No space left on device");
    expect(one("progress").dataset.state, "the folders panel does not say up to date").toBe("stopped");
    one<HTMLButtonElement>("stopped-retry").click();
    expect(one<HTMLButtonElement>("stopped-retry").disabled, "one retry at a time").toBe(true);
    expect(one("stopped-retry").textContent).toBe("Retrying…");
    await vi.waitFor(() => expect(banner.hidden, "the status after the retry no longer says stopped").toBe(true));
    expect(calls.filter((c) => c.cmd === "retryIndexing")).toHaveLength(1);
  });

  test("a stop reported before the window opened shows from the status, and a retry that fails again keeps the banner", async () => {
    const reason = "the indexing pipeline has stopped: cannot write /mnt/usb/thumbs/ab: Not a directory (os error 20)";
    const calls = await mountMain({
      status: () => readyStatus(undefined, { stopped: reason }),
      retryIndexing: () => null,
    });
    const banner = one("stopped-banner");
    expect(banner.hidden).toBe(false);
    expect(one("stopped-advice").textContent).toContain("The thumbnail folder cannot be written");
    one<HTMLButtonElement>("stopped-retry").click();
    await vi.waitFor(() => expect(calls.filter((c) => c.cmd === "status").length).toBeGreaterThan(1));
    await vi.waitFor(() => expect(one<HTMLButtonElement>("stopped-retry").disabled).toBe(false));
    expect(calls.filter((c) => c.cmd === "retryIndexing")).toHaveLength(1);
    expect(banner.hidden, "the cause is still there: the banner stays").toBe(false);
  });

  test("thumbnail URLs use the thumb scheme with the content id", async () => {
    vi.useFakeTimers();
    await mountMain();
    await search("cat");
    const img = byTestId("tile")[0]?.querySelector("img");
    expect(img?.getAttribute("src")).toBe("thumb://localhost/1001");
    await emit("glimpse://thumbnails-ready", { contents: [1001] });
    expect(byTestId("tile")[0]?.querySelector("img")?.getAttribute("src")).toBe("thumb://localhost/1001?v=1");
  });
});

describe("quick search window", () => {
  async function mountQuickView(handlers: Record<string, Handler> = {}): Promise<Call[]> {
    const calls = mockShell({ query: queryHandler(() => makeHits(5, "q")), openPhoto: () => null, hideQuickSearch: () => null, ...handlers });
    const root = document.createElement("div");
    document.body.append(root);
    quick = mountQuick(root);
    return calls;
  }

  test("arrows select, Enter opens the photo and then hides the window", async () => {
    vi.useFakeTimers();
    const calls = await mountQuickView();
    const input = one<HTMLInputElement>("quick-input");
    expect(document.activeElement).toBe(input);
    type(input, "sea");
    await vi.advanceTimersByTimeAsync(200);
    const items = byTestId("quick-item");
    expect(items.length).toBe(5);
    expect(items[0]?.getAttribute("aria-selected")).toBe("true");
    key(input, "ArrowDown");
    key(input, "ArrowDown");
    key(input, "ArrowUp");
    expect(byTestId("quick-item")[1]?.getAttribute("aria-selected")).toBe("true");
    key(input, "Enter");
    await settle(10);
    const acted = calls.filter((c) => c.cmd !== "query" && c.cmd !== "prefetchQuery");
    expect(acted.map((c) => [c.cmd, c.args])).toEqual([
      ["openPhoto", { photoId: 2 }],
      ["hideQuickSearch", {}],
    ]);
  });

  test("Esc hides the window", async () => {
    const calls = await mountQuickView();
    key(one("quick-input"), "Escape");
    await settle();
    expect(calls.map((c) => c.cmd)).toEqual(["hideQuickSearch"]);
  });
});
