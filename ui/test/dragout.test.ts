// Dragging a result out of the window: the page asks the shell for a native drag by photo
// id (never a path), and a drag that comes back over the window is not a folder drop.
import { emit } from "@tauri-apps/api/event";
import { afterEach, describe, expect, test, vi } from "vitest";
import { mountApp, type AppHandle } from "../src/views/app";
import {
  byTestId,
  fixedSizeResizeObserver,
  folder,
  makeHits,
  mockShell,
  one,
  readyStatus,
  resetShell,
  settle,
  type,
  type Call,
  type Handler,
  queryHandler,
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

async function mountWithResults(handlers: Record<string, Handler> = {}): Promise<Call[]> {
  vi.useFakeTimers();
  vi.stubGlobal("ResizeObserver", fixedSizeResizeObserver(1000, 700));
  const calls = mockShell({
    status: () => readyStatus(),
    query: queryHandler((text) => makeHits(20, text)),
    timeline: () => [],
    startDrag: () => null,
    addFolder: (args) => folder(String(args.path), 0, 0, 0, 0),
    ...handlers,
  });
  const root = document.createElement("div");
  document.body.append(root);
  app = mountApp(root);
  await app.ready;
  type(one<HTMLInputElement>("search-input"), "dog");
  await vi.advanceTimersByTimeAsync(200);
  return calls;
}

function dragStart(el: Element): Event {
  const event = new Event("dragstart", { bubbles: true, cancelable: true });
  el.dispatchEvent(event);
  return event;
}

describe("drag a result out", () => {
  test("dragging a tile asks the shell to drag that photo, by id, and selects it", async () => {
    const calls = await mountWithResults();
    const tile = byTestId("tile")[2];
    expect(tile?.draggable, "tiles can be dragged").toBe(true);
    const event = dragStart(tile?.querySelector("img") ?? document.body);
    await settle();
    expect(event.defaultPrevented, "the web drag gives way to the native one").toBe(true);
    expect(calls.filter((c) => c.cmd === "startDrag").map((c) => c.args)).toEqual([{ photoId: 3 }]);
    expect(tile?.getAttribute("aria-selected")).toBe("true");
  });

  test("a drag started outside any tile asks for nothing", async () => {
    const calls = await mountWithResults();
    dragStart(one("grid"));
    await settle();
    expect(calls.some((c) => c.cmd === "startDrag")).toBe(false);
  });

  test("the photo dropped back on the window is not added as a folder", async () => {
    const calls = await mountWithResults();
    dragStart(byTestId("tile")[0] ?? document.body);
    await settle();
    await emit("tauri://drag-enter", { paths: ["/photos/dog-1.jpg"], position: { x: 1, y: 1 } });
    expect(one("drop-overlay").hidden, "no 'drop folders' overlay for our own drag").toBe(true);
    await emit("tauri://drag-drop", { paths: ["/photos/dog-1.jpg"], position: { x: 1, y: 1 } });
    await settle(10);
    expect(calls.some((c) => c.cmd === "addFolder")).toBe(false);
    // A real folder dropped afterwards is still added.
    await emit("tauri://drag-enter", { paths: ["/photos/2024"], position: { x: 1, y: 1 } });
    await emit("tauri://drag-drop", { paths: ["/photos/2024"], position: { x: 1, y: 1 } });
    await settle(10);
    expect(calls.filter((c) => c.cmd === "addFolder").map((c) => c.args)).toEqual([{ path: "/photos/2024" }]);
  });

  test("a refused drag is explained in a toast", async () => {
    await mountWithResults({
      startDrag: () => Promise.reject({ code: "io", message: "/photos/dog-1.jpg: the file is no longer there." }),
    });
    dragStart(byTestId("tile")[0] ?? document.body);
    await settle(10);
    expect(one("error-banner").textContent).toContain("the file is no longer there");
  });
});
