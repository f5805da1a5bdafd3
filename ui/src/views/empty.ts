// What the main area shows when there is no grid: first run (no model), no folders, the
// start screen, indexing, no results. One element (`data-testid="empty-state"`) whose
// `data-state` says which.
import { formatBytes, formatCount, plural, remainingText } from "../format";
import type { ModelState } from "../ipc";
import { isIndexing, type LibraryState } from "../library";
import { asksForMeaning, type SearchState } from "../search";
import { button, h, icon, iconLabel, setChildren } from "./dom";

/** What the main area shows. */
export type ContentKind =
  | "loading"
  | "no-model"
  | "no-folders"
  | "start"
  | "searching"
  | "no-good"
  | "no-results"
  | "results";

/** Decides what the main area shows. */
export function contentKind(lib: LibraryState, search: SearchState): ContentKind {
  if (search.hits.length > 0) return "results";
  if (!lib.loaded) return "loading";
  if (lib.model !== null && lib.model.state !== "ready") return "no-model";
  if (lib.folders.length === 0) return "no-folders";
  const asked = search.mode.kind === "similar" || search.query.trim() !== "" || search.examples.length > 0;
  if (!asked) return "start";
  // No answer yet (or one is on its way): say so rather than "nothing found".
  if (search.pending || (search.understood === null && search.error === null)) return "searching";
  // Nothing good, but the closest photos are a click away.
  if (search.understood !== null && search.rest === "hidden" && search.good === 0 && asksForMeaning(search)) {
    return "no-good";
  }
  return "no-results";
}

/** What the empty states ask the app to do. */
export interface EmptyActions {
  addFolder(): void;
  downloadModel(): void;
  useModelFolder(): void;
  /** Puts an example query in the search box. */
  tryQuery(text: string): void;
  /** Asks the shell for the status again. */
  retry(): void;
  /** Shows the closest photos although none is a good match. */
  showClosest(): void;
}

const EXAMPLES = ["dog on a beach at sunset", "birthday cake with candles", "snowy mountains", "receipts and documents"];

/** The default model (used for the explanation until the shell says otherwise). */
export const DEFAULT_MODEL_REPO = "google/siglip2-base-patch16-224";

interface Pane {
  element: HTMLElement;
  update(lib: LibraryState, search: SearchState): void;
}

/** The empty-state area. */
export class EmptyState {
  readonly element: HTMLElement;
  private kind: ContentKind | null = null;
  private pane: Pane | null = null;

  constructor(private readonly actions: EmptyActions) {
    this.element = h("div", { class: "empty", testid: "empty-state" });
  }

  /** Shows `kind` (panes are rebuilt only when the kind changes, so focus survives). */
  render(kind: ContentKind, lib: LibraryState, search: SearchState): void {
    this.element.hidden = kind === "results";
    this.element.dataset.state = kind;
    if (kind !== this.kind) {
      this.kind = kind;
      this.pane = this.createPane(kind);
      setChildren(this.element, this.pane?.element);
    }
    this.pane?.update(lib, search);
  }

  private createPane(kind: ContentKind): Pane | null {
    switch (kind) {
      case "no-model":
        return new ModelPane(this.actions);
      case "no-folders":
        return dropPane(this.actions);
      case "start":
        return startPane(this.actions);
      case "no-good":
        return noGoodPane(this.actions);
      case "no-results":
        return noResultsPane();
      case "loading":
        return loadingPane(this.actions);
      default:
        return null;
    }
  }
}

/** First run: explain the model, offer to download it or use a folder. */
class ModelPane implements Pane {
  readonly element: HTMLElement;
  private readonly lead: HTMLElement;
  private readonly source: HTMLElement;
  private readonly download: HTMLButtonElement;
  private readonly useFolder: HTMLButtonElement;
  private readonly progress: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly fill: HTMLElement;
  private readonly progressText: HTMLElement;
  private readonly error: HTMLElement;

  constructor(actions: EmptyActions) {
    this.lead = h("p", {
      class: "empty-lead",
      text:
        "Glimpse finds photos by what is in them, using an AI model that runs on this computer. " +
        "Your photos and searches never leave it.",
    });
    this.source = h("p", { class: "empty-note" });
    this.download = button(iconLabel("download", "Download the model"), () => actions.downloadModel(), {
      variant: "primary",
      testid: "model-download",
    });
    this.useFolder = button("Use a model folder…", () => actions.useModelFolder(), { testid: "model-folder" });
    this.fill = h("div", { class: "bar-fill" });
    this.bar = h("div", { class: "bar", attrs: { role: "progressbar", "aria-label": "Model download", "aria-valuemin": 0 } }, this.fill);
    this.progressText = h("p", { class: "empty-note" });
    this.progress = h("div", { class: "model-progress", testid: "model-progress", hidden: true }, this.bar, this.progressText);
    this.error = h("p", { class: "empty-error", testid: "model-error", attrs: { role: "alert" }, hidden: true });
    this.element = h(
      "div",
      { class: "empty-card" },
      h("div", { class: "empty-icon" }, icon("sparkle")),
      h("h2", { class: "empty-title", text: "Set up Glimpse" }),
      this.lead,
      this.source,
      this.error,
      this.progress,
      h("div", { class: "empty-actions" }, this.download, this.useFolder),
      h("p", {
        class: "empty-note",
        text: "You can add folders already: they are indexed as soon as the model is ready.",
      }),
    );
  }

  update(lib: LibraryState): void {
    const model: ModelState | null = lib.model;
    const repo = model?.state === "missing" ? model.defaultRepo : DEFAULT_MODEL_REPO;
    const bytes = model?.state === "missing" ? model.downloadBytes : null;
    const size = bytes !== null && bytes > 0 ? ` (about ${formatBytes(bytes)})` : "";
    this.source.textContent =
      `The model is downloaded once${size} from Hugging Face (${repo}). ` +
      "If you already have it, choose its folder instead.";
    const downloading = model?.state === "downloading";
    this.download.disabled = downloading;
    this.useFolder.disabled = downloading;
    this.progress.hidden = !downloading;
    if (model?.state === "downloading") {
      const { file, done, total } = model;
      this.bar.classList.toggle("bar-indeterminate", total === null || total <= 0);
      if (total !== null && total > 0) {
        this.bar.setAttribute("aria-valuemax", String(total));
        this.bar.setAttribute("aria-valuenow", String(done));
        this.fill.style.width = `${Math.min(100, (done / total) * 100)}%`;
        this.progressText.textContent = `Downloading ${file}: ${formatBytes(done)} of ${formatBytes(total)}`;
      } else {
        this.bar.removeAttribute("aria-valuenow");
        this.progressText.textContent = `Downloading ${file}: ${formatBytes(done)}`;
      }
    }
    this.error.hidden = model?.state !== "error";
    if (model?.state === "error") {
      this.error.textContent = model.message;
      this.download.replaceChildren(iconLabel("download", "Try the download again"));
    }
  }
}

function dropPane(actions: EmptyActions): Pane {
  const element = h(
    "div",
    { class: "dropzone" },
    h("div", { class: "empty-icon" }, icon("folderPlus")),
    h("h2", { class: "empty-title", text: "Drop a folder here or click Add folder" }),
    h("p", {
      class: "empty-lead",
      text: "Glimpse looks inside your photos so you can find them by describing them. Nothing leaves your computer.",
    }),
    h(
      "div",
      { class: "empty-actions" },
      button(iconLabel("folderPlus", "Add folder…"), () => actions.addFolder(), { variant: "primary", testid: "empty-add-folder" }),
    ),
  );
  return { element, update: () => undefined };
}

function startPane(actions: EmptyActions): Pane {
  const stats = h("p", { class: "empty-lead" });
  const indexing = h("p", { class: "empty-note" });
  const element = h(
    "div",
    { class: "empty-card" },
    h("div", { class: "empty-icon" }, icon("search")),
    h("h2", { class: "empty-title", text: "Describe what you are looking for" }),
    stats,
    indexing,
    h(
      "div",
      { class: "examples", attrs: { role: "group", "aria-label": "Examples" } },
      ...EXAMPLES.map((text) => button(text, () => actions.tryQuery(text), { class: "example" })),
    ),
  );
  return {
    element,
    update(lib) {
      stats.textContent =
        lib.indexed > 0 ? `${plural(lib.indexed, "photo is", "photos are")} ready to search.` : "No photo is searchable yet.";
      const busy = isIndexing(lib);
      indexing.hidden = !busy;
      if (busy) {
        const p = lib.progress;
        const left = p.paused ? "paused" : remainingText(p.done, p.total, p.rate);
        indexing.textContent =
          `Indexing ${formatCount(p.done)} of ${formatCount(p.total)}${left ? ` (${left})` : ""}. ` +
          "You can search already; results fill in as indexing goes.";
      }
    },
  };
}

/** What the results are for, in words: “passport”, “passport” and 2 example photos, … */
function asked(search: SearchState): string {
  const q = search.shownQuery || search.query.trim();
  const n = search.shownExamples.length;
  const photos = n === 1 ? "the example photo" : `${n} example photos`;
  if (q === "") return photos;
  return n > 0 ? `“${q}” and ${photos}` : `“${q}”`;
}

function noGoodPane(actions: EmptyActions): Pane {
  const title = h("h2", { class: "empty-title", testid: "no-good-title" });
  const hint = h("p", { class: "empty-lead" });
  const indexing = h("p", { class: "empty-note" });
  const closest = button("Show the closest anyway", () => actions.showClosest(), { variant: "primary", testid: "show-closest" });
  const element = h(
    "div",
    { class: "empty-card" },
    h("div", { class: "empty-icon" }, icon("search")),
    title,
    hint,
    h("div", { class: "empty-actions" }, closest),
    indexing,
  );
  return {
    element,
    update(lib, search) {
      if (search.mode.kind === "similar") {
        title.textContent = `Nothing looks enough like ${search.mode.name}`;
        hint.textContent = "No other photo is close enough to be a good match.";
      } else {
        title.textContent = `No good matches for ${asked(search)}`;
        hint.textContent =
          "Nothing in your photos matches it well. Try other words, or a looser match sensitivity in Settings.";
      }
      const left = lib.pending;
      indexing.hidden = !isIndexing(lib) || left <= 0;
      indexing.textContent = `${plural(left, "photo is", "photos are")} still being indexed and may match later.`;
    },
  };
}

function noResultsPane(): Pane {
  const title = h("h2", { class: "empty-title" });
  const hint = h("p", { class: "empty-lead" });
  const indexing = h("p", { class: "empty-note" });
  const element = h("div", { class: "empty-card" }, h("div", { class: "empty-icon" }, icon("image")), title, hint, indexing);
  return {
    element,
    update(lib, search) {
      if (search.mode.kind === "similar") {
        title.textContent = `Nothing looks like “${search.mode.name}”`;
        hint.textContent = "No other photo is close enough.";
      } else if (search.error?.code === "query" && search.understood === null) {
        // The message itself is under the search box.
        title.textContent = "This search could not be understood";
        hint.textContent = "Correct what the message under the search box points at.";
      } else {
        title.textContent = `No photos match ${asked(search)}`;
        hint.textContent = search.error
          ? search.error.message
          : "Try describing it differently: objects, places, colours, the time of day. Filters may leave nothing to show.";
      }
      const left = lib.pending;
      indexing.hidden = !isIndexing(lib) || left <= 0;
      indexing.textContent = `${plural(left, "photo is", "photos are")} still being indexed and may match later.`;
    },
  };
}

function loadingPane(actions: EmptyActions): Pane {
  const title = h("h2", { class: "empty-title" });
  const message = h("p", { class: "empty-lead" });
  const waiting = h("p", {
    class: "empty-note",
    text: "This window opens it by itself as soon as the other one lets go.",
    testid: "in-use-waiting",
  });
  const actionRow = h("div", { class: "empty-actions" }, button("Try again", () => actions.retry(), { variant: "primary", testid: "retry" }));
  const element = h(
    "div",
    { class: "empty-card", hidden: true },
    h("div", { class: "empty-icon" }, icon("warning")),
    title,
    message,
    waiting,
    actionRow,
  );
  return {
    element,
    update(lib) {
      // Loading normally takes a moment: show nothing unless it failed.
      element.hidden = lib.loadError === null;
      const inUse = lib.loadErrorCode === "in_use";
      element.dataset.reason = inUse ? "in-use" : "failed";
      title.textContent = inUse ? "This library is open in another Glimpse" : "Glimpse could not start";
      message.textContent = lib.loadError ?? "";
      waiting.hidden = !inUse;
      // The shell retries by itself; a button would only repeat the same answer.
      actionRow.hidden = inUse;
    },
  };
}
