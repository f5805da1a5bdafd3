// The settings panel: the AI model (the catalogue, any other model, the vectors kept), the
// CPU indexing may use, thumbnail cache location, launch at login. Choosing a model acts at once (a
// switch that keeps search working); Save stores the other settings.
import { formatBytes, formatRate, plural } from "../format";
import * as ipc from "../ipc";
import type { CatalogueModel, ModelList, ModelSwitch, Settings, StoredModel } from "../ipc";
import { button, h, icon, setChildren } from "./dom";
import { DEFAULT_MODEL_REPO } from "./empty";
import { rememberFocus, trapTab } from "./modal";
import { SwitchBar } from "./switchbar";

/** What the panel needs from the app. */
export interface SettingsHost {
  onError(error: unknown): void;
  onInfo(message: string): void;
  /** The match sensitivity changed (and is in effect): search again. */
  onSensitivity?(): void;
}

/** The match sensitivity's positions, Looser (−2) to Stricter (+2), as read out. */
export const SENSITIVITY_WORDS: Record<number, string> = {
  [-2]: "Looser",
  [-1]: "A little looser",
  0: "As calibrated",
  1: "A little stricter",
  2: "Stricter",
};

/** Splits `"hub:<repo>"` / `"dir:<path>"`; anything else (a catalogue name) is taken as a hub repo. */
export function parseModelSource(source: string): { kind: "hub" | "dir"; value: string } {
  if (source.startsWith("dir:")) return { kind: "dir", value: source.slice(4) };
  if (source.startsWith("hub:")) return { kind: "hub", value: source.slice(4) };
  return { kind: "hub", value: source };
}

/** "52.1 %" (one decimal, as the papers print them; the space does not break). */
export function formatRecall(r1: number | null): string {
  return r1 === null ? "–" : `${r1.toFixed(1)}\u00a0%`;
}

/** The facts line of a catalogue model: download, dimension, languages. */
export function modelFacts(m: CatalogueModel): string {
  const size = m.downloaded ? `${formatBytes(m.downloadBytes)}, downloaded` : `${formatBytes(m.downloadBytes)} download`;
  return [size, `${m.dim} dimensions`, m.languages].join(" · ");
}

/** "Speed here: 12.3 photos/s" or that it was not measured yet. */
export function speedText(m: CatalogueModel): string {
  if (m.measuredImagesPerSecond === null || m.measuredImagesPerSecond <= 0) return "Speed here: not measured yet";
  return `Speed here: ${formatRate(m.measuredImagesPerSecond)}`;
}

/** Whether a switch to the catalogue model `name` (or setting) is what `s` is doing. */
function isSwitchTo(s: ModelSwitch | null, m: CatalogueModel): boolean {
  return s !== null && s.phase !== "error" && (s.model === m.name || s.model === `hub:${m.repo}`);
}

/** The CPU limit's choices: the share of the processor indexing may use, in percent. */
export const CPU_LIMITS: ReadonlyArray<[number, string]> = [
  [100, "All of it (fastest)"],
  [75, "Three quarters"],
  [50, "Half"],
  [25, "A quarter (quietest)"],
];

let nextId = 0;

/** The settings dialog. */
export class SettingsPanel {
  readonly element: HTMLElement;
  private readonly dialog: HTMLFormElement;
  private readonly hubRadio: HTMLInputElement;
  private readonly dirRadio: HTMLInputElement;
  private readonly repoInput: HTMLInputElement;
  private readonly dirInput: HTMLInputElement;
  private readonly otherSwitch: HTMLButtonElement;
  private readonly threads: HTMLSelectElement;
  private readonly cpuLimit: HTMLSelectElement;
  private readonly thumbDir: HTMLInputElement;
  private readonly launch: HTMLInputElement;
  private readonly sensitivity: HTMLInputElement;
  private readonly sensitivityValue: HTMLElement;
  private sensitivitySeq = 0;
  private readonly save: HTMLButtonElement;
  private readonly message: HTMLElement;
  private readonly modelMessage: HTMLElement;
  private readonly catalogue: HTMLUListElement;
  private readonly kept: HTMLUListElement;
  private readonly keptNote: HTMLElement;
  private readonly switchBar: SwitchBar;
  private readonly otherInUse: HTMLElement;
  private loaded: Settings | null = null;
  private models: ModelList | null = null;
  private modelSwitch: ModelSwitch | null = null;
  private paused = false;
  private confirmingRemove: string | null = null;
  private listSeq = 0;
  private restoreFocus: (() => void) | null = null;

  constructor(private readonly host: SettingsHost) {
    const id = (name: string): string => `settings-${name}-${++nextId}`;
    const hubId = id("hub");
    const dirId = id("dir");
    const repoId = id("repo");
    const dirPathId = id("dirpath");
    const threadsId = id("threads");
    const cpuLimitId = id("cpulimit");
    const thumbId = id("thumbs");
    const launchId = id("launch");
    const sensitivityId = id("sensitivity");
    const otherId = id("other");
    const keptId = id("kept");

    this.hubRadio = h("input", { attrs: { type: "radio", name: `model-kind-${nextId}`, id: hubId, value: "hub" } });
    this.dirRadio = h("input", { attrs: { type: "radio", name: `model-kind-${nextId}`, id: dirId, value: "dir" } });
    this.hubRadio.checked = true;
    this.repoInput = h("input", {
      class: "field",
      testid: "model-other-repo",
      attrs: { type: "text", id: repoId, spellcheck: "false", autocomplete: "off", placeholder: "org/name, e.g. " + DEFAULT_MODEL_REPO },
    });
    this.dirInput = h("input", {
      class: "field",
      testid: "model-other-dir",
      attrs: { type: "text", id: dirPathId, spellcheck: "false", autocomplete: "off", placeholder: "Choose a folder…" },
    });
    for (const el of [this.hubRadio, this.dirRadio]) el.addEventListener("change", () => this.syncEnabled());
    this.otherSwitch = button("Switch", () => void this.switchOther(), { testid: "model-other-switch" });

    this.threads = h("select", { class: "field", attrs: { id: threadsId } });
    const cores = Math.max(1, navigator.hardwareConcurrency || 4);
    this.threads.append(h("option", { text: "Automatic", attrs: { value: "0" } }));
    for (let n = 1; n <= cores; n++) this.threads.append(h("option", { text: String(n), attrs: { value: String(n) } }));
    this.cpuLimit = h("select", { class: "field", testid: "settings-cpu-limit", attrs: { id: cpuLimitId } });
    for (const [value, text] of CPU_LIMITS) this.cpuLimit.append(h("option", { text, attrs: { value: String(value) } }));

    this.thumbDir = h("input", {
      class: "field",
      testid: "settings-thumbnail-dir",
      attrs: { type: "text", id: thumbId, spellcheck: "false", autocomplete: "off", placeholder: "Default location" },
    });
    this.launch = h("input", { testid: "settings-launch", attrs: { type: "checkbox", id: launchId } });
    this.sensitivity = h("input", {
      class: "sensitivity-slider",
      testid: "sensitivity",
      attrs: { type: "range", id: sensitivityId, min: -2, max: 2, step: 1, value: 0, "aria-valuetext": SENSITIVITY_WORDS[0] },
    });
    this.sensitivityValue = h("span", { class: "sensitivity-value", testid: "sensitivity-value", text: SENSITIVITY_WORDS[0] });
    this.sensitivity.addEventListener("input", () => void this.applySensitivity());

    this.message = h("p", { class: "settings-message", testid: "settings-message", attrs: { role: "alert" }, hidden: true });
    this.modelMessage = h("p", { class: "settings-message model-message", testid: "model-message", attrs: { role: "alert" }, hidden: true });
    this.save = h("button", { class: "btn btn-primary", testid: "settings-save", text: "Save", attrs: { type: "submit" } });

    this.switchBar = new SwitchBar(
      { finish: () => void this.act(ipc.finishModelSwitch()), cancel: () => void this.act(ipc.cancelModelSwitch()) },
      "settings-model-switch",
      true,
    );
    this.catalogue = h("ul", { class: "model-list", testid: "model-catalogue", attrs: { "aria-label": "Models Glimpse knows" } });
    this.kept = h("ul", { class: "kept-list", testid: "model-vectors", attrs: { "aria-labelledby": keptId } });
    this.keptNote = h("p", { class: "settings-help", text: "None yet." });
    this.otherInUse = h("span", { class: "badge badge-accent", testid: "model-other-in-use", text: "In use", hidden: true });

    const chooseModelDir = button("Choose…", () => void this.choose(this.dirInput, "Choose the model folder", () => {
      this.dirRadio.checked = true;
      this.syncEnabled();
    }));
    const chooseThumbDir = button("Choose…", () => void this.choose(this.thumbDir, "Choose where to keep thumbnails"));
    const resetThumbDir = button("Default", () => {
      this.thumbDir.value = "";
    }, { variant: "quiet" });

    this.dialog = h(
      "form",
      {
        class: "settings",
        testid: "settings",
        attrs: { role: "dialog", "aria-modal": "true", "aria-labelledby": "settings-title", tabindex: "-1", novalidate: true },
      },
      h(
        "header",
        { class: "settings-head" },
        h("h2", { class: "settings-title", text: "Settings", attrs: { id: "settings-title" } }),
        button(icon("close"), () => this.close(), { variant: "icon", testid: "settings-close", attrs: { "aria-label": "Close settings" } }),
      ),
      h(
        "section",
        { class: "settings-group", attrs: { "aria-labelledby": `${otherId}-head` } },
        h("h3", { class: "settings-subhead", text: "AI model", attrs: { id: `${otherId}-head` } }),
        h("p", {
          class: "settings-help",
          text: "Switching keeps search working: the new model indexes your photos in the background, newest first, and takes over once it has caught up.",
        }),
        this.switchBar.element,
        this.modelMessage,
        this.catalogue,
        h("p", {
          class: "settings-help model-footnote",
          text: "COCO R@1: how often the right photo comes first for a caption of the COCO benchmark (zero-shot, text → image), as published. Hover a figure for its source.",
        }),
        h(
          "fieldset",
          { class: "model-other", testid: "model-other" },
          h(
            "legend",
            { attrs: { id: otherId } },
            h("span", { text: "Other model: a Hugging Face repo or a folder on this computer" }),
            this.otherInUse,
          ),
          h("div", { class: "choice" }, this.hubRadio, h("label", { text: "Hugging Face repo", attrs: { for: hubId } })),
          h("div", { class: "choice-detail" }, h("label", { class: "visually-hidden", text: "Repository", attrs: { for: repoId } }), this.repoInput),
          h("div", { class: "choice" }, this.dirRadio, h("label", { text: "Folder on this computer", attrs: { for: dirId } })),
          h(
            "div",
            { class: "choice-detail" },
            h("label", { class: "visually-hidden", text: "Model folder", attrs: { for: dirPathId } }),
            this.dirInput,
            chooseModelDir,
          ),
          h("div", { class: "model-other-actions" }, this.otherSwitch),
        ),
        h("h4", { class: "settings-minor", text: "Vectors kept", attrs: { id: keptId } }),
        h("p", { class: "settings-help", text: "Each model's vectors stay until you remove them, so switching back costs nothing." }),
        this.kept,
        this.keptNote,
      ),
      h(
        "div",
        { class: "settings-row" },
        h("label", { text: "Processor use while indexing", attrs: { for: cpuLimitId } }),
        this.cpuLimit,
        h("p", {
          class: "settings-help",
          text: "How much of the processor indexing may take. A lower share keeps a laptop cool and quiet while a large folder is indexed; searching is never slowed. Applies at once.",
        }),
      ),
      h(
        "div",
        { class: "settings-row" },
        h("label", { text: "Decoding threads", attrs: { for: threadsId } }),
        this.threads,
        h("p", { class: "settings-help", text: "Threads that read and decode photos while indexing. Applies at the next start." }),
      ),
      h(
        "div",
        { class: "settings-row" },
        h("label", { text: "Thumbnail cache", attrs: { for: thumbId } }),
        h("div", { class: "field-row" }, this.thumbDir, chooseThumbDir, resetThumbDir),
        h("p", {
          class: "settings-help",
          text: "Choose an empty folder, for example on a bigger disk. Saving moves the thumbnails there; nothing has to be indexed again.",
        }),
      ),
      h(
        "div",
        { class: "settings-row sensitivity-row" },
        h("label", { text: "Match sensitivity", attrs: { for: sensitivityId } }),
        h(
          "div",
          { class: "sensitivity" },
          h("span", { class: "sensitivity-end", text: "Looser", attrs: { "aria-hidden": "true" } }),
          this.sensitivity,
          h("span", { class: "sensitivity-end", text: "Stricter", attrs: { "aria-hidden": "true" } }),
          this.sensitivityValue,
        ),
        h("p", {
          class: "settings-help",
          text: "Where good matches end: looser counts more photos as good matches, stricter fewer. Applies at once.",
        }),
      ),
      h("div", { class: "choice settings-row" }, this.launch, h("label", { text: "Open Glimpse when I log in", attrs: { for: launchId } })),
      this.message,
      h("footer", { class: "settings-foot" }, button("Cancel", () => this.close(), { variant: "quiet" }), this.save),
    );
    this.dialog.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.dialog.addEventListener("keydown", (event) => {
      trapTab(this.dialog, event);
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        this.close();
      }
    });
    this.element = h("div", { class: "overlay", hidden: true }, this.dialog);
    this.element.addEventListener("click", (event) => {
      if (event.target === this.element) this.close();
    });
    this.syncEnabled();
  }

  /** Whether the panel is showing. */
  get isOpen(): boolean {
    return !this.element.hidden;
  }

  /** Loads the settings and the models, and shows the panel. */
  async open(): Promise<void> {
    if (this.isOpen) return;
    this.restoreFocus = rememberFocus();
    this.element.hidden = false;
    this.message.hidden = true;
    this.modelMessage.hidden = true;
    this.confirmingRemove = null;
    this.save.disabled = true;
    this.dialog.scrollTop = 0;
    this.dialog.focus();
    const models = this.refreshModels();
    try {
      this.fill(await ipc.getSettings());
      this.save.disabled = false;
    } catch (error) {
      this.showMessage(ipc.errorMessage(error));
    }
    await models;
  }

  /** Hides the panel without saving. */
  close(): void {
    if (!this.isOpen) return;
    this.element.hidden = true;
    const restore = this.restoreFocus;
    this.restoreFocus = null;
    restore?.();
  }

  /**
   * The switch under way, from the app's library state. Progress updates the bar in place;
   * a switch that starts, changes phase or ends lists the models again (badges, kept vectors).
   */
  setSwitch(s: ModelSwitch | null, paused = false): void {
    const before = this.modelSwitch;
    this.modelSwitch = s;
    this.paused = paused;
    this.switchBar.render(s, paused);
    // Called on every library update (progress comes at 10 Hz): the rows are rebuilt only
    // when the switch starts, changes phase or ends, never under the pointer for nothing.
    const changed = (before?.phase ?? null) !== (s?.phase ?? null) || before?.model !== s?.model;
    if (this.isOpen && changed) void this.refreshModels();
  }

  /** The settings the form describes (the model fields as loaded: models switch at once). */
  read(): Settings {
    const base = this.loaded ?? {
      modelSource: "siglip2-b16-224",
      nextModelSource: null,
      cpuThreads: 0,
      cpuLimit: 100,
      thumbnailDir: null,
      launchAtLogin: false,
      sensitivity: 0,
    };
    return {
      ...base,
      cpuThreads: Number(this.threads.value) || 0,
      cpuLimit: Number(this.cpuLimit.value) || 100,
      thumbnailDir: this.thumbDir.value.trim() || null,
      launchAtLogin: this.launch.checked,
      sensitivity: this.sensitivitySteps(),
    };
  }

  private sensitivitySteps(): number {
    const v = Math.round(Number(this.sensitivity.value));
    return Number.isFinite(v) ? Math.max(-2, Math.min(2, v)) : 0;
  }

  private showSensitivity(steps: number): void {
    this.sensitivity.value = String(steps);
    const words = SENSITIVITY_WORDS[steps] ?? SENSITIVITY_WORDS[0] ?? "";
    this.sensitivity.setAttribute("aria-valuetext", words);
    this.sensitivityValue.textContent = words;
  }

  /**
   * The slider moved: saved and in effect at once (no Save), the stored settings otherwise
   * as loaded so nothing else in the form is applied by it.
   */
  private async applySensitivity(): Promise<void> {
    const steps = this.sensitivitySteps();
    this.showSensitivity(steps);
    const base = this.loaded;
    if (base === null) return;
    const seq = ++this.sensitivitySeq;
    try {
      const saved = await ipc.setSettings({ ...base, sensitivity: steps });
      if (seq !== this.sensitivitySeq) return;
      this.loaded = saved;
      this.host.onSensitivity?.();
    } catch (error) {
      if (seq !== this.sensitivitySeq) return;
      this.showSensitivity(base.sensitivity);
      this.showMessage(ipc.errorMessage(error));
    }
  }

  /** Asks the shell for the models again and draws them. */
  async refreshModels(): Promise<void> {
    const seq = ++this.listSeq;
    try {
      const list = await ipc.listModels();
      if (seq !== this.listSeq) return;
      this.models = list;
      this.modelSwitch = list.switch;
      this.switchBar.render(list.switch, this.paused);
      this.renderModels();
    } catch (error) {
      if (seq !== this.listSeq) return;
      this.showModelMessage(`The models could not be listed: ${ipc.errorMessage(error)}`);
    }
  }

  private fill(settings: Settings): void {
    this.loaded = settings;
    const source = settings.modelSource;
    // A model outside the catalogue shows in the "other model" fields, ready to switch back.
    if (source.startsWith("dir:") || source.startsWith("hub:")) {
      const parsed = parseModelSource(source);
      this.hubRadio.checked = parsed.kind === "hub";
      this.dirRadio.checked = parsed.kind === "dir";
      this.repoInput.value = parsed.kind === "hub" ? parsed.value : "";
      this.dirInput.value = parsed.kind === "dir" ? parsed.value : "";
    }
    const threads = String(Math.max(0, Math.floor(settings.cpuThreads)));
    if (![...this.threads.options].some((o) => o.value === threads)) {
      this.threads.append(h("option", { text: threads, attrs: { value: threads } }));
    }
    this.threads.value = threads;
    const limit = String(Math.max(10, Math.min(100, Math.round(settings.cpuLimit ?? 100))));
    if (![...this.cpuLimit.options].some((o) => o.value === limit)) {
      this.cpuLimit.append(h("option", { text: `${limit}\u00a0%`, attrs: { value: limit } }));
    }
    this.cpuLimit.value = limit;
    this.thumbDir.value = settings.thumbnailDir ?? "";
    this.launch.checked = settings.launchAtLogin;
    this.showSensitivity(Math.max(-2, Math.min(2, Math.round(settings.sensitivity ?? 0))));
    this.syncEnabled();
    this.renderModels();
  }

  private renderModels(): void {
    const list = this.models;
    if (!list) return;
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.focusKey : undefined;
    setChildren(this.catalogue, ...list.models.map((m) => this.catalogueRow(m)));
    setChildren(this.kept, ...list.stored.map((m) => this.keptRow(m)));
    this.keptNote.hidden = list.stored.length > 0;
    // A model outside the catalogue is in use: the fields below hold it.
    const source = this.loaded?.modelSource ?? "";
    const outside = (source.startsWith("dir:") || source.startsWith("hub:")) && !list.models.some((m) => m.inUse);
    this.otherInUse.hidden = !(outside && list.stored.some((m) => m.searching));
    // Rows are rebuilt; keep the keyboard where it was.
    if (focused) this.focusKey(focused);
  }

  private catalogueRow(m: CatalogueModel): HTMLLIElement {
    const switching = isSwitchTo(this.modelSwitch, m) || (m.switchingTo && this.modelSwitch?.phase !== "error");
    const badges: HTMLElement[] = [];
    if (m.inUse) badges.push(h("span", { class: "badge badge-accent", testid: "badge-in-use", text: "In use" }));
    if (switching) badges.push(h("span", { class: "badge badge-busy", testid: "badge-switching", text: "Switching…" }));
    if (m.default) badges.push(h("span", { class: "badge", text: "Default" }));
    const r = m.retrieval;
    const recall = h(
      "span",
      {
        class: "model-recall",
        testid: "model-recall",
        text: `COCO R@1 ${formatRecall(r.cocoTextToImageR1)}`,
        attrs: {
          title: `Zero-shot COCO 5k Recall@1: text → image ${formatRecall(r.cocoTextToImageR1)}, image → text ${formatRecall(r.cocoImageToTextR1)}. Source: ${r.source}`,
        },
      },
      // The tooltip is for the mouse; a screen reader hears the source with the figure.
      h("span", { class: "visually-hidden", text: ` (source: ${r.source})` }),
    );
    const action = m.inUse || switching
      ? null
      : button("Switch", () => void this.switchTo(m.name), {
          class: "model-switch-button",
          testid: "model-switch-button",
          attrs: { "aria-label": `Switch to ${m.title}`, "data-focus-key": `switch:${m.name}` },
        });
    const li = h(
      "li",
      { class: "model-row", testid: "model-row" },
      h(
        "div",
        { class: "model-main" },
        h("div", { class: "model-head" }, h("span", { class: "model-title", text: m.title }), ...badges),
        h("p", { class: "model-facts", text: modelFacts(m) }),
        h(
          "p",
          { class: "model-quality" },
          recall,
          h("span", { class: "model-sep", text: " · ", attrs: { "aria-hidden": "true" } }),
          h("span", { class: "model-speed", testid: "model-speed", text: speedText(m) }),
        ),
        h("p", { class: "model-summary", text: m.summary }),
      ),
      action,
    );
    li.dataset.name = m.name;
    li.dataset.inUse = String(m.inUse);
    li.dataset.switching = String(switching);
    return li;
  }

  private keptRow(m: StoredModel): HTMLLIElement {
    const inUse = m.searching || m.switchingTo;
    const li = h("li", { class: "kept-row", testid: "model-vectors-row" });
    li.dataset.id = m.id;
    const label = h(
      "div",
      { class: "kept-text" },
      h("span", { class: "kept-title", text: m.title, attrs: { title: m.id } }),
      h("span", {
        class: "kept-count",
        text: ` — ${plural(m.vectors, "photo", "photos")}${m.searching ? " · in use" : m.switchingTo ? " · being switched to" : ""}`,
      }),
    );
    if (this.confirmingRemove === m.id) {
      li.append(
        h("p", { class: "kept-confirm-text", text: `Remove the vectors of ${m.title}? Switching back to it would index every photo again.` }),
        h(
          "div",
          { class: "kept-actions" },
          button("Keep", () => this.confirmRemove(null), { variant: "quiet", testid: "model-vectors-keep", attrs: { "data-focus-key": `keep:${m.id}` } }),
          button("Remove", () => void this.remove(m), { variant: "danger", testid: "model-vectors-confirm" }),
        ),
      );
      li.classList.add("kept-confirming");
      return li;
    }
    const remove = button("Remove", () => this.confirmRemove(m.id), {
      variant: "quiet",
      testid: "model-vectors-remove",
      title: inUse ? "In use: switch to another model first" : `Remove the vectors of ${m.title}`,
      attrs: { disabled: inUse, "aria-label": `Remove the vectors of ${m.title}`, "data-focus-key": `remove:${m.id}` },
    });
    li.append(label, remove);
    return li;
  }

  private confirmRemove(id: string | null): void {
    const back = this.confirmingRemove;
    this.confirmingRemove = id;
    this.renderModels();
    if (id !== null) this.focusKey(`keep:${id}`);
    else if (back !== null) this.focusKey(`remove:${back}`);
  }

  private async remove(m: StoredModel): Promise<void> {
    this.confirmingRemove = null;
    try {
      const { removed } = await ipc.removeModelVectors(m.id);
      this.host.onInfo(`Removed the vectors of ${m.title} (${plural(removed, "photo", "photos")}).`);
    } catch (error) {
      this.showModelMessage(ipc.errorMessage(error));
    }
    await this.refreshModels();
  }

  private async switchTo(model: string): Promise<void> {
    this.modelMessage.hidden = true;
    try {
      const started = await ipc.switchModel(model);
      // `null`: nothing to switch (the model in use), or the first model is being fetched.
      if (started) this.setSwitch(started, this.paused);
      await this.refreshModels();
    } catch (error) {
      this.showModelMessage(ipc.errorMessage(error));
    }
  }

  private async switchOther(): Promise<void> {
    const dir = this.dirInput.value.trim();
    const repo = this.repoInput.value.trim();
    if (this.dirRadio.checked ? dir === "" : repo === "") {
      this.showModelMessage(this.dirRadio.checked ? "Choose the folder that holds the model." : "Type a Hugging Face repo as org/name.");
      (this.dirRadio.checked ? this.dirInput : this.repoInput).focus();
      return;
    }
    const model = this.dirRadio.checked ? `dir:${dir}` : `hub:${repo}`;
    await this.switchTo(model);
  }

  private async act(action: Promise<unknown>): Promise<void> {
    try {
      await action;
    } catch (error) {
      this.showModelMessage(ipc.errorMessage(error));
    }
    await this.refreshModels();
  }

  private syncEnabled(): void {
    this.repoInput.disabled = !this.hubRadio.checked;
    this.dirInput.disabled = !this.dirRadio.checked;
  }

  /** Focuses the control marked `data-focus-key="<key>"` (rows are rebuilt on each change). */
  private focusKey(key: string): void {
    for (const el of this.dialog.querySelectorAll<HTMLElement>("[data-focus-key]")) {
      if (el.dataset.focusKey === key) {
        el.focus();
        return;
      }
    }
  }

  private async choose(input: HTMLInputElement, title: string, then?: () => void): Promise<void> {
    try {
      const path = await ipc.chooseFolder(title);
      if (path) {
        input.disabled = false;
        input.value = path;
        then?.();
      }
    } catch (error) {
      this.host.onError(error);
    }
  }

  private async submit(): Promise<void> {
    this.save.disabled = true;
    const wanted = this.read();
    const moving = (wanted.thumbnailDir ?? null) !== (this.loaded?.thumbnailDir ?? null);
    if (moving) this.save.textContent = "Moving thumbnails…";
    try {
      this.fill(await ipc.setSettings(wanted));
      this.close();
      this.host.onInfo("Settings saved.");
    } catch (error) {
      this.showMessage(ipc.errorMessage(error));
    } finally {
      this.save.disabled = false;
      this.save.textContent = "Save";
    }
  }

  private showMessage(text: string): void {
    this.message.textContent = text;
    this.message.hidden = false;
  }

  private showModelMessage(text: string): void {
    this.modelMessage.textContent = text;
    this.modelMessage.hidden = false;
  }
}
