// The settings panel: model source, CPU threads, thumbnail cache location, launch at login.
import * as ipc from "../ipc";
import type { Settings } from "../ipc";
import { button, h, icon } from "./dom";
import { DEFAULT_MODEL_REPO } from "./empty";
import { rememberFocus, trapTab } from "./modal";

/** What the panel needs from the app. */
export interface SettingsHost {
  onError(error: unknown): void;
  onInfo(message: string): void;
}

/** Splits `"hub:<repo>"` / `"dir:<path>"`; anything else is taken as a hub repo. */
export function parseModelSource(source: string): { kind: "hub" | "dir"; value: string } {
  if (source.startsWith("dir:")) return { kind: "dir", value: source.slice(4) };
  if (source.startsWith("hub:")) return { kind: "hub", value: source.slice(4) };
  return { kind: "hub", value: source };
}

let nextId = 0;

/** The settings dialog. */
export class SettingsPanel {
  readonly element: HTMLElement;
  private readonly dialog: HTMLFormElement;
  private readonly hubRadio: HTMLInputElement;
  private readonly dirRadio: HTMLInputElement;
  private readonly repoInput: HTMLInputElement;
  private readonly dirInput: HTMLInputElement;
  private readonly threads: HTMLSelectElement;
  private readonly thumbDir: HTMLInputElement;
  private readonly launch: HTMLInputElement;
  private readonly save: HTMLButtonElement;
  private readonly message: HTMLElement;
  private loaded: Settings | null = null;
  private restoreFocus: (() => void) | null = null;

  constructor(private readonly host: SettingsHost) {
    const id = (name: string): string => `settings-${name}-${++nextId}`;
    const hubId = id("hub");
    const dirId = id("dir");
    const repoId = id("repo");
    const dirPathId = id("dirpath");
    const threadsId = id("threads");
    const thumbId = id("thumbs");
    const launchId = id("launch");

    this.hubRadio = h("input", { attrs: { type: "radio", name: "model-kind", id: hubId, value: "hub" } });
    this.dirRadio = h("input", { attrs: { type: "radio", name: "model-kind", id: dirId, value: "dir" } });
    this.repoInput = h("input", {
      class: "field",
      attrs: { type: "text", id: repoId, spellcheck: "false", autocomplete: "off", placeholder: DEFAULT_MODEL_REPO },
    });
    this.dirInput = h("input", {
      class: "field",
      attrs: { type: "text", id: dirPathId, spellcheck: "false", autocomplete: "off", placeholder: "Choose a folder…" },
    });
    for (const el of [this.hubRadio, this.dirRadio]) el.addEventListener("change", () => this.syncEnabled());

    this.threads = h("select", { class: "field", attrs: { id: threadsId } });
    const cores = Math.max(1, navigator.hardwareConcurrency || 4);
    this.threads.append(h("option", { text: "Automatic", attrs: { value: "0" } }));
    for (let n = 1; n <= cores; n++) this.threads.append(h("option", { text: String(n), attrs: { value: String(n) } }));

    this.thumbDir = h("input", {
      class: "field",
      testid: "settings-thumbnail-dir",
      attrs: { type: "text", id: thumbId, spellcheck: "false", autocomplete: "off", placeholder: "Default location" },
    });
    this.launch = h("input", { testid: "settings-launch", attrs: { type: "checkbox", id: launchId } });

    this.message = h("p", { class: "settings-message", testid: "settings-message", attrs: { role: "alert" }, hidden: true });
    this.save = h("button", { class: "btn btn-primary", testid: "settings-save", text: "Save", attrs: { type: "submit" } });

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
        "fieldset",
        { class: "settings-group" },
        h("legend", { text: "AI model" }),
        h(
          "div",
          { class: "choice" },
          this.hubRadio,
          h("label", { text: "Download from Hugging Face", attrs: { for: hubId } }),
        ),
        h("div", { class: "choice-detail" }, h("label", { class: "visually-hidden", text: "Repository", attrs: { for: repoId } }), this.repoInput),
        h("div", { class: "choice" }, this.dirRadio, h("label", { text: "Use a folder on this computer", attrs: { for: dirId } })),
        h(
          "div",
          { class: "choice-detail" },
          h("label", { class: "visually-hidden", text: "Model folder", attrs: { for: dirPathId } }),
          this.dirInput,
          chooseModelDir,
        ),
      ),
      h(
        "div",
        { class: "settings-row" },
        h("label", { text: "CPU threads for indexing", attrs: { for: threadsId } }),
        this.threads,
        h("p", { class: "settings-help", text: "Fewer threads keep the computer responsive while indexing." }),
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
  }

  /** Whether the panel is showing. */
  get isOpen(): boolean {
    return !this.element.hidden;
  }

  /** Loads the settings and shows the panel. */
  async open(): Promise<void> {
    if (this.isOpen) return;
    this.restoreFocus = rememberFocus();
    this.element.hidden = false;
    this.message.hidden = true;
    this.save.disabled = true;
    this.dialog.focus();
    try {
      this.fill(await ipc.getSettings());
      this.save.disabled = false;
    } catch (error) {
      this.showMessage(ipc.errorMessage(error));
    }
  }

  /** Hides the panel without saving. */
  close(): void {
    if (!this.isOpen) return;
    this.element.hidden = true;
    const restore = this.restoreFocus;
    this.restoreFocus = null;
    restore?.();
  }

  /** The settings the form describes. */
  read(): Settings {
    const base = this.loaded ?? { modelSource: `hub:${DEFAULT_MODEL_REPO}`, cpuThreads: 0, thumbnailDir: null, launchAtLogin: false };
    const repo = this.repoInput.value.trim() || DEFAULT_MODEL_REPO;
    const dir = this.dirInput.value.trim();
    return {
      ...base,
      modelSource: this.dirRadio.checked && dir ? `dir:${dir}` : `hub:${repo}`,
      cpuThreads: Number(this.threads.value) || 0,
      thumbnailDir: this.thumbDir.value.trim() || null,
      launchAtLogin: this.launch.checked,
    };
  }

  private fill(settings: Settings): void {
    this.loaded = settings;
    const source = parseModelSource(settings.modelSource);
    this.hubRadio.checked = source.kind === "hub";
    this.dirRadio.checked = source.kind === "dir";
    this.repoInput.value = source.kind === "hub" ? source.value : "";
    this.dirInput.value = source.kind === "dir" ? source.value : "";
    const threads = String(Math.max(0, Math.floor(settings.cpuThreads)));
    if (![...this.threads.options].some((o) => o.value === threads)) {
      this.threads.append(h("option", { text: threads, attrs: { value: threads } }));
    }
    this.threads.value = threads;
    this.thumbDir.value = settings.thumbnailDir ?? "";
    this.launch.checked = settings.launchAtLogin;
    this.syncEnabled();
  }

  private syncEnabled(): void {
    this.repoInput.disabled = !this.hubRadio.checked;
    this.dirInput.disabled = !this.dirRadio.checked;
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
    if (this.dirRadio.checked && this.dirInput.value.trim() === "") {
      this.showMessage("Choose the folder that holds the model, or pick the download.");
      this.dirInput.focus();
      return;
    }
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
}
