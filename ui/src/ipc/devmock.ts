// A stand-in shell for `npm run dev` in a plain browser (development only, never bundled):
// a fake library with generated thumbnails, search with random latency (to show the
// stale-response handling), indexing progress and a model download. Query parameters:
// `n=<photos>` (default 5000), `model=missing`, `folders=0`, `switch=1` (a model switch under
// way: SigLIP 2 re-embedding the library); for screenshots, `q=<query>` types a query,
// `open=1` then opens the preview and `settings=1` the settings, `help=1` the search help,
// `closest=1` shows the closest photos of a query without good matches, `complete=<text>`
// types a filter to complete (e.g. `complete=in:Pa`). The fake query understands the
// grammar's keys well enough to show chips, errors, the divider and the timeline: a text
// containing "passport" or "zzz" has no good matches.
import { emit } from "@tauri-apps/api/event";
import { mockConvertFileSrc, mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { FILTER_KEYS, tokenize } from "../querytext";
import type {
  CatalogueModel,
  FileType,
  Folder,
  Hit,
  ModelList,
  ModelState,
  ModelSwitch,
  MonthCount,
  ParsedQuery,
  Progress,
  QueryResults,
  Settings,
  Status,
  Suggestion,
} from "./types";

const OPENCLIP = "open_clip docs/openclip_retrieval_results.csv (github.com/mlfoundations/open_clip)";
const SIGLIP2 = "SigLIP 2 paper, Table 1 (Tschannen et al. 2025, arXiv 2502.14786)";
const MULTI = "Multilingual (trained on 109 languages)";

/** The catalogue as the shell lists it (crates/models' figures), for the dev shell only. */
const DEV_CATALOGUE: Omit<CatalogueModel, "calibration" | "calibrationSource" | "measuredImagesPerSecond" | "measuredDevice" | "storedVectors" | "inUse" | "switchingTo" | "default" | "downloaded">[] = [
  { name: "clip-b32", title: "OpenAI CLIP ViT-B/32", repo: "openai/clip-vit-base-patch32", revision: "refs/pr/15", architecture: "clip", downloadBytes: 607_386_427, dim: 512, imageSize: 224, languages: "English", multilingual: false, retrieval: { cocoTextToImageR1: 30.44, cocoImageToTextR1: 50.12, source: OPENCLIP }, summary: "The 2021 classic: small and the fastest to index; finds the obvious." },
  { name: "clip-b16", title: "OpenAI CLIP ViT-B/16", repo: "openai/clip-vit-base-patch16", revision: "refs/pr/10", architecture: "clip", downloadBytes: 600_761_307, dim: 512, imageSize: 224, languages: "English", multilingual: false, retrieval: { cocoTextToImageR1: 33.09, cocoImageToTextR1: 52.42, source: OPENCLIP }, summary: "Finer detail than B/32 at about four times the indexing time." },
  { name: "laion-b32", title: "LAION-2B CLIP ViT-B/32", repo: "laion/CLIP-ViT-B-32-laion2B-s34B-b79K", revision: "refs/pr/4", architecture: "clip", downloadBytes: 607_386_427, dim: 512, imageSize: 224, languages: "English", multilingual: false, retrieval: { cocoTextToImageR1: 39.34, cocoImageToTextR1: 56.32, source: OPENCLIP }, summary: "B/32's speed, trained on 2 billion pictures: clearly better than OpenAI's." },
  { name: "siglip2-b16-224", title: "Google SigLIP 2 B/16, 224 px", repo: "google/siglip2-base-patch16-224", revision: null, architecture: "siglip", downloadBytes: 1_535_167_943, dim: 768, imageSize: 224, languages: MULTI, multilingual: true, retrieval: { cocoTextToImageR1: 52.1, cocoImageToTextR1: 68.9, source: SIGLIP2 }, summary: "The best finder per second of indexing; understands many languages." },
  { name: "siglip2-b16-256", title: "Google SigLIP 2 B/16, 256 px", repo: "google/siglip2-base-patch16-256", revision: null, architecture: "siglip", downloadBytes: 1_535_352_263, dim: 768, imageSize: 256, languages: MULTI, multilingual: true, retrieval: { cocoTextToImageR1: 53.2, cocoImageToTextR1: 69.7, source: SIGLIP2 }, summary: "A little sharper than 224 px, about a third slower to index." },
  { name: "siglip2-so400m-384", title: "Google SigLIP 2 So400m/14, 384 px", repo: "google/siglip2-so400m-patch14-384", revision: null, architecture: "siglip", downloadBytes: 4_578_510_111, dim: 1152, imageSize: 384, languages: MULTI, multilingual: true, retrieval: { cocoTextToImageR1: 55.8, cocoImageToTextR1: 71.7, source: SIGLIP2 }, summary: "The most accurate; over ten times slower than B/16: for a GPU." },
];

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const WORDS = ["beach", "dog", "sunset", "mountain", "city", "cake", "forest", "street", "snow", "lake", "party", "cat"];

/** Installs the fake backend. */
export function installDevBackend(params: URLSearchParams): void {
  const count = Math.max(0, Number(params.get("n") ?? 5000));
  let folders: Folder[] =
    params.get("folders") === "0"
      ? []
      : [
          { id: 1, path: "/home/me/Pictures", photos: Math.ceil(count * 0.7), indexed: Math.ceil(count * 0.7), pending: 0, failed: 3 },
          { id: 2, path: "/home/me/Phone backup/DCIM", photos: Math.floor(count * 0.3), indexed: Math.floor(count * 0.2), pending: Math.floor(count * 0.1), failed: 0 },
        ];
  let model: ModelState =
    params.get("model") === "missing"
      ? { state: "missing", defaultRepo: "google/siglip2-base-patch16-224", downloadBytes: 1_535_168_000 }
      : { state: "ready", id: "clip-vit-base-patch32", source: "hub:openai/clip-vit-base-patch32" };
  const total = folders.reduce((n, f) => n + f.photos, 0);
  const progress: Progress = { done: Math.floor(total * 0.9), total, current: null, rate: 23.4, paused: false };
  let settings: Settings = {
    modelSource: "clip-b32",
    nextModelSource: null,
    cpuThreads: 0,
    cpuLimit: 100,
    thumbnailDir: null,
    launchAtLogin: false,
    sensitivity: 0,
  };
  // Model switching: which model answers, which one is being switched to, vectors kept.
  let inUse = "clip-b32";
  const vectors = new Map<string, number>([["clip-b32", count]]);
  const speeds = new Map<string, number>([["clip-b32", 16.2]]);
  const downloaded = new Set<string>(["clip-b32", "laion-b32"]);
  let modelSwitch: ModelSwitch | null = null;
  let switchTimer: ReturnType<typeof setInterval> | null = null;
  const titleOf = (name: string): string => DEV_CATALOGUE.find((m) => m.name === name)?.title ?? name.replace(/^(hub|dir):/, "");
  const emitSwitch = (): void => void emit("glimpse://model-switch", modelSwitch);
  const stopSwitch = (): void => {
    if (switchTimer !== null) clearInterval(switchTimer);
    switchTimer = null;
    modelSwitch = null;
    settings = { ...settings, nextModelSource: null };
    emitSwitch();
  };
  const promote = (): void => {
    if (!modelSwitch) return;
    inUse = modelSwitch.model;
    settings = { ...settings, modelSource: inUse };
    model = { state: "ready", id: `${inUse}@dev+pp1`, source: inUse };
    void emit("glimpse://model", model);
    stopSwitch();
  };
  const startSwitch = (name: string, startAt = 0): ModelSwitch => {
    if (switchTimer !== null) clearInterval(switchTimer);
    const entry = DEV_CATALOGUE.find((m) => m.name === name);
    const total = entry?.downloadBytes ?? 600_000_000;
    const base = { model: name, title: titleOf(name), fromTitle: titleOf(inUse) };
    let bytes = 0;
    modelSwitch = downloaded.has(name) || startAt > 0
      ? { ...base, phase: "embedding", done: startAt, total: count }
      : { ...base, phase: "downloading", file: "model.safetensors", done: 0, total };
    settings = { ...settings, nextModelSource: name };
    switchTimer = setInterval(() => {
      if (!modelSwitch) return;
      if (modelSwitch.phase === "downloading") {
        bytes = Math.min(total, bytes + total / 12);
        modelSwitch = bytes >= total ? { ...base, phase: "loading" } : { ...modelSwitch, done: bytes };
        if (bytes >= total) downloaded.add(name);
      } else if (modelSwitch.phase === "loading") {
        modelSwitch = { ...base, phase: "embedding", done: vectors.get(name) ?? 0, total: count };
      } else if (modelSwitch.phase === "embedding" && !progress.paused) {
        const done = Math.min(count, modelSwitch.done + Math.ceil(count / 40));
        vectors.set(name, done);
        if (!speeds.has(name)) speeds.set(name, name.startsWith("siglip2-so400m") ? 1.4 : name.startsWith("siglip2") ? 9.8 : 15.1);
        modelSwitch = { ...modelSwitch, done };
        if (done >= count) return promote();
      }
      emitSwitch();
    }, 700);
    emitSwitch();
    return modelSwitch;
  };
  const modelList = (): ModelList => ({
    models: DEV_CATALOGUE.map((m) => ({
      ...m,
      calibration: { textCosine: m.architecture === "clip" ? 0.25 : null, imageCosine: 0.8, excludeCosine: null },
      calibrationSource: "the dev shell's made-up line",
      measuredImagesPerSecond: speeds.get(m.name) ?? null,
      measuredDevice: speeds.has(m.name) ? "cpu" : null,
      storedVectors: vectors.get(m.name) ?? 0,
      inUse: m.name === inUse,
      switchingTo: modelSwitch?.model === m.name,
      default: m.name === "siglip2-b16-224",
      downloaded: downloaded.has(m.name),
    })),
    stored: [...vectors].map(([name, n]) => ({
      id: `${DEV_CATALOGUE.find((m) => m.name === name)?.repo ?? name}@dev+pp1`,
      title: titleOf(name),
      catalogueName: DEV_CATALOGUE.some((m) => m.name === name) ? name : null,
      vectors: n,
      searching: name === inUse,
      switchingTo: modelSwitch?.model === name,
    })),
    switch: modelSwitch,
  });

  const failures = [
    { path: "/home/me/Pictures/broken.jpg", reason: "The file is not a valid JPEG image." },
    { path: "/home/me/Pictures/huge.tif", reason: "The image is larger than 200 megapixels." },
    { path: "/home/me/Pictures/gone.png", reason: "The file disappeared before it could be read." },
  ];

  // Each fake photo's folder, camera and date (2021-01 … 2024-06), from its id.
  const folderOf = (id: number): string =>
    id % 10 < 3 ? "/home/me/Pictures/Holidays/Paris" : id % 10 < 7 ? "/home/me/Pictures" : "/home/me/Phone backup/DCIM";
  const cameraOf = (id: number): string => ["Google Pixel 7", "Apple iPhone 12", "Canon EOS R6", "FUJIFILM X100V"][hash(`c${id}`) % 4] ?? "";
  const takenOf = (id: number): number => Date.UTC(2021, hash(`t${id}`) % 42, 1 + (hash(`d${id}`) % 27)) / 1000;
  const hit = (id: number, score: number, good = score >= 0.25): Hit => {
    const word = WORDS[id % WORDS.length] ?? "photo";
    const name = `IMG_${String(id).padStart(5, "0")}_${word}.jpg`;
    return {
      photoId: id,
      contentId: id,
      path: `${folderOf(id)}/${name}`,
      name,
      score,
      good,
      taken: takenOf(id),
      duplicates: id % 37 === 0 ? 2 : 0,
      others: id % 37 === 0 ? [`copy-of-${name}`, `${name.replace(/\.[^.]+$/, "")}.CR3`] : [],
    };
  };

  const status = (): Status => ({
    model,
    folders,
    photos: folders.reduce((n, f) => n + f.photos, 0),
    indexed: folders.reduce((n, f) => n + f.indexed, 0),
    pending: folders.reduce((n, f) => n + f.pending, 0),
    failed: folders.reduce((n, f) => n + f.failed, 0),
    progress: { ...progress },
    failures,
    switch: modelSwitch,
    stopped: null,
  });

  const delay = <T>(value: T, ms = 30 + Math.random() * 150): Promise<T> =>
    new Promise((resolve) => setTimeout(() => resolve(value), ms));
  const reject = (code: string, message: string): Promise<never> =>
    new Promise((_, fail) => setTimeout(() => fail({ code, message }), 40));

  /** The fake query: the grammar's errors, its filters, good matches first, then the rest. */
  const runQuery = (a: Record<string, unknown>): { results: QueryResults; all: Hit[] } | { error: string } => {
    const text = String(a.text ?? "");
    const examples = Array.isArray(a.examples) ? (a.examples as number[]) : [];
    const understood: ParsedQuery = {
      terms: [],
      filters: { folders: [], after: null, before: null, types: [], cameras: [], orientation: null, names: [] },
      sort: "relevance",
    };
    const words: string[] = [];
    const period = (v: string): { year: number; month: number | null; day: number | null } | null => {
      const m = /^(\d{4})(?:-(\d{2}))?$/.exec(v);
      return m ? { year: Number(m[1]), month: m[2] ? Number(m[2]) : null, day: null } : null;
    };
    for (const t of tokenize(text)) {
      const written = text.slice(t.start, t.end);
      if (t.unclosed) return { error: `“${written}”: the quote is not closed` };
      if (t.key === null) {
        if (t.negative) understood.terms.push({ kind: { kind: "text", value: t.value }, weight: 1, negative: true });
        else words.push(t.value);
        continue;
      }
      if (!(FILTER_KEYS as readonly string[]).includes(t.key)) {
        return { error: `“${written}”: unknown filter “${t.key}:” (known: in:, after:, before:, type:, camera:, orientation:, name:, like:, sort:)` };
      }
      if (t.value === "") return { error: `“${written}”: say what to filter by after the colon` };
      const f = understood.filters;
      if (t.key === "in") f.folders.push(t.value);
      else if (t.key === "camera") f.cameras.push(t.value.toLowerCase());
      else if (t.key === "type") f.types.push(t.value.toLowerCase() as FileType);
      else if (t.key === "after" || t.key === "before") {
        const p = period(t.value);
        if (!p) return { error: `“${written}”: write YYYY or YYYY-MM (the dev shell knows no days)` };
        f[t.key] = p;
      } else if (t.key === "sort") understood.sort = t.value as ParsedQuery["sort"];
    }
    if (words.length > 0) understood.terms.unshift({ kind: { kind: "text", value: words.join(" ") }, weight: 1, negative: false });
    const meaning = words.length > 0 || examples.length > 0;
    const f = understood.filters;
    const start = (p: { year: number; month: number | null }): number => Date.UTC(p.year, (p.month ?? 1) - 1, 1) / 1000;
    const passes = (id: number): boolean => {
      if (f.folders.length > 0 && !f.folders.some((name) => folderOf(id).toLowerCase().includes(name.toLowerCase()))) return false;
      if (f.cameras.some((c) => !cameraOf(id).toLowerCase().includes(c))) return false;
      if (f.types.length > 0 && !f.types.includes("jpeg")) return false;
      if (f.after && takenOf(id) < start(f.after)) return false;
      if (f.before && takenOf(id) >= start(f.before)) return false;
      return true;
    };
    const seed = hash(text + examples.join(","));
    const order: number[] = [];
    for (let i = 0; i < count; i++) {
      const id = ((seed + i * 7919) % count) + 1;
      if (passes(id)) order.push(id);
    }
    // How many are good: none for "passport", fewer when stricter, all of them for filters alone.
    const nothing = /passport|zzz/.test(text);
    const base = 6 + (seed % 60) + (examples.length > 0 ? 10 : 0);
    const good = !meaning ? order.length : nothing ? 0 : Math.max(0, Math.round(base * Math.pow(0.55, settings.sensitivity)));
    const goodCount = Math.min(good, order.length);
    const all = order.map((id, i) =>
      hit(id, i < goodCount ? 0.42 - (0.1 * i) / Math.max(1, goodCount) : 0.3 - (0.25 * i) / order.length, i < goodCount),
    );
    if (understood.sort !== "relevance") {
      const newest = understood.sort === "newest";
      const byDate = (x: Hit, y: Hit): number => ((x.taken ?? 0) - (y.taken ?? 0)) * (newest ? -1 : 1);
      all.splice(0, goodCount, ...all.slice(0, goodCount).sort(byDate));
    }
    const scoped = a.scope === "all" ? all : all.slice(0, goodCount);
    const offset = Number(a.offset ?? 0);
    const limit = Math.min(Number(a.limit ?? 400), 400);
    return {
      all,
      results: {
        hits: scoped.slice(offset, offset + limit),
        good: Math.min(goodCount, 1000),
        goodCapped: goodCount > 1000,
        total: scoped.length,
        folders: f.folders.map((name) => `/home/me/Pictures/${name}`),
        understood,
      },
    };
  };

  const FOLDER_NAMES: Suggestion[] = [
    { value: "Pictures", count: Math.ceil(count * 0.7) },
    { value: "Holidays", count: Math.ceil(count * 0.3) },
    { value: "Paris", count: Math.ceil(count * 0.3) },
    { value: "Phone backup", count: Math.floor(count * 0.3) },
    { value: "DCIM", count: Math.floor(count * 0.3) },
  ];
  const CAMERAS: Suggestion[] = [
    { value: "Google Pixel 7", count: Math.round(count * 0.26) },
    { value: "Apple iPhone 12", count: Math.round(count * 0.25) },
    { value: "Canon EOS R6", count: Math.round(count * 0.25) },
    { value: "FUJIFILM X100V", count: Math.round(count * 0.24) },
  ];

  mockWindows("main");
  mockConvertFileSrc("linux");
  // Thumbnails: a generated gradient per content id (the dev server has no thumb scheme).
  const internals = (window as unknown as { __TAURI_INTERNALS__: { convertFileSrc: (p: string, s?: string) => string } })
    .__TAURI_INTERNALS__;
  internals.convertFileSrc = (path: string) => {
    const id = Number(path);
    const a = hash(`a${id}`) % 360;
    const b = (a + 40 + (hash(`b${id}`) % 120)) % 360;
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 3"><defs><linearGradient id="g" x2="1" y2="1">` +
      `<stop offset="0" stop-color="hsl(${a},55%,60%)"/><stop offset="1" stop-color="hsl(${b},60%,35%)"/></linearGradient></defs>` +
      `<rect width="4" height="3" fill="url(#g)"/><circle cx="${1 + (id % 3)}" cy="1.2" r="0.5" fill="hsla(50,90%,85%,.8)"/></svg>`;
    return `data:image/svg+xml,${encodeURIComponent(svg)}`;
  };

  mockIPC(
    (cmd, args) => {
      const a = (args ?? {}) as Record<string, unknown>;
      switch (cmd) {
        case "status":
          return delay(status(), 50);
        case "folders":
          return delay(folders, 20);
        case "query": {
          if (model.state !== "ready") return reject("no_model", "The AI model is not installed yet.");
          const answer = runQuery(a);
          if ("error" in answer) return reject("query", answer.error);
          return delay(answer.results);
        }
        case "timeline": {
          const answer = runQuery({ ...a, scope: "good", offset: 0, limit: 1000 });
          if ("error" in answer) return reject("query", answer.error);
          const months = new Map<string, number>();
          for (const h of answer.all.filter((x) => x.good)) {
            const month = new Date((h.taken ?? 0) * 1000).toISOString().slice(0, 7);
            months.set(month, (months.get(month) ?? 0) + 1);
          }
          const out: MonthCount[] = [...months].sort(([x], [y]) => x.localeCompare(y)).map(([month, n]) => ({ month, count: n }));
          return delay(out, 40);
        }
        case "suggest": {
          const prefix = String(a.prefix ?? "").toLowerCase();
          const list = a.key === "camera" ? CAMERAS : FOLDER_NAMES;
          return delay(list.filter((x) => x.value.toLowerCase().includes(prefix)), 30);
        }
        case "prefetchQuery":
          return delay(null, 10);
        case "photoDetails": {
          const h = hit(Number(a.photoId), 0);
          return delay({
            id: h.photoId, path: h.path, name: h.name, size: 1_000_000 + (hash(h.name) % 5_000_000), contentId: h.contentId,
            width: 4032, height: 3024, format: "JPEG", takenAt: 1_600_000_000 + h.photoId * 3600, camera: "Pixel 7", failure: null,
          }, 60);
        }
        case "addFolder": {
          const path = String(a.path);
          if (!path.startsWith("/")) return reject("not_a_folder", `${path} is not a folder.`);
          const folder: Folder = { id: folders.length + 1, path, photos: 120, indexed: 0, pending: 120, failed: 0 };
          folders = [...folders.filter((f) => f.path !== path), folder];
          progress.total += 120;
          void emit("glimpse://folders-changed", null);
          return delay(folder);
        }
        case "removeFolder":
          folders = folders.filter((f) => f.path !== a.path);
          return delay(null);
        case "openPhoto":
        case "revealPhoto":
        case "hideQuickSearch":
          console.info(`[dev shell] ${cmd}`, a);
          return delay(null, 10);
        case "setPaused":
          progress.paused = Boolean(a.paused);
          return delay(null, 10);
        case "downloadModel": {
          let done = 0;
          const total = 605_000_000;
          const timer = setInterval(() => {
            done = Math.min(total, done + 25_000_000);
            model = done >= total
              ? { state: "ready", id: "clip-vit-base-patch32", source: "hub:openai/clip-vit-base-patch32" }
              : { state: "downloading", file: "model.safetensors", done, total };
            void emit("glimpse://model", model);
            if (done >= total) clearInterval(timer);
          }, 100);
          return delay(null, 10);
        }
        case "useModelDir":
          model = { state: "ready", id: "clip-vit-base-patch32", source: `dir:${String(a.path)}` };
          return delay(model);
        case "getSettings":
          return delay(settings, 20);
        case "setSettings":
          settings = { ...(a.settings as Settings), sensitivity: Math.max(-2, Math.min(2, (a.settings as Settings).sensitivity ?? 0)) };
          return delay(settings, 20);
        case "listModels":
          return delay(modelList(), 40);
        case "switchModel": {
          const name = String(a.model);
          if (name === inUse) {
            if (modelSwitch) stopSwitch();
            return delay(null);
          }
          return delay(startSwitch(name, vectors.get(name) ?? 0));
        }
        case "finishModelSwitch":
          if (!modelSwitch || modelSwitch.phase !== "embedding") return reject("invalid", "No model switch is under way.");
          promote();
          return delay(null);
        case "cancelModelSwitch":
          stopSwitch();
          return delay(null);
        case "removeModelVectors": {
          const name = [...vectors.keys()].find((n) => String(a.id).startsWith(DEV_CATALOGUE.find((m) => m.name === n)?.repo ?? n));
          if (!name) return delay({ removed: 0 });
          if (name === inUse || name === modelSwitch?.model) return reject("model_in_use", "This model is in use: switch to another model before removing its vectors.");
          const removed = vectors.get(name) ?? 0;
          vectors.delete(name);
          return delay({ removed });
        }
        case "plugin:dialog|open":
          return delay(["/home/me/Desktop/Holiday 2024"], 200);
        default:
          return Promise.reject({ code: "invalid", message: `The dev shell does not know “${cmd}”.` });
      }
    },
    { shouldMockEvents: true },
  );

  if (params.get("switch") === "1" && model.state === "ready") {
    vectors.set("siglip2-b16-224", Math.floor(count * 0.25));
    downloaded.add("siglip2-b16-224");
    startSwitch("siglip2-b16-224", Math.floor(count * 0.25));
  }

  // Indexing: ten progress events a second until done, then idle.
  const tick = setInterval(() => {
    if (progress.paused || progress.done >= progress.total) return;
    progress.done = Math.min(progress.total, progress.done + 3);
    progress.current = `/home/me/Phone backup/DCIM/IMG_${String(progress.done).padStart(5, "0")}.jpg`;
    void emit("glimpse://progress", { ...progress });
    if (progress.done >= progress.total) {
      for (const f of folders) {
        f.indexed = f.photos - f.failed;
        f.pending = 0;
      }
      void emit("glimpse://idle", null);
    }
  }, 100);
  window.addEventListener("beforeunload", () => clearInterval(tick));
}

/** Drives the page for screenshots of states that need typing (dev only). */
export function runDevScript(params: URLSearchParams): void {
  const q = params.get("q");
  const find = <T extends HTMLElement>(id: string): T | null => document.querySelector<T>(`[data-testid="${id}"]`);
  const press = (target: Element | null, key: string): void => {
    target?.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }));
  };
  setTimeout(() => {
    const input = find<HTMLInputElement>("search-input") ?? find<HTMLInputElement>("quick-input");
    if (q && input) {
      input.value = q;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
    setTimeout(() => {
      if (params.get("open") === "1") {
        press(input, "ArrowDown");
        press(find("grid"), "ArrowRight");
        press(find("grid"), "Enter");
      }
      if (params.get("select") === "1") {
        press(input, "ArrowDown");
        press(find("grid"), "ArrowRight");
        press(find("grid"), "ArrowDown");
      }
      if (params.get("settings") === "1") find<HTMLButtonElement>("settings-open")?.click();
      if (params.get("help") === "1") find<HTMLButtonElement>("query-help-toggle")?.click();
      if (params.get("closest") === "1") find<HTMLButtonElement>("show-closest")?.click();
      const complete = params.get("complete");
      if (complete && input) {
        input.focus();
        input.value = `${input.value} ${complete}`.trim();
        input.setSelectionRange(input.value.length, input.value.length);
        input.dispatchEvent(new Event("input", { bubbles: true }));
      }
      if (params.get("drop") === "1") void emit("tauri://drag-enter", { paths: ["/x"], position: { x: 0, y: 0 } });
      if (params.get("confirm") === "1") find<HTMLButtonElement>("folder-remove")?.click();
      if (params.get("bench") === "1") void runDevBench();
    }, 600);
  }, 400);
}

/**
 * `bench=1` (with `n=100000&q=…`): pages the grid up to every result, then scrolls through
 * it frame by frame and writes the frame times and the tile count into `#bench` (dev only).
 */
export async function runDevBench(): Promise<void> {
  const grid = document.querySelector<HTMLElement>('[data-testid="grid"]');
  const out = document.createElement("pre");
  out.id = "bench";
  document.body.append(out);
  if (!grid) return;
  const frame = (): Promise<number> => new Promise((resolve) => requestAnimationFrame(resolve));
  const count = (): number => Number(document.querySelector<HTMLElement>('[data-testid="result-count"]')?.dataset.count ?? 0);
  for (let i = 0; i < 200 && count() < 100_000; i++) {
    grid.scrollTop = grid.scrollHeight;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  grid.scrollTop = 0;
  await frame();
  const times: number[] = [];
  let maxTiles = 0;
  let last = await frame();
  const step = grid.clientHeight / 2;
  for (let i = 0; i < 300; i++) {
    grid.scrollTop += step * (i % 50 === 49 ? 40 : 1);
    const now = await frame();
    times.push(now - last);
    last = now;
    maxTiles = Math.max(maxTiles, grid.querySelectorAll('[data-testid="tile"]').length);
  }
  // Baseline: frames with nothing to do, to tell the machine's frame rate from our cost.
  const idle: number[] = [];
  last = await frame();
  for (let i = 0; i < 60; i++) {
    const now = await frame();
    idle.push(now - last);
    last = now;
  }
  idle.sort((a, b) => a - b);
  // Script cost of one scroll step: the scroll handler plus a forced render.
  const script: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    grid.scrollTop += step;
    grid.dispatchEvent(new Event("scroll"));
    void grid.offsetHeight;
    script.push(performance.now() - t0);
    await frame();
  }
  script.sort((a, b) => a - b);
  times.sort((a, b) => a - b);
  const pct = (p: number): string => (times[Math.floor((times.length - 1) * p)] ?? 0).toFixed(1);
  const at = (list: number[], p: number): string => (list[Math.floor((list.length - 1) * p)] ?? 0).toFixed(2);
  out.textContent =
    `results=${count()} canvas=${grid.scrollHeight}px frames=${times.length} median=${pct(0.5)}ms p95=${pct(0.95)}ms ` +
    `max=${pct(1)}ms maxTiles=${maxTiles} idleFrameMedian=${at(idle, 0.5)}ms scrollScriptMedian=${at(script, 0.5)}ms p95=${at(script, 0.95)}ms`;
}
