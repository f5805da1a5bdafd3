// What goes with the search box: the row under it (filter chips that edit the text, the
// example photos, "Filter" to add one, and the error of a malformed query), the
// autocomplete for `in:`/`camera:` (and the grammar's fixed values) while they are typed,
// and the help popover listing every key. The text stays the one source of truth: chips
// are read from it and edit it.
import type { Suggestion } from "../ipc";
import {
  applyCompletion,
  appendToken,
  chipsOf,
  completionAt,
  FIXED_VALUES,
  removeTokens,
  tokenAt,
  type Chip,
  type ChipKind,
  type Completion,
} from "../querytext";
import type { Example, SearchState } from "../search";
import { plural } from "../format";
import { button, h, icon, iconLabel, setChildren, type IconName } from "./dom";

/** What the query bar needs from the window. */
export interface QueryBarHost {
  /** The search box. */
  input: HTMLInputElement;
  /** Puts `text` in the box (caret at `caret`, else the end) and searches for it. */
  setText(text: string, caret?: number): void;
  removeExample(photoId: number): void;
  thumbUrl(contentId: number): string;
  suggest(key: "in" | "camera", prefix: string): Promise<Suggestion[]>;
  /** The autocomplete opened or closed, so the text to search for may have changed. */
  searchChanged?(): void;
}

const CHIP_ICONS: Record<ChipKind, IconName> = {
  folder: "folder",
  date: "calendar",
  type: "image",
  camera: "camera",
  orientation: "orientation",
  name: "text",
  sort: "sort",
};

const CHIP_NOUNS: Record<ChipKind, string> = {
  folder: "folder filter",
  date: "date filter",
  type: "type filter",
  camera: "camera filter",
  orientation: "orientation filter",
  name: "file name filter",
  sort: "sort order",
};

/** The "Filter" menu: what each item inserts. */
const FILTER_MENU: { label: string; insert: string; icon: IconName }[] = [
  { label: "Folder", insert: "in:", icon: "folder" },
  { label: "Taken after…", insert: "after:", icon: "calendar" },
  { label: "Taken before…", insert: "before:", icon: "calendar" },
  { label: "File type", insert: "type:", icon: "image" },
  { label: "Camera", insert: "camera:", icon: "camera" },
  { label: "Orientation", insert: "orientation:", icon: "orientation" },
  { label: "Sort by date", insert: "sort:", icon: "sort" },
];

/** The help popover's rows: what to type, what it does, an example (inserted on click). */
export const HELP_ROWS: { key: string; what: string; example: string }[] = [
  { key: "words", what: "What the photo shows", example: "dog on a beach" },
  { key: "\"phrase\"", what: "A part kept together", example: "\"at night\"" },
  { key: "-word", what: "Push photos that match it out", example: "-people" },
  { key: "term^2", what: "Weigh a part more (up to 10)", example: "sunset^2" },
  { key: "in:", what: "In a folder (name or path) and its subfolders; several are or'd", example: "in:Holidays" },
  { key: "after:", what: "Taken on or after: YYYY, YYYY-MM or YYYY-MM-DD", example: "after:2019-06" },
  { key: "before:", what: "Taken before that date", example: "before:2020" },
  { key: "type:", what: "jpeg, png, webp, gif, tiff, bmp, heic, avif, jxl, raw", example: "type:png" },
  { key: "camera:", what: "Camera make or model contains", example: "camera:pixel" },
  { key: "orientation:", what: "portrait, landscape or square", example: "orientation:portrait" },
  { key: "name:", what: "File name contains", example: "name:IMG_20" },
  { key: "sort:", what: "relevance (default), newest or oldest", example: "sort:newest" },
];

let nextId = 0;

/** The query bar and its popups. */
export class QueryBar {
  /** The row under the box: chips, examples, "Filter", the error. */
  readonly row: HTMLElement;
  /** The autocomplete list, placed under the box. */
  readonly popup: HTMLUListElement;
  /** "?" next to the box. */
  readonly helpButton: HTMLButtonElement;
  /** The help popover. */
  readonly help: HTMLElement;
  private readonly chips: HTMLElement;
  private readonly error: HTMLElement;
  private readonly menuButton: HTMLButtonElement;
  private readonly menu: HTMLElement;
  private readonly listId: string;
  private readonly errorId: string;
  private completion: Completion | null = null;
  private options: Suggestion[] = [];
  private active = -1;
  private suggestSeq = 0;
  /** The token last dismissed with Esc (`start:text`): it stays closed until edited. */
  private dismissed = "";
  /** The last change to the box was typing (the token at the caret is unfinished). */
  private typing = false;
  private chipsKey = "";
  private examples: readonly Example[] = [];

  constructor(private readonly host: QueryBarHost) {
    const id = ++nextId;
    this.listId = `query-suggestions-${id}`;
    this.errorId = `query-error-${id}`;
    const input = host.input;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", this.listId);

    this.popup = h("ul", {
      class: "suggestions",
      testid: "suggestions",
      hidden: true,
      attrs: { id: this.listId, role: "listbox", "aria-label": "Suggestions" },
    });
    // Keep focus (and the caret) in the box while choosing with the mouse.
    this.popup.addEventListener("mousedown", (event) => event.preventDefault());

    this.chips = h("div", { class: "chips", testid: "query-chips", attrs: { role: "list", "aria-label": "Filters and example photos" } });
    this.error = h("p", { class: "query-error", testid: "query-error", attrs: { id: this.errorId, role: "alert" }, hidden: true });

    this.menu = h("div", { class: "menu", testid: "filter-menu", hidden: true, attrs: { role: "menu", "aria-label": "Add a filter" } });
    for (const item of FILTER_MENU) {
      const entry = h(
        "button",
        { class: "menu-item", attrs: { type: "button", role: "menuitem", tabindex: "-1", "data-insert": item.insert } },
        icon(item.icon),
        h("span", { text: item.label }),
        h("code", { class: "menu-key", text: item.insert }),
      );
      entry.addEventListener("click", () => this.insertFilter(item.insert));
      this.menu.append(entry);
    }
    this.menu.addEventListener("keydown", (event) => this.onMenuKey(event));
    this.menuButton = button(iconLabel("plus", "Filter"), () => this.toggleMenu(), {
      variant: "quiet",
      class: "filter-add",
      testid: "add-filter",
      attrs: { "aria-haspopup": "menu", "aria-expanded": "false" },
      title: "Add a filter: folder, date, type, camera…",
    });
    const menuWrap = h("div", { class: "menu-wrap" }, this.menuButton, this.menu);

    this.row = h("div", { class: "querybar", testid: "querybar" }, this.chips, menuWrap, this.error);

    this.helpButton = button(h("span", { class: "help-mark", text: "?" }), () => this.toggleHelp(), {
      variant: "icon",
      class: "search-help",
      testid: "query-help-toggle",
      attrs: { "aria-label": "How to search", "aria-expanded": "false", "aria-haspopup": "dialog" },
      title: "How to search: filters and keys",
    });
    this.help = this.buildHelp();

    input.addEventListener("click", () => this.refreshCompletion());
    input.addEventListener("keyup", (event) => {
      if (["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) this.refreshCompletion();
    });
    input.addEventListener("blur", () => {
      this.typing = false;
      this.close();
      this.renderChips();
    });
    document.addEventListener("mousedown", this.onOutside);
  }

  /** Whether the autocomplete is showing. */
  get isOpen(): boolean {
    return !this.popup.hidden;
  }

  /** Whether the help popover is showing. */
  get helpOpen(): boolean {
    return !this.help.hidden;
  }

  /** The user typed in the box. */
  onInput(): void {
    this.typing = true;
    this.renderChips();
    this.refreshCompletion();
  }

  /** The box's text changed from code (a chip removed, a completion, a month). */
  onProgrammaticChange(): void {
    this.typing = false;
    this.renderChips();
    this.refreshCompletion();
  }

  /**
   * The text to search for: the box's text, less a filter still being written at the caret:
   * a key waiting for its value (`in:` alone would be an error), or a value the autocomplete
   * is still offering completions for (`in:s` would select nothing while the user is still
   * choosing `shapes`). The filter applies once chosen, or once the text moves past it.
   */
  searchText(): string {
    const input = this.host.input;
    const caret = input.selectionStart ?? input.value.length;
    const token = tokenAt(input.value, caret);
    if (token !== null && token.key !== null && !token.quoted && caret === token.end && (token.value === "" || this.isOpen)) {
      return removeTokens(input.value, [token]);
    }
    return input.value;
  }

  /** Keys in the box: the autocomplete's when it is open. Returns whether it used the key. */
  onKeyDown(event: KeyboardEvent): boolean {
    if (event.key === "Escape" && this.helpOpen) {
      this.closeHelp();
      return true;
    }
    if (!this.isOpen) return false;
    switch (event.key) {
      case "ArrowDown":
      case "ArrowUp": {
        const n = this.options.length;
        const step = event.key === "ArrowDown" ? 1 : -1;
        this.setActive((this.active + step + n) % n);
        return true;
      }
      case "Enter":
      case "Tab": {
        const chosen = this.options[this.active];
        if (!chosen) return false;
        this.accept(chosen.value);
        return true;
      }
      case "Escape": {
        const c = this.completion;
        if (c) this.dismissed = `${c.token.start}:${this.host.input.value.slice(c.token.start, c.token.end)}`;
        this.close();
        return true;
      }
      default:
        return false;
    }
  }

  /** Draws the chips, the examples and the error for the search state. */
  render(state: SearchState): void {
    const queryError = state.error?.code === "query" ? state.error.message : null;
    this.error.hidden = queryError === null;
    this.error.textContent = queryError ?? "";
    const input = this.host.input;
    if (queryError === null) {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    } else {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", this.errorId);
    }
    this.examples = state.mode.kind === "text" ? state.examples : [];
    this.renderChips();
  }

  /** Closes the autocomplete. */
  close(): void {
    this.suggestSeq++;
    this.completion = null;
    this.options = [];
    this.active = -1;
    this.popup.hidden = true;
    this.popup.replaceChildren();
    this.host.input.setAttribute("aria-expanded", "false");
    this.host.input.removeAttribute("aria-activedescendant");
  }

  /** Removes listeners. */
  destroy(): void {
    document.removeEventListener("mousedown", this.onOutside);
  }

  private renderChips(): void {
    const input = this.host.input;
    const caret = input.selectionStart ?? input.value.length;
    // The filter being typed is not a chip until it is finished (a space, or leaving the box).
    const editing = this.typing ? tokenAt(input.value, caret) : null;
    const skip = editing !== null && caret === editing.end ? editing : null;
    const chips = chipsOf(input.value, skip);
    const key = JSON.stringify([chips.map((c) => [c.kind, c.label, c.tokens.map((t) => t.start)]), this.examples.map((e) => e.photoId)]);
    if (key === this.chipsKey) return;
    this.chipsKey = key;
    setChildren(this.chips, ...chips.map((c) => this.chip(c)), ...this.examples.map((e) => this.exampleChip(e)));
    this.row.classList.toggle("has-chips", chips.length + this.examples.length > 0);
  }

  private chip(c: Chip): HTMLElement {
    const remove = button(icon("close"), () => this.removeChip(c), {
      variant: "icon",
      class: "chip-close",
      testid: "chip-remove",
      attrs: { "aria-label": `Remove the ${CHIP_NOUNS[c.kind]} ${c.label}` },
      title: "Remove",
    });
    const el = h(
      "span",
      { class: `chip chip-${c.kind}`, testid: "filter-chip", attrs: { role: "listitem", title: c.title } },
      icon(CHIP_ICONS[c.kind]),
      h("span", { class: "chip-label", text: c.label }),
      remove,
    );
    el.dataset.kind = c.kind;
    return el;
  }

  private exampleChip(e: Example): HTMLElement {
    const img = h("img", { class: "chip-thumb", attrs: { alt: "", draggable: "false", decoding: "async" } });
    img.src = this.host.thumbUrl(e.contentId);
    const el = h(
      "span",
      { class: "chip chip-example", testid: "example-chip", attrs: { role: "listitem", title: `Like ${e.name}` } },
      img,
      h("span", { class: "chip-label", text: e.name }),
      button(icon("close"), () => this.host.removeExample(e.photoId), {
        variant: "icon",
        class: "chip-close",
        testid: "example-remove",
        attrs: { "aria-label": `Remove the example photo ${e.name}` },
        title: "Remove",
      }),
    );
    el.dataset.photoId = String(e.photoId);
    return el;
  }

  private removeChip(c: Chip): void {
    const text = removeTokens(this.host.input.value, c.tokens);
    this.host.setText(text);
    this.host.input.focus();
  }

  private refreshCompletion(): void {
    const input = this.host.input;
    const caret = input.selectionStart ?? input.value.length;
    const completion = completionAt(input.value, caret);
    if (completion === null || document.activeElement !== input) {
      this.close();
      return;
    }
    const here = `${completion.token.start}:${input.value.slice(completion.token.start, completion.token.end)}`;
    if (here === this.dismissed) {
      this.close();
      return;
    }
    this.dismissed = "";
    const seq = ++this.suggestSeq;
    this.completion = completion;
    const { key, prefix } = completion;
    if (key === "in" || key === "camera") {
      this.host.suggest(key, prefix).then(
        (found) => {
          if (seq === this.suggestSeq) this.show(found);
        },
        () => {
          if (seq === this.suggestSeq) this.close();
        },
      );
    } else {
      const p = prefix.toLowerCase();
      this.show(FIXED_VALUES[key].filter((v) => v.startsWith(p)).map((value) => ({ value, count: -1 })));
    }
  }

  private show(found: Suggestion[]): void {
    const before = this.searchText();
    this.showSuggestions(found);
    // Suggestions arrive after the keystroke's search was sent: a value still being chosen
    // was left out of it, and one the autocomplete no longer offers to complete goes in now.
    if (this.searchText() !== before) this.host.searchChanged?.();
  }

  private showSuggestions(found: Suggestion[]): void {
    const completion = this.completion;
    // Nothing to offer, or only what is typed already.
    if (completion === null || found.length === 0 || (found.length === 1 && found[0]?.value === completion.prefix)) {
      const keep = this.completion;
      this.close();
      this.completion = keep;
      return;
    }
    this.options = found;
    this.popup.replaceChildren(
      ...found.map((s, i) => {
        const li = h(
          "li",
          { class: "suggestion", testid: "suggestion", attrs: { role: "option", id: `${this.listId}-${i}`, "aria-selected": "false" } },
          icon(completion.key === "in" ? "folder" : completion.key === "camera" ? "camera" : "text"),
          h("span", { class: "suggestion-value", text: s.value }),
          s.count >= 0 ? h("span", { class: "suggestion-count", text: plural(s.count, "photo", "photos") }) : null,
        );
        li.dataset.value = s.value;
        li.addEventListener("click", () => this.accept(s.value));
        return li;
      }),
    );
    this.popup.hidden = false;
    this.host.input.setAttribute("aria-expanded", "true");
    this.setActive(0);
  }

  private setActive(index: number): void {
    this.active = index;
    this.popup.querySelectorAll<HTMLElement>(".suggestion").forEach((el, i) => {
      el.setAttribute("aria-selected", String(i === index));
      if (i === index) el.scrollIntoView?.({ block: "nearest" });
    });
    if (index >= 0) this.host.input.setAttribute("aria-activedescendant", `${this.listId}-${index}`);
    else this.host.input.removeAttribute("aria-activedescendant");
  }

  private accept(value: string): void {
    const completion = this.completion;
    if (completion === null) return;
    const { text, caret } = applyCompletion(this.host.input.value, completion, value);
    this.close();
    this.host.setText(text, caret);
  }

  private insertFilter(token: string): void {
    this.closeMenu(false);
    const text = appendToken(this.host.input.value, token);
    this.host.input.focus();
    // Its values are offered at once (the box has focus, the caret is after the key).
    this.host.setText(text);
    // The key is waiting for its value: not a chip yet, as if it had been typed.
    this.typing = true;
    this.renderChips();
  }

  // ---- "Filter" menu ---------------------------------------------------------------

  private menuItems(): HTMLElement[] {
    return [...this.menu.querySelectorAll<HTMLElement>(".menu-item")];
  }

  private toggleMenu(): void {
    if (this.menu.hidden) this.openMenu();
    else this.closeMenu(true);
  }

  private openMenu(): void {
    this.closeHelp();
    this.menu.hidden = false;
    this.menuButton.setAttribute("aria-expanded", "true");
    this.menuItems()[0]?.focus();
  }

  private closeMenu(refocus: boolean): void {
    if (this.menu.hidden) return;
    this.menu.hidden = true;
    this.menuButton.setAttribute("aria-expanded", "false");
    if (refocus) this.menuButton.focus();
  }

  private onMenuKey(event: KeyboardEvent): void {
    const items = this.menuItems();
    const at = items.indexOf(document.activeElement as HTMLElement);
    let next = -1;
    if (event.key === "ArrowDown") next = (at + 1) % items.length;
    else if (event.key === "ArrowUp") next = (at - 1 + items.length) % items.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = items.length - 1;
    else if (event.key === "Escape" || event.key === "Tab") {
      if (event.key === "Escape") event.preventDefault();
      event.stopPropagation();
      this.closeMenu(event.key === "Escape");
      return;
    }
    if (next >= 0) {
      event.preventDefault();
      items[next]?.focus();
    }
  }

  // ---- help ------------------------------------------------------------------------

  private buildHelp(): HTMLElement {
    const titleId = `query-help-title-${nextId}`;
    const rows = HELP_ROWS.map((r) => {
      const example = button(r.example, () => {
        this.closeHelp();
        this.host.input.focus();
        this.host.setText(appendToken(this.host.input.value, r.example));
      }, { variant: "quiet", class: "help-example", testid: "help-example", title: `Add “${r.example}” to the search` });
      return h(
        "tr",
        { testid: "help-row" },
        h("th", { attrs: { scope: "row" } }, h("code", { text: r.key })),
        h("td", { text: r.what }),
        h("td", {}, example),
      );
    });
    const help = h(
      "div",
      {
        class: "help-popover",
        testid: "query-help",
        hidden: true,
        attrs: { role: "dialog", "aria-labelledby": titleId },
      },
      h(
        "div",
        { class: "help-head" },
        h("h2", { class: "help-title", text: "How to search", attrs: { id: titleId } }),
        button(icon("close"), () => this.closeHelp(true), { variant: "icon", attrs: { "aria-label": "Close help" } }),
      ),
      h("p", {
        class: "help-lead",
        text: "Describe the photo in words, then narrow it down with keys. Mix them freely: dog beach -people in:Holidays after:2019 sort:newest",
      }),
      h(
        "table",
        { class: "help-table" },
        h("thead", {}, h("tr", {}, h("th", { text: "Type" }), h("th", { text: "To get" }), h("th", { text: "Example" }))),
        h("tbody", {}, ...rows),
      ),
      h("p", {
        class: "help-foot",
        text: "Good matches come first; the rest follow under “Less likely”. Add an example photo with “Add to query” in the preview, or drop a result on the search box.",
      }),
    );
    help.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        this.closeHelp(true);
      }
    });
    return help;
  }

  private toggleHelp(): void {
    if (this.helpOpen) this.closeHelp(true);
    else {
      this.closeMenu(false);
      this.help.hidden = false;
      this.helpButton.setAttribute("aria-expanded", "true");
    }
  }

  /** Closes the help, focus back on its button. */
  dismissHelp(): void {
    this.closeHelp(true);
  }

  private closeHelp(refocus = false): void {
    if (!this.helpOpen) return;
    this.help.hidden = true;
    this.helpButton.setAttribute("aria-expanded", "false");
    if (refocus) this.helpButton.focus();
  }

  private readonly onOutside = (event: MouseEvent): void => {
    const target = event.target instanceof Node ? event.target : null;
    if (target === null) return;
    if (!this.menu.hidden && !this.menu.contains(target) && !this.menuButton.contains(target)) this.closeMenu(false);
    if (this.helpOpen && !this.help.contains(target) && !this.helpButton.contains(target)) this.closeHelp();
  };
}
