// Errors are shown as the shell's sentence, never as a code.
import { emit } from "@tauri-apps/api/event";
import { afterEach, describe, expect, test, vi } from "vitest";
import { errorMessage, GlimpseError, toGlimpseError } from "../src/ipc";
import { mountApp, type AppHandle } from "../src/views/app";
import { byTestId, fixedSizeResizeObserver, mockShell, one, readyStatus, resetShell, settle, type } from "./helpers";

let app: AppHandle | null = null;

afterEach(() => {
  app?.destroy();
  app = null;
  resetShell();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("toGlimpseError", () => {
  test("keeps the code for branching and the message for people", () => {
    const e = toGlimpseError({ code: "not_a_folder", message: "/tmp/x.jpg is not a folder." });
    expect(e).toBeInstanceOf(GlimpseError);
    expect(e.code).toBe("not_a_folder");
    expect(e.message).toBe("/tmp/x.jpg is not a folder.");
  });

  test("an unknown code is 'unknown'; a missing message gets a sentence, not the code", () => {
    const e = toGlimpseError({ code: "disk_on_fire" });
    expect(e.code).toBe("unknown");
    expect(e.message).toBe("Something went wrong.");
    expect(toGlimpseError({ code: "io", message: "" }).message).toBe("A file could not be read or written.");
  });

  test("strings and Errors become sentences", () => {
    expect(errorMessage("command search not found")).toBe("Command search not found.");
    expect(errorMessage(new Error("dialog failed"))).toBe("Dialog failed.");
    expect(errorMessage(undefined)).toBe("Something went wrong.");
    expect(errorMessage(toGlimpseError({ code: "io", message: "x" }))).toBe("X.");
  });
});

describe("error banner", () => {
  async function mount(handlers: Parameters<typeof mockShell>[0]): Promise<void> {
    vi.stubGlobal("ResizeObserver", fixedSizeResizeObserver(1000, 700));
    mockShell({ status: () => readyStatus(), ...handlers });
    const root = document.createElement("div");
    document.body.append(root);
    app = mountApp(root, { e2e: true });
    await app.ready;
  }

  test("the end-to-end tests' add-folder form exists only when asked for", async () => {
    vi.stubGlobal("ResizeObserver", fixedSizeResizeObserver(1000, 700));
    mockShell({ status: () => readyStatus() });
    const root = document.createElement("div");
    document.body.append(root);
    app = mountApp(root);
    await app.ready;
    expect(byTestId("add-folder-path"), "a normal window has no test form").toEqual([]);
  });

  test("a rejected {code, message} from addFolder shows the message, not the code", async () => {
    await mount({ addFolder: () => Promise.reject({ code: "not_a_folder", message: "/tmp/cat.jpg is not a folder." }) });
    const input = one<HTMLInputElement>("add-folder-path-input");
    input.value = "/tmp/cat.jpg";
    one<HTMLFormElement>("add-folder-path").dispatchEvent(new Event("submit", { cancelable: true }));
    await settle(10);
    const banners = byTestId("error-banner");
    expect(banners.length).toBe(1);
    expect(banners[0]?.textContent).toContain("/tmp/cat.jpg is not a folder.");
    expect(banners[0]?.textContent, "codes are never shown").not.toContain("not_a_folder");
    expect(banners[0]?.getAttribute("role")).toBe("alert");
  });

  test("a failing search shows its message once, even if it fails again", async () => {
    vi.useFakeTimers();
    await mount({ query: () => Promise.reject({ code: "vectors", message: "The search index is damaged; it will be rebuilt." }) });
    const input = one<HTMLInputElement>("search-input");
    type(input, "dog");
    await vi.advanceTimersByTimeAsync(200);
    type(input, "dogs");
    await vi.advanceTimersByTimeAsync(200);
    const banners = byTestId("error-banner");
    expect(banners.length, "the same message is counted, not stacked").toBe(1);
    expect(banners[0]?.textContent).toContain("The search index is damaged; it will be rebuilt.");
    expect(banners[0]?.textContent).toContain("×2");
    // The code is never shown (Settings' own "Vectors kept" section is not an error).
    const shown = [...byTestId("error-banner"), ...byTestId("toast"), one("empty-state")].map((e) => e.textContent).join(" ");
    expect(shown).not.toContain("vectors");
  });

  test("no_model is explained by the first-run screen, not a toast", async () => {
    vi.useFakeTimers();
    const status = readyStatus([], { model: { state: "missing", defaultRepo: "google/siglip2-base-patch16-224", downloadBytes: 1_535_168_000 } });
    await mount({ status: () => status, query: () => Promise.reject({ code: "no_model", message: "The model is missing." }) });
    type(one<HTMLInputElement>("search-input"), "dog");
    await vi.advanceTimersByTimeAsync(200);
    expect(byTestId("error-banner")).toEqual([]);
    expect(one("empty-state").dataset.state).toBe("no-model");
    expect(one("model-download").textContent).toContain("Download the model");
    expect(one("empty-state").textContent).toContain("downloaded once (about 1.5 GB)");
  });

  test("if the first status fails, the main area says why and offers to try again", async () => {
    let fail = true;
    await mount({
      status: () => (fail ? Promise.reject({ code: "catalog", message: "The photo catalog could not be opened." }) : readyStatus()),
    });
    const empty = one("empty-state");
    expect(empty.dataset.state).toBe("loading");
    expect(empty.textContent).toContain("The photo catalog could not be opened.");
    expect(empty.textContent).not.toContain("catalog:");
    expect(empty.textContent).toContain("Glimpse could not start");
    expect(one("in-use-waiting").hidden).toBe(true);
    fail = false;
    one<HTMLButtonElement>("retry").click();
    await settle(10);
    expect(one("empty-state").dataset.state).toBe("start");
  });

  test("a library open in another Glimpse is explained as a wait, and clears when it opens", async () => {
    let inUse = true;
    await mount({
      status: () =>
        inUse
          ? Promise.reject({
              code: "in_use",
              message:
                "Another Glimpse (process 4242) has the library in /home/ana/.local/share/glimpse open: a glimpse command in a terminal, or another copy of the app.",
            })
          : readyStatus(),
    });
    const empty = one("empty-state");
    expect(empty.dataset.state).toBe("loading");
    expect(empty.textContent).toContain("This library is open in another Glimpse");
    expect(empty.textContent).toContain("(process 4242)");
    expect(empty.textContent).not.toContain("could not start");
    expect(one("in-use-waiting").hidden).toBe(false);
    expect(one("retry").parentElement?.hidden, "the shell retries by itself").toBe(true);
    // The shell announces the opened library with folders-changed; the UI reloads on it.
    inUse = false;
    await emit("glimpse://folders-changed", null);
    await settle(10);
    expect(one("empty-state").dataset.state).toBe("start");
  });
});
