// The quick-search window's keyboard and focus behaviour (the window is shown by the global
// shortcut or the tray; the page only asks the shell to hide it or open a photo).
import { afterEach, describe, expect, test, vi } from "vitest";
import { mountQuick, type QuickHandle } from "../src/views/quick";
import {
  byTestId,
  key,
  makeHits,
  mockShell,
  one,
  queryHandler,
  resetShell,
  settle,
  type,
  type Call,
  type Handler,
} from "./helpers";

let quick: QuickHandle | null = null;

afterEach(() => {
  quick?.destroy();
  quick = null;
  document.body.replaceChildren();
  resetShell();
  vi.useRealTimers();
});

function mountQuickView(handlers: Record<string, Handler> = {}): Call[] {
  const calls = mockShell({ query: queryHandler(() => makeHits(3, "q")), openPhoto: () => null, hideQuickSearch: () => null, ...handlers });
  const root = document.createElement("div");
  document.body.append(root);
  quick = mountQuick(root);
  return calls;
}

async function searchFor(text: string): Promise<void> {
  type(one<HTMLInputElement>("quick-input"), text);
  await vi.advanceTimersByTimeAsync(200);
}

const selected = (): number => byTestId("quick-item").findIndex((el) => el.getAttribute("aria-selected") === "true");
// What the window did besides searching (typing also prefetches each text).
const acted = (calls: Call[]): unknown[] =>
  calls.filter((c) => c.cmd !== "query" && c.cmd !== "prefetchQuery").map((c) => [c.cmd, c.args]);

describe("quick search keyboard", () => {
  test("↑/↓ stop at the first and last result and keep the caret in the box", async () => {
    vi.useFakeTimers();
    mountQuickView();
    await searchFor("sea");
    const input = one<HTMLInputElement>("quick-input");
    expect(selected()).toBe(0);
    expect(key(input, "ArrowUp").defaultPrevented, "arrows do not move the caret").toBe(true);
    expect(selected(), "up from the first stays on the first").toBe(0);
    for (let i = 0; i < 5; i++) key(input, "ArrowDown");
    expect(selected(), "down from the last stays on the last").toBe(2);
    expect(input.getAttribute("aria-activedescendant")).toBe("quick-item-2");
  });

  test("Enter opens the selected photo by id, then hides the window", async () => {
    vi.useFakeTimers();
    const calls = mountQuickView();
    await searchFor("sea");
    key(one("quick-input"), "ArrowDown");
    key(one("quick-input"), "ArrowDown");
    key(one("quick-input"), "Enter");
    await settle(10);
    expect(acted(calls)).toEqual([
      ["openPhoto", { photoId: 3 }],
      ["hideQuickSearch", {}],
    ]);
  });

  test("Enter without results does nothing", async () => {
    vi.useFakeTimers();
    const calls = mountQuickView({ query: queryHandler(() => []) });
    await searchFor("nothing like this");
    key(one("quick-input"), "Enter");
    await settle(10);
    expect(acted(calls)).toEqual([]);
    expect(document.body.textContent).toContain("No good matches for “nothing like this”");
  });

  test("a photo that cannot be opened says why and the window stays", async () => {
    vi.useFakeTimers();
    const calls = mountQuickView({
      openPhoto: () => Promise.reject({ code: "unknown_photo", message: "1: not a photo of this library" }),
    });
    await searchFor("sea");
    key(one("quick-input"), "Enter");
    await settle(10);
    expect(acted(calls)).toEqual([["openPhoto", { photoId: 1 }]]);
    expect(one("error-banner").textContent).toContain("not a photo of this library");
  });

  test("Esc hides the window without opening anything", async () => {
    vi.useFakeTimers();
    const calls = mountQuickView();
    await searchFor("sea");
    expect(key(one("quick-input"), "Escape").defaultPrevented).toBe(true);
    await settle();
    expect(acted(calls)).toEqual([["hideQuickSearch", {}]]);
  });

  test("leaving the window (blur) hides it; coming back focuses and selects the query", async () => {
    vi.useFakeTimers();
    const calls = mountQuickView();
    await searchFor("sea");
    window.dispatchEvent(new Event("blur"));
    await settle();
    expect(acted(calls)).toEqual([["hideQuickSearch", {}]]);
    const input = one<HTMLInputElement>("quick-input");
    input.blur();
    window.dispatchEvent(new Event("focus"));
    expect(document.activeElement).toBe(input);
    expect([input.selectionStart, input.selectionEnd]).toEqual([0, 3]);
  });

  test("a destroyed window no longer reacts to blur", () => {
    const calls = mountQuickView();
    quick?.destroy();
    quick = null;
    window.dispatchEvent(new Event("blur"));
    expect(calls).toEqual([]);
  });
});
