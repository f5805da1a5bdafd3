// The folders panel, fed by the status command and the shell's events.
import { emit } from "@tauri-apps/api/event";
import { afterEach, describe, expect, test } from "vitest";
import { Library } from "../src/library";
import { FoldersPanel } from "../src/views/folders";
import { byTestId, folder, mockShell, one, readyStatus, resetShell, settle, type Call } from "./helpers";

let library: Library | null = null;

afterEach(() => {
  library?.stop();
  library = null;
  document.body.replaceChildren();
  resetShell();
});

async function mountPanel(status = readyStatus()): Promise<{ panel: FoldersPanel; calls: Call[]; errors: unknown[] }> {
  const errors: unknown[] = [];
  const calls = mockShell({
    status: () => status,
    setPaused: () => null,
    removeFolder: () => null,
  });
  const lib = new Library({ onError: (e) => errors.push(e) });
  library = lib;
  const panel = new FoldersPanel({
    addFolder: () => undefined,
    removeFolder: (path) => lib.removeFolder(path),
    setPaused: (paused) => void lib.setPaused(paused),
  });
  document.body.append(panel.element);
  lib.subscribe((state) => panel.render(state));
  await lib.start();
  return { panel, calls, errors };
}

describe("folders panel", () => {
  test("renders each folder with its counts", async () => {
    await mountPanel(
      readyStatus([folder("/home/me/Pictures", 1234, 1200, 30, 4, 1), folder("C:\\Users\\me\\Phone", 1, 1, 0, 0, 2)]),
    );
    const rows = byTestId("folder-row");
    expect(rows.map((r) => r.dataset.path)).toEqual(["/home/me/Pictures", "C:\\Users\\me\\Phone"]);
    const first = rows[0];
    expect(first?.querySelector(".folder-name")?.textContent, "the folder's own name is shown").toBe("Pictures");
    expect(first?.textContent).toContain("1,234 photos");
    expect(first?.textContent).toContain("30 to index");
    expect(first?.textContent).toContain("4 failed");
    expect(first?.dataset.indexed).toBe("1200");
    expect(rows[1]?.querySelector(".folder-name")?.textContent, "Windows paths too").toBe("Phone");
    expect(rows[1]?.textContent).toContain("1 photo");
    expect(rows[1]?.textContent).not.toContain("failed");
  });

  test("shows live progress from glimpse://progress: done/total, rate, time left", async () => {
    await mountPanel();
    await emit("glimpse://progress", { done: 50, total: 200, current: "/photos/IMG_0050.jpg", rate: 10, paused: false });
    const progress = one("progress");
    expect(progress.dataset.done).toBe("50");
    expect(progress.dataset.total).toBe("200");
    expect(progress.dataset.state).toBe("indexing");
    expect(progress.textContent).toContain("50 of 200 photos");
    expect(progress.textContent).toContain("10 photos/s");
    // 150 left at 10/s = 15 s.
    expect(progress.textContent).toContain("less than a minute left");
    expect(progress.textContent, "the file being indexed").toContain("IMG_0050.jpg");
    expect(progress.querySelector(".bar-fill")?.getAttribute("style") ?? "").toContain("25%");

    await emit("glimpse://progress", { done: 50, total: 20_050, current: null, rate: 10, paused: false });
    expect(progress.textContent, "20,000 left at 10/s is 33.3 min, rounded up").toContain("about 34 min left");
  });

  test("pause and resume call setPaused and the button follows the paused state", async () => {
    const { calls } = await mountPanel();
    await emit("glimpse://progress", { done: 1, total: 10, current: null, rate: 2, paused: false });
    const toggle = one<HTMLButtonElement>("pause-toggle");
    expect(toggle.textContent).toBe("Pause");
    toggle.click();
    await settle();
    expect(calls.filter((c) => c.cmd === "setPaused").map((c) => c.args)).toEqual([{ paused: true }]);
    expect(toggle.textContent, "flips at once").toBe("Resume");
    await emit("glimpse://progress", { done: 1, total: 10, current: null, rate: 0, paused: true });
    expect(one("progress").dataset.state).toBe("paused");
    one<HTMLButtonElement>("pause-toggle").click();
    await settle();
    expect(calls.filter((c) => c.cmd === "setPaused").map((c) => c.args)).toEqual([{ paused: true }, { paused: false }]);
  });

  test("failed files arrive by event and are listed with their reasons", async () => {
    await mountPanel();
    const failures = one<HTMLDetailsElement>("failures");
    expect(failures.hidden, "no failures, no list").toBe(true);
    await emit("glimpse://item-failed", { path: "/photos/broken.jpg", reason: "The file is not a valid JPEG image." });
    await emit("glimpse://item-failed", { path: "/photos/huge.tif", reason: "The image is too large." });
    expect(failures.hidden).toBe(false);
    expect(failures.querySelector("summary")?.textContent).toBe("2 files could not be indexed");
    failures.open = true;
    failures.dispatchEvent(new Event("toggle"));
    const items = byTestId("failure", failures);
    expect(items.map((i) => i.textContent)).toEqual([
      "huge.tifThe image is too large.",
      "broken.jpgThe file is not a valid JPEG image.",
    ]);
  });

  test("removing a folder asks first; only the confirmation calls removeFolder", async () => {
    const { calls } = await mountPanel(readyStatus([folder("/photos/a", 3, 3, 0, 0, 1), folder("/photos/b", 2, 2, 0, 0, 2)]));
    const row = byTestId("folder-row").find((r) => r.dataset.path === "/photos/b");
    if (!row) throw new Error("row missing");
    one<HTMLButtonElement>("folder-remove", row).click();
    expect(calls.some((c) => c.cmd === "removeFolder"), "a click alone removes nothing").toBe(false);
    expect(row.textContent).toContain("Remove “b” from Glimpse?");
    one<HTMLButtonElement>("folder-remove-cancel", row).click();
    expect(calls.some((c) => c.cmd === "removeFolder")).toBe(false);
    one<HTMLButtonElement>("folder-remove", row).click();
    one<HTMLButtonElement>("folder-remove-confirm", row).click();
    await settle();
    expect(calls.filter((c) => c.cmd === "removeFolder").map((c) => c.args)).toEqual([{ path: "/photos/b" }]);
  });

  test("glimpse://folders-changed fetches the counts again", async () => {
    let status = readyStatus([folder("/photos", 10, 5, 5, 0)]);
    const calls = mockShell({ status: () => status });
    const lib = new Library({ onError: () => undefined });
    library = lib;
    const panel = new FoldersPanel({ addFolder: () => undefined, removeFolder: async () => undefined, setPaused: () => undefined });
    document.body.append(panel.element);
    lib.subscribe((s) => panel.render(s));
    await lib.start();
    expect(one("folder-row").dataset.indexed).toBe("5");
    status = readyStatus([folder("/photos", 10, 10, 0, 0)]);
    await emit("glimpse://folders-changed", null);
    await settle(10);
    expect(calls.filter((c) => c.cmd === "status").length).toBe(2);
    expect(one("folder-row").dataset.indexed).toBe("10");
    expect(one("folder-row").textContent).not.toContain("to index");
  });
});
