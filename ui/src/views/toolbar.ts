// The main window's toolbar: the folders toggle, the search box (with its "similar to"
// chip, spinner, clear button and the query bar's chips, completions and help), the
// indexing badge, the thumbnail size, "Add folder" and Settings.
import { TILE_MAX_PX, TILE_MIN_PX } from "../grid";
import { formatCount, plural } from "../format";
import * as ipc from "../ipc";
import { isIndexing } from "../library";
import type { SearchState } from "../search";
import type { AppState } from "../store";
import { button, h, icon, iconLabel } from "./dom";
import { QueryBar } from "./querybar";

/** What the toolbar asks of the window. */
export interface ToolbarActions {
  /** The search box's text changed (typed, a chip removed, a completion). */
  setQuery(text: string): void;
  /** Back from "similar to a photo" to the text search. */
  exitSimilar(): void;
  /** Removes an example photo from the query. */
  removeExample(photoId: number): void;
  /** Clears the search (the box is cleared already). */
  clearSearch(): void;
  /** The URL of a content's thumbnail, fresh after `thumbnails-ready`. */
  thumbUrl(contentId: number): string;
  /** Shows or hides the folders panel. */
  setSidebar(open: boolean): void;
  /** The thumbnail size slider moved. */
  setTileSize(px: number): void;
  /** "Add folder": the native dialog. */
  addFolders(): void;
  /** Opens Settings. */
  openSettings(): void;
  /** ↓ in the box: focus the results; false when there are none. */
  focusResults(): boolean;
  /** Enter in the box: preview the selected result; false when there are none. */
  previewSelected(): boolean;
}

/** The toolbar and the row under it, drawn from the store. */
export class Toolbar {
  /** The toolbar (`header`'s first row). */
  readonly element: HTMLElement;
  /** The query bar's row under the toolbar. */
  readonly row: HTMLElement;
  /** The search box's frame (a drop target for results dragged back in). */
  readonly searchbar: HTMLElement;
  readonly input: HTMLInputElement;
  readonly queryBar: QueryBar;
  private readonly chip: HTMLElement;
  private readonly chipLabel: HTMLElement;
  private readonly spinner: HTMLElement;
  private readonly clearButton: HTMLButtonElement;
  private readonly sidebarToggle: HTMLButtonElement;
  private readonly progressMini: HTMLButtonElement;
  private readonly sizeSlider: HTMLInputElement;
  /** The folders panel is shown (what the toggle does next). */
  private sidebarOpen: boolean;

  constructor(
    private readonly actions: ToolbarActions,
    initial: AppState,
  ) {
    this.sidebarOpen = initial.view.sidebarOpen;
    this.input = h("input", {
      class: "search-input",
      testid: "search-input",
      attrs: {
        type: "search",
        placeholder: "Describe a photo — “dog on a beach at sunset”",
        "aria-label": "Search photos by what is in them",
        autocomplete: "off",
        spellcheck: "false",
        enterkeyhint: "search",
      },
    });
    this.chipLabel = h("span", { class: "chip-label" });
    this.chip = h(
      "span",
      { class: "chip", testid: "similar-chip", hidden: true },
      icon("similar"),
      this.chipLabel,
      button(icon("close"), () => actions.exitSimilar(), {
        variant: "icon",
        class: "chip-close",
        testid: "similar-clear",
        attrs: { "aria-label": "Back to the text search" },
      }),
    );
    this.spinner = h("span", { class: "spinner", attrs: { "aria-hidden": "true" }, hidden: true });
    this.clearButton = button(icon("close"), () => this.clear(), {
      variant: "icon",
      class: "search-clear",
      attrs: { "aria-label": "Clear search" },
      title: "Clear (Esc)",
      hidden: true,
    });
    this.queryBar = new QueryBar({
      input: this.input,
      setText: (text, caret) => this.setText(text, caret),
      removeExample: (photoId) => actions.removeExample(photoId),
      thumbUrl: (contentId) => actions.thumbUrl(contentId),
      suggest: (key, prefix) => ipc.suggest(key, prefix),
      searchChanged: () => actions.setQuery(this.queryBar.searchText()),
    });
    this.searchbar = h(
      "div",
      { class: "searchbar", testid: "searchbar", attrs: { role: "search" } },
      icon("search", "icon search-icon"),
      this.chip,
      this.input,
      this.spinner,
      this.clearButton,
      this.queryBar.helpButton,
      this.queryBar.popup,
      this.queryBar.help,
    );

    this.sidebarToggle = button(icon("sidebar"), () => actions.setSidebar(!this.sidebarOpen), {
      variant: "icon",
      testid: "folders-toggle",
      attrs: { "aria-label": "Show folders", "aria-expanded": "true" },
      title: "Folders (Ctrl+B)",
    });
    this.progressMini = button("", () => actions.setSidebar(true), {
      variant: "quiet",
      class: "progress-mini",
      testid: "progress-mini",
      hidden: true,
    });
    this.sizeSlider = h("input", {
      class: "size-slider",
      testid: "tile-size",
      attrs: {
        type: "range",
        min: TILE_MIN_PX,
        max: TILE_MAX_PX,
        step: 8,
        value: initial.view.tileSize,
        "aria-label": "Thumbnail size",
      },
    });
    const addButton = button(iconLabel("folderPlus", "Add folder"), () => actions.addFolders(), {
      testid: "add-folder",
      title: "Add folders (Ctrl+O)",
    });
    const settingsButton = button(icon("settings"), () => actions.openSettings(), {
      variant: "icon",
      testid: "settings-open",
      attrs: { "aria-label": "Settings" },
      title: "Settings (Ctrl+,)",
    });
    this.element = h(
      "div",
      { class: "toolbar" },
      this.sidebarToggle,
      this.searchbar,
      this.progressMini,
      h("label", { class: "size", attrs: { title: "Thumbnail size" } }, icon("image", "icon icon-small"), this.sizeSlider, icon("image")),
      addButton,
      settingsButton,
    );
    this.row = this.queryBar.row;

    this.input.addEventListener("input", () => {
      this.queryBar.onInput();
      actions.setQuery(this.queryBar.searchText());
    });
    this.sizeSlider.addEventListener("input", () => actions.setTileSize(Number(this.sizeSlider.value)));
  }

  /** Handles a key in the search box (Esc, ↓, Enter, the query bar's keys). */
  onKeyDown(event: KeyboardEvent, search: SearchState): void {
    if (this.queryBar.onKeyDown(event)) {
      event.preventDefault();
      return;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      if (this.input.value !== "") this.clear();
      else if (search.mode.kind === "similar") this.actions.exitSimilar();
    } else if (event.key === "ArrowDown") {
      if (this.actions.focusResults()) event.preventDefault();
    } else if (event.key === "Enter") {
      if (this.actions.previewSelected()) event.preventDefault();
    }
  }

  /** Empties the box and the search, and focuses the box. */
  clear(): void {
    this.input.value = "";
    this.queryBar.onProgrammaticChange();
    this.actions.clearSearch();
    this.input.focus();
  }

  /** Puts `text` in the box (a chip removed, a completion, a month) and searches it. */
  setText(text: string, caret = text.length): void {
    this.input.value = text;
    try {
      this.input.setSelectionRange(caret, caret);
    } catch {
      // Some input types refuse selections; the caret then stays where it is.
    }
    this.queryBar.onProgrammaticChange();
    this.actions.setQuery(this.queryBar.searchText());
  }

  /** A key typed in the results: it goes on in the box. */
  typeAhead(key: string): void {
    this.input.focus();
    this.input.value += key;
    this.queryBar.onInput();
    this.actions.setQuery(this.queryBar.searchText());
  }

  /** Starts with `text` in the box (`?q=`). */
  start(text: string): void {
    this.input.value = text;
    this.queryBar.onProgrammaticChange();
    this.actions.setQuery(text);
  }

  /** The search box's parts that follow the search. */
  renderSearch(s: SearchState): void {
    this.queryBar.render(s);
    this.spinner.hidden = !s.pending;
    this.clearButton.hidden = this.input.value === "" && s.mode.kind === "text";
    this.chip.hidden = s.mode.kind !== "similar";
    if (s.mode.kind === "similar") this.chipLabel.textContent = `Similar to ${s.mode.name}`;
    this.searchbar.classList.toggle("has-chip", s.mode.kind === "similar");
  }

  /** The folders toggle and the indexing badge shown while the panel is closed. */
  renderPanel(state: AppState): void {
    const open = state.view.sidebarOpen;
    this.sidebarOpen = open;
    this.sidebarToggle.setAttribute("aria-expanded", String(open));
    this.sidebarToggle.setAttribute("aria-label", open ? "Hide folders" : "Show folders");
    const lib = state.library;
    const busy = isIndexing(lib);
    this.progressMini.hidden = open || !busy;
    if (busy) {
      const p = lib.progress;
      const pct = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 0;
      this.progressMini.textContent = lib.indexingStopped !== null ? "Indexing stopped" : p.paused ? "Indexing paused" : `Indexing ${pct}%`;
      this.progressMini.title = `${formatCount(p.done)} of ${plural(p.total, "photo", "photos")} indexed`;
    }
  }

  /** Whether a point (CSS pixels of the page) is over the search box. */
  contains(p: { x: number; y: number } | undefined): boolean {
    if (!p) return false;
    const r = this.searchbar.getBoundingClientRect();
    return p.x >= r.left && p.x <= r.right && p.y >= r.top && p.y <= r.bottom;
  }

  destroy(): void {
    this.queryBar.destroy();
  }
}
