// Switching models: the catalogue in Settings (facts, badges, speed here, Switch, other
// models, kept vectors) and the switch bar of the main window (progress, "Use it now",
// "Cancel", the end of a switch).
import { emit } from "@tauri-apps/api/event";
import { afterEach, describe, expect, test, vi } from "vitest";
import type { CatalogueModel, ModelList, ModelSwitch, Settings, Status } from "../src/ipc";
import { mountApp, type AppHandle } from "../src/views/app";
import { SettingsPanel } from "../src/views/settings";
import { describeSwitch, switchPercent } from "../src/views/switchbar";
import {
  byTestId,
  fixedSizeResizeObserver,
  makeHits,
  mockShell,
  one,
  readyStatus,
  resetShell,
  settle,
  type Call,
  type Handler,
  queryHandler,
} from "./helpers";

let panel: SettingsPanel | null = null;
let app: AppHandle | null = null;

afterEach(() => {
  app?.destroy();
  app = null;
  panel = null;
  document.body.replaceChildren();
  resetShell();
  vi.unstubAllGlobals();
  vi.useRealTimers();
  localStorage.clear();
});

const OPENCLIP = "open_clip docs/openclip_retrieval_results.csv (github.com/mlfoundations/open_clip)";
const SIGLIP2 = "SigLIP 2 paper, Table 1 (Tschannen et al. 2025, arXiv 2502.14786)";

function row(name: string, title: string, over: Partial<CatalogueModel> = {}): CatalogueModel {
  const siglip = name.startsWith("siglip");
  return {
    name,
    title,
    repo: siglip ? `google/${name}` : `openai/${name}`,
    revision: siglip ? null : "refs/pr/15",
    architecture: siglip ? "siglip" : "clip",
    downloadBytes: siglip ? 1_535_167_943 : 607_386_427,
    dim: siglip ? 768 : 512,
    imageSize: 224,
    languages: siglip ? "Multilingual (trained on 109 languages)" : "English",
    multilingual: siglip,
    retrieval: siglip
      ? { cocoTextToImageR1: 52.1, cocoImageToTextR1: 68.9, source: SIGLIP2 }
      : { cocoTextToImageR1: 30.44, cocoImageToTextR1: 50.12, source: OPENCLIP },
    summary: `${title} in one sentence.`,
    calibration: { textCosine: siglip ? null : 0.25, imageCosine: 0.8, excludeCosine: null },
    calibrationSource: "test",
    measuredImagesPerSecond: null,
    measuredDevice: null,
    storedVectors: 0,
    inUse: false,
    switchingTo: false,
    default: false,
    downloaded: false,
    ...over,
  };
}

const embedding: ModelSwitch = {
  model: "siglip2-b16-224",
  title: "Google SigLIP 2 B/16, 224 px",
  fromTitle: "OpenAI CLIP ViT-B/32",
  phase: "embedding",
  done: 1234,
  total: 5000,
};

function catalogue(over: Partial<ModelList> = {}): ModelList {
  return {
    models: [
      row("clip-b32", "OpenAI CLIP ViT-B/32", {
        inUse: true,
        default: true,
        downloaded: true,
        measuredImagesPerSecond: 12.34,
        measuredDevice: "cpu",
        storedVectors: 5000,
      }),
      row("clip-b16", "OpenAI CLIP ViT-B/16"),
      row("siglip2-b16-224", "Google SigLIP 2 B/16, 224 px", { switchingTo: true, downloaded: true, storedVectors: 1234 }),
    ],
    stored: [
      { id: "openai/clip-vit-base-patch32@abc+pp1", title: "OpenAI CLIP ViT-B/32", catalogueName: "clip-b32", vectors: 5000, searching: true, switchingTo: false },
      { id: "google/siglip2-base-patch16-224@def+pp1", title: "Google SigLIP 2 B/16, 224 px", catalogueName: "siglip2-b16-224", vectors: 1234, searching: false, switchingTo: true },
      { id: "my-clip@123+pp1", title: "my-clip", catalogueName: null, vectors: 17, searching: false, switchingTo: false },
    ],
    switch: embedding,
    ...over,
  };
}

const stored: Settings = {
  modelSource: "clip-b32",
  nextModelSource: "siglip2-b16-224",
  cpuThreads: 0,
  cpuLimit: 100,
  thumbnailDir: null,
  launchAtLogin: false,
  sensitivity: 0,
};

async function openPanel(handlers: Record<string, Handler> = {}): Promise<{ calls: Call[]; infos: string[] }> {
  const infos: string[] = [];
  const calls = mockShell({
    getSettings: () => stored,
    setSettings: (args) => args.settings,
    listModels: () => catalogue(),
    ...handlers,
  });
  panel = new SettingsPanel({ onError: () => {}, onInfo: (m) => infos.push(m) });
  document.body.append(panel.element);
  await panel.open();
  await settle(10);
  return { calls, infos };
}

function rowOf(name: string): HTMLElement {
  const found = byTestId("model-row").find((r) => r.dataset.name === name);
  if (!found) throw new Error(`no row for ${name}`);
  return found;
}

describe("settings: the model catalogue", () => {
  test("one row per model with size, dimension, languages, COCO R@1 and its source, speed here", async () => {
    await openPanel();
    expect(byTestId("model-row").map((r) => r.dataset.name)).toEqual(["clip-b32", "clip-b16", "siglip2-b16-224"]);
    const b32 = rowOf("clip-b32");
    expect(b32.textContent).toContain("OpenAI CLIP ViT-B/32");
    expect(b32.textContent).toContain("607.4 MB, downloaded · 512 dimensions · English");
    const recall = one("model-recall", b32);
    expect(recall.textContent).toContain("COCO R@1 30.4\u00a0%");
    expect(recall.title).toContain("text → image 30.4\u00a0%, image → text 50.1\u00a0%");
    expect(recall.title, "the source is in the tooltip").toContain(OPENCLIP);
    expect(recall.querySelector(".visually-hidden")?.textContent, "and read out with the figure").toContain(OPENCLIP);
    expect(one("model-speed", b32).textContent).toBe("Speed here: 12.3 photos/s");
    const b16 = rowOf("clip-b16");
    expect(b16.textContent).toContain("607.4 MB download");
    expect(one("model-speed", b16).textContent).toBe("Speed here: not measured yet");
    const siglip = rowOf("siglip2-b16-224");
    expect(siglip.textContent).toContain("768 dimensions · Multilingual (trained on 109 languages)");
    expect(one("model-recall", siglip).textContent).toContain("COCO R@1 52.1\u00a0%");
  });

  test("the model in use and the one being switched to are badged and offer no Switch", async () => {
    await openPanel();
    const b32 = rowOf("clip-b32");
    expect(b32.dataset.inUse).toBe("true");
    expect(one("badge-in-use", b32).textContent).toBe("In use");
    expect(byTestId("model-switch-button", b32)).toEqual([]);
    const siglip = rowOf("siglip2-b16-224");
    expect(siglip.dataset.switching).toBe("true");
    expect(one("badge-switching", siglip).textContent).toBe("Switching…");
    expect(byTestId("model-switch-button", siglip)).toEqual([]);
    expect(one("model-switch-button", rowOf("clip-b16")).getAttribute("aria-label")).toBe("Switch to OpenAI CLIP ViT-B/16");
    // Settings shows the switch too.
    const bar = one("settings-model-switch");
    expect(bar.hidden).toBe(false);
    expect(bar.textContent).toContain("Switching to Google SigLIP 2 B/16, 224 px: 1,234 of 5,000 photos");
  });

  test("progress moves the Settings bar without rebuilding the rows; a phase change lists again", async () => {
    const { calls } = await openPanel();
    const listed = (): number => calls.filter((c) => c.cmd === "listModels").length;
    const row = rowOf("clip-b16");
    const before = listed();
    panel?.setSwitch({ ...embedding, done: 2000 });
    panel?.setSwitch({ ...embedding, done: 2100 });
    await settle(10);
    expect(rowOf("clip-b16"), "the same row element: nothing under the pointer moved").toBe(row);
    expect(listed()).toBe(before);
    expect(one("settings-model-switch").textContent).toContain("2,100 of 5,000 photos");
    panel?.setSwitch(null);
    await settle(10);
    expect(listed(), "the end of a switch lists the models again").toBe(before + 1);
  });

  test("Switch switches at once and the list follows; a refusal is shown in the model section", async () => {
    let list = catalogue({ switch: null });
    const started: ModelSwitch = { model: "clip-b16", title: "OpenAI CLIP ViT-B/16", fromTitle: "OpenAI CLIP ViT-B/32", phase: "downloading", file: "", done: 0, total: 600_761_307 };
    const { calls } = await openPanel({
      listModels: () => list,
      switchModel: (args) => {
        if (args.model === "clip-b16") {
          list = { ...list, switch: started, models: list.models.map((m) => (m.name === "clip-b16" ? { ...m, switchingTo: true } : m)) };
          return started;
        }
        return Promise.reject({ code: "model", message: "/nowhere: not a model folder" });
      },
    });
    one<HTMLButtonElement>("model-switch-button", rowOf("clip-b16")).click();
    await settle(20);
    expect(calls.filter((c) => c.cmd === "switchModel").map((c) => c.args)).toEqual([{ model: "clip-b16" }]);
    expect(rowOf("clip-b16").dataset.switching).toBe("true");
    expect(one("settings-model-switch").textContent).toContain("Downloading OpenAI CLIP ViT-B/16: 0 bytes of 600.8 MB");
    expect(panel?.isOpen, "switching does not need Save").toBe(true);

    // Another model: a folder on this computer.
    const dirRadio = one("model-other").querySelectorAll<HTMLInputElement>("input[type=radio]")[1];
    dirRadio?.click();
    one<HTMLInputElement>("model-other-dir").value = "/nowhere";
    one<HTMLButtonElement>("model-other-switch").click();
    await settle(20);
    expect(calls.filter((c) => c.cmd === "switchModel").map((c) => c.args.model)).toEqual(["clip-b16", "dir:/nowhere"]);
    expect(one("model-message").hidden).toBe(false);
    expect(one("model-message").textContent).toBe("/nowhere: not a model folder.");
  });

  test("another model from a Hugging Face repo; an empty field asks for one", async () => {
    const { calls } = await openPanel({ switchModel: () => null });
    one<HTMLButtonElement>("model-other-switch").click();
    await settle(10);
    expect(calls.some((c) => c.cmd === "switchModel")).toBe(false);
    expect(one("model-message").textContent).toBe("Type a Hugging Face repo as org/name.");
    one<HTMLInputElement>("model-other-repo").value = " org/my-clip@v2 ";
    one<HTMLButtonElement>("model-other-switch").click();
    await settle(10);
    expect(calls.filter((c) => c.cmd === "switchModel").map((c) => c.args)).toEqual([{ model: "hub:org/my-clip@v2" }]);
  });

  test("kept vectors: Remove is off for the models in use, and asks before removing", async () => {
    let list = catalogue();
    const { calls, infos } = await openPanel({
      listModels: () => list,
      removeModelVectors: (args) => {
        list = { ...list, stored: list.stored.filter((m) => m.id !== args.id) };
        return { removed: 17 };
      },
    });
    const rows = byTestId("model-vectors-row");
    expect(rows.map((r) => r.textContent?.replace(/\s*Remove$/, ""))).toEqual([
      "OpenAI CLIP ViT-B/32 — 5,000 photos · in use",
      "Google SigLIP 2 B/16, 224 px — 1,234 photos · being switched to",
      "my-clip — 17 photos",
    ]);
    const removes = byTestId<HTMLButtonElement>("model-vectors-remove");
    expect(removes.map((b) => b.disabled)).toEqual([true, true, false]);
    removes[2]?.click();
    expect(one("model-vectors-keep")).toBe(document.activeElement);
    expect(byTestId("model-vectors-row")[2]?.textContent).toContain("Remove the vectors of my-clip?");
    one<HTMLButtonElement>("model-vectors-confirm").click();
    await settle(20);
    expect(calls.filter((c) => c.cmd === "removeModelVectors").map((c) => c.args)).toEqual([{ id: "my-clip@123+pp1" }]);
    expect(byTestId("model-vectors-row")).toHaveLength(2);
    expect(infos).toEqual(["Removed the vectors of my-clip (17 photos)."]);
  });

  test("Save stores the other settings and leaves the model fields as they were", async () => {
    const { calls } = await openPanel();
    one<HTMLInputElement>("settings-launch").click();
    one<HTMLButtonElement>("settings-save").click();
    await settle(10);
    const saved = calls.find((c) => c.cmd === "setSettings")?.args.settings as Settings;
    expect(saved).toEqual({ ...stored, launchAtLogin: true });
  });

  test("a model outside the catalogue fills the other-model fields", async () => {
    await openPanel({ getSettings: () => ({ ...stored, modelSource: "dir:/models/tiny" }) });
    expect(one<HTMLInputElement>("model-other-dir").value).toBe("/models/tiny");
    expect(one<HTMLInputElement>("model-other-dir").disabled).toBe(false);
    expect(one<HTMLInputElement>("model-other-repo").disabled).toBe(true);
  });
});

describe("the switch bar", () => {
  test("says what is happening in each phase", () => {
    const base = { model: "siglip2-b16-224", title: "SigLIP 2 B/16", fromTitle: "CLIP B/32" };
    expect(describeSwitch({ ...base, phase: "downloading", file: "model.safetensors", done: 340_000_000, total: 1_500_000_000 }).text).toBe(
      "Downloading SigLIP 2 B/16: 340 MB of 1.5 GB",
    );
    expect(describeSwitch({ ...base, phase: "downloading", file: "x", done: 340_000_000, total: null }).text).toBe("Downloading SigLIP 2 B/16: 340 MB");
    expect(describeSwitch({ ...base, phase: "loading" }).text).toBe("Loading SigLIP 2 B/16…");
    const e = describeSwitch({ ...base, phase: "embedding", done: 1234, total: 5000 });
    expect(e).toEqual({ text: "Switching to SigLIP 2 B/16: 1,234 of 5,000 photos", detail: "Search uses CLIP B/32 until then." });
    expect(describeSwitch({ ...base, phase: "embedding", done: 1, total: 2 }, true).detail).toBe("Paused with indexing. Search uses CLIP B/32 until then.");
    expect(describeSwitch({ ...base, phase: "error", message: "The hub cannot be reached." })).toEqual({
      text: "Could not switch to SigLIP 2 B/16",
      detail: "The hub cannot be reached.",
    });
    expect(switchPercent({ ...base, phase: "embedding", done: 1250, total: 5000 })).toBe(25);
    expect(switchPercent({ ...base, phase: "loading" }), "loading has no percentage").toBeNull();
    expect(switchPercent({ ...base, phase: "downloading", file: "x", done: 5, total: null })).toBeNull();
  });

  async function mountMain(handlers: Record<string, Handler>, status: Status): Promise<Call[]> {
    vi.stubGlobal("ResizeObserver", fixedSizeResizeObserver(1000, 700));
    const calls = mockShell({ status: () => status, query: queryHandler((text) => makeHits(5, text)), timeline: () => [], ...handlers });
    const root = document.createElement("div");
    document.body.append(root);
    app = mountApp(root);
    await app.ready;
    return calls;
  }

  test("the main window shows the switch from status and events, with Use it now and Cancel", async () => {
    const calls = await mountMain(
      { finishModelSwitch: () => null, cancelModelSwitch: () => null },
      readyStatus(undefined, { switch: { ...embedding, done: 0, total: 5000 } }),
    );
    const bar = one("model-switch");
    expect(bar.hidden).toBe(false);
    expect(bar.dataset.phase).toBe("embedding");
    expect(bar.textContent).toContain("Switching to Google SigLIP 2 B/16, 224 px: 0 of 5,000 photos");
    expect(bar.textContent).toContain("Search uses OpenAI CLIP ViT-B/32 until then.");
    await emit("glimpse://model-switch", embedding);
    expect(bar.textContent).toContain("1,234 of 5,000 photos");
    expect(bar.querySelector(".bar-fill")?.getAttribute("style") ?? "").toContain("24.68%");
    expect(bar.querySelector("[role=progressbar]")?.getAttribute("aria-valuenow")).toBe("25");
    one<HTMLButtonElement>("switch-finish", bar).click();
    one<HTMLButtonElement>("switch-cancel", bar).click();
    await settle();
    expect(calls.filter((c) => c.cmd === "finishModelSwitch" || c.cmd === "cancelModelSwitch").map((c) => c.cmd)).toEqual([
      "finishModelSwitch",
      "cancelModelSwitch",
    ]);
    await emit("glimpse://model-switch", { ...embedding, phase: "downloading", file: "model.safetensors", done: 340_000_000, total: 1_535_167_943 });
    expect(bar.dataset.phase).toBe("downloading");
    expect(bar.textContent).toContain("Downloading Google SigLIP 2 B/16, 224 px: 340 MB of 1.5 GB");
    expect(one("switch-finish", bar).hidden, "nothing to use yet").toBe(true);
    await emit("glimpse://model-switch", null);
    expect(bar.hidden).toBe(true);
    expect(byTestId("toast"), "a cancel is not announced as a switch").toEqual([]);
  });

  test("when the new model takes over, the bar goes, a toast says so and the search runs again", async () => {
    vi.useFakeTimers();
    const calls = await mountMain({}, readyStatus(undefined, { switch: embedding }));
    one<HTMLInputElement>("search-input").value = "a red circle";
    one<HTMLInputElement>("search-input").dispatchEvent(new Event("input", { bubbles: true }));
    await vi.advanceTimersByTimeAsync(200);
    const searches = (): number => calls.filter((c) => c.cmd === "query").length;
    const before = searches();
    await emit("glimpse://model", { state: "ready", id: "google/siglip2-base-patch16-224@def+pp1", source: "google/siglip2-base-patch16-224" });
    await emit("glimpse://model-switch", null);
    await vi.advanceTimersByTimeAsync(200);
    expect(one("model-switch").hidden).toBe(true);
    expect(byTestId("toast").map((t) => t.textContent)).toContain("Now searching with Google SigLIP 2 B/16, 224 px.");
    expect(searches(), "the results are asked for again").toBeGreaterThan(before);
  });

  test("a failed switch is explained and can be dismissed", async () => {
    const calls = await mountMain(
      { cancelModelSwitch: () => null },
      readyStatus(undefined, { switch: { ...embedding, phase: "error", message: "Google SigLIP 2 B/16, 224 px could not be downloaded: the hub cannot be reached." } }),
    );
    const bar = one("model-switch");
    expect(bar.dataset.phase).toBe("error");
    expect(bar.textContent).toContain("Could not switch to Google SigLIP 2 B/16, 224 px");
    expect(bar.textContent).toContain("the hub cannot be reached");
    const dismiss = one<HTMLButtonElement>("switch-cancel", bar);
    expect(dismiss.textContent).toBe("Dismiss");
    dismiss.click();
    await settle();
    expect(calls.some((c) => c.cmd === "cancelModelSwitch")).toBe(true);
  });
});
