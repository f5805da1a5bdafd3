// The main window: toolbar with the search box, folders panel, results grid or empty
// state, preview, settings, toasts and the drop overlay, wired to the shell.
import { TILE_DEFAULT_PX, TILE_MAX_PX, TILE_MIN_PX, VirtualGrid } from "../grid";
import { baseName, formatCount, plural } from "../format";
import * as ipc from "../ipc";
import type { DropPosition, Hit } from "../ipc";
import { isIndexing, Library, type LibraryState } from "../library";
import { nextMonth, withMonth } from "../querytext";
import { asksForMeaning, SearchController, type Example, type SearchState } from "../search";
import { button, h, icon, iconLabel, isPrimaryModifier, isTyping } from "./dom";
import { contentKind, EmptyState } from "./empty";
import { FoldersPanel } from "./folders";
import { copyText, Preview } from "./preview";
import { QueryBar } from "./querybar";
import { SettingsPanel } from "./settings";
import { StoppedBar } from "./stoppedbar";
import { SwitchBar } from "./switchbar";
import { Timeline } from "./timeline";
import { Toasts } from "./toasts";

/** How the window was opened. */
export interface AppOptions {
  /** `?e2e=1`: shows the add-folder-by-path form for WebDriver tests. */
  e2e?: boolean;
  /** `?q=TEXT`: a query to start with (the demo opens on "a red circle"). */
  query?: string;
}

/** A mounted main window. */
export interface AppHandle {
  /** Resolves when the first status has loaded and events are subscribed. */
  ready: Promise<void>;
  destroy(): void;
}

const TILE_KEY = "glimpse.tileSize";
const SIDEBAR_KEY = "glimpse.sidebar";
/** Below this width the folders panel starts closed. */
const NARROW_PX = 760;

function stored(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function store(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Storage can be unavailable; the preference is then per session.
  }
}

/** Builds the main window inside `root`. */
export function mountApp(root: HTMLElement, options: AppOptions = {}): AppHandle {
  const toasts = new Toasts();
  const cleanups: (() => void)[] = [];

  // ---- search box -------------------------------------------------------------------
  const input = h("input", {
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
  const chipLabel = h("span", { class: "chip-label" });
  const chip = h(
    "span",
    { class: "chip", testid: "similar-chip", hidden: true },
    icon("similar"),
    chipLabel,
    button(icon("close"), () => controller.exitSimilar(), {
      variant: "icon",
      class: "chip-close",
      testid: "similar-clear",
      attrs: { "aria-label": "Back to the text search" },
    }),
  );
  const spinner = h("span", { class: "spinner", attrs: { "aria-hidden": "true" }, hidden: true });
  const clearButton = button(icon("close"), () => clearSearch(), {
    variant: "icon",
    class: "search-clear",
    attrs: { "aria-label": "Clear search" },
    title: "Clear (Esc)",
    hidden: true,
  });
  const queryBar = new QueryBar({
    input,
    setText: (text, caret) => setText(text, caret),
    removeExample: (photoId) => controller.removeExample(photoId),
    thumbUrl: (contentId) => ipc.thumbUrl(contentId, grid.thumbVersion(contentId)),
    suggest: (key, prefix) => ipc.suggest(key, prefix),
    searchChanged: () => controller.setQuery(queryBar.searchText()),
  });
  const searchbar = h(
    "div",
    { class: "searchbar", testid: "searchbar", attrs: { role: "search" } },
    icon("search", "icon search-icon"),
    chip,
    input,
    spinner,
    clearButton,
    queryBar.helpButton,
    queryBar.popup,
    queryBar.help,
  );

  // ---- toolbar ----------------------------------------------------------------------
  const sidebarToggle = button(icon("sidebar"), () => setSidebar(!sidebarOpen), {
    variant: "icon",
    testid: "folders-toggle",
    attrs: { "aria-label": "Show folders", "aria-expanded": "true" },
    title: "Folders (Ctrl+B)",
  });
  const progressMini = button("", () => setSidebar(true), { variant: "quiet", class: "progress-mini", testid: "progress-mini", hidden: true });
  const initialTile = clampTile(Number(stored(TILE_KEY)) || TILE_DEFAULT_PX);
  const sizeSlider = h("input", {
    class: "size-slider",
    testid: "tile-size",
    attrs: { type: "range", min: TILE_MIN_PX, max: TILE_MAX_PX, step: 8, value: initialTile, "aria-label": "Thumbnail size" },
  });
  const addButton = button(iconLabel("folderPlus", "Add folder"), () => void chooseAndAdd(), {
    testid: "add-folder",
    title: "Add folders (Ctrl+O)",
  });
  const settingsButton = button(icon("settings"), () => void settings.open(), {
    variant: "icon",
    testid: "settings-open",
    attrs: { "aria-label": "Settings" },
    title: "Settings (Ctrl+,)",
  });
  const toolbar = h(
    "div",
    { class: "toolbar" },
    sidebarToggle,
    searchbar,
    progressMini,
    h("label", { class: "size", attrs: { title: "Thumbnail size" } }, icon("image", "icon icon-small"), sizeSlider, icon("image")),
    addButton,
    settingsButton,
  );

  // ---- library, results, panels ------------------------------------------------------
  const library = new Library({
    onError: (error) => toasts.error(error),
    onIdle: () => controller.refresh(),
    onThumbnails: (ids) => {
      grid.thumbnailsReady(ids);
      preview.refreshImage();
    },
    onModelReady: () => controller.refresh(),
    onFolderAdded: (folder) => toasts.info(`Added “${baseName(folder.path)}”. Its photos are being indexed.`),
  });

  // The line between the good matches and the less likely ones, placed by the grid.
  const dividerNote = h("span", { class: "divider-label", text: "Less likely" });
  const dividerMore = button("Show less likely matches", () => controller.showLessLikely(), {
    variant: "quiet",
    class: "divider-more",
    testid: "show-less-likely",
  });
  const dividerBusy = h("span", { class: "spinner", attrs: { "aria-hidden": "true" }, hidden: true });
  const divider = h(
    "div",
    { class: "divider", testid: "divider", attrs: { role: "separator", "aria-label": "Less likely matches follow" } },
    h("span", { class: "divider-line" }),
    dividerNote,
    dividerBusy,
    dividerMore,
    h("span", { class: "divider-line" }),
  );

  const grid = new VirtualGrid({
    divider,
    label: "Results",
    tileSize: initialTile,
    thumbUrl: (contentId, version) => ipc.thumbUrl(contentId, version),
    onOpen: (index, how) => {
      if (how === "preview") preview.show(index);
      else void openExternally(grid.hits[index]);
    },
    onNearEnd: () => controller.loadMore(),
    onExitTop: () => input.focus(),
    onTypeAhead: (key) => {
      input.focus();
      input.value += key;
      queryBar.onInput();
      controller.setQuery(queryBar.searchText());
    },
    onDragOut: (index) => void dragOut(grid.hits[index]),
  });

  const controller = new SearchController({ query: ipc.query, prefetch: ipc.prefetchQuery }, () => render());

  const empty = new EmptyState({
    addFolder: () => void chooseAndAdd(),
    downloadModel: () => void library.downloadModel(null),
    useModelFolder: () => void chooseModelFolder(),
    tryQuery: (text) => {
      input.focus();
      setText(text);
    },
    retry: () => void library.reload(),
    showClosest: () => controller.showLessLikely(),
  });

  const folders = new FoldersPanel({
    addFolder: () => void chooseAndAdd(),
    // Results from a removed folder must not linger in the grid.
    removeFolder: (path) => library.removeFolder(path).then(() => controller.refresh()),
    setPaused: (paused) => void library.setPaused(paused),
  });

  const preview = new Preview({
    hits: () => grid.hits,
    select: (index) => grid.select(index),
    thumbUrl: (contentId) => ipc.thumbUrl(contentId, grid.thumbVersion(contentId)),
    findSimilar: (hit) => {
      controller.findSimilar(hit.photoId, hit.name);
      grid.element.focus();
    },
    addToQuery: (hit) => {
      controller.exitSimilar();
      controller.addExample(exampleOf(hit));
      input.focus();
    },
    onError: (error) => toasts.error(error),
    onInfo: (message) => toasts.info(message),
  });

  const settings = new SettingsPanel({
    onError: (e) => toasts.error(e),
    onInfo: (m) => toasts.info(m),
    // Where good matches end moved: the same query draws a different line.
    onSensitivity: () => controller.refresh(),
  });

  const switchActions = {
    finish: () => void ipc.finishModelSwitch().catch((error: unknown) => toasts.error(error)),
    cancel: () => void ipc.cancelModelSwitch().catch((error: unknown) => toasts.error(error)),
  };
  const switchBar = new SwitchBar(switchActions, "model-switch");
  const stoppedBar = new StoppedBar(() => void library.retryIndexing());

  const statusLine = h("p", { class: "statusline", testid: "result-count", attrs: { "aria-live": "polite" } });
  const timeline = new Timeline((month) => {
    setText(withMonth(input.value, month));
    input.focus();
  });
  const busyBar = h("div", { class: "busy-bar", attrs: { "aria-hidden": "true" }, hidden: true });
  const results = h("div", { class: "results" }, grid.element, empty.element);
  const main = h(
    "main",
    { class: "content", attrs: { "aria-label": "Photos" } },
    h("div", { class: "content-head" }, statusLine, timeline.element),
    stoppedBar.element,
    switchBar.element,
    busyBar,
    results,
  );

  const dropOverlay = h(
    "div",
    { class: "drop-overlay", testid: "drop-overlay", hidden: true, attrs: { "aria-hidden": "true" } },
    h("div", { class: "drop-card" }, icon("folderPlus"), h("p", { text: "Drop folders to add them to Glimpse" })),
  );

  // Test hook: WebDriver cannot synthesise a native drop or drive a native dialog, so the
  // end-to-end tests add folders by path through this form (see ui/README.md). It exists
  // only when the shell asks for it (`?e2e=1`, which debug builds add under GLIMPSE_E2E=1).
  const e2eForm = options.e2e ? pathForm((path) => void library.addFolders([path])) : null;

  const body = h("div", { class: "body" }, folders.element, main);
  const header = h("header", { class: "top" }, toolbar, queryBar.row);
  const app = h("div", { class: "app" }, header, body, toasts.element, dropOverlay, preview.element, settings.element);
  if (e2eForm) app.append(e2eForm);
  root.replaceChildren(app);

  // ---- behaviour --------------------------------------------------------------------
  let sidebarOpen = stored(SIDEBAR_KEY) !== null ? stored(SIDEBAR_KEY) === "open" : window.innerWidth >= NARROW_PX;
  function setSidebar(open: boolean): void {
    sidebarOpen = open;
    folders.element.hidden = !open;
    app.dataset.sidebar = open ? "open" : "closed";
    sidebarToggle.setAttribute("aria-expanded", String(open));
    sidebarToggle.setAttribute("aria-label", open ? "Hide folders" : "Show folders");
    store(SIDEBAR_KEY, open ? "open" : "closed");
    renderProgressMini(library.state);
  }
  setSidebar(sidebarOpen);

  function clearSearch(): void {
    input.value = "";
    queryBar.onProgrammaticChange();
    controller.clear();
    input.focus();
  }

  /** Puts `text` in the box (a chip removed, a completion, a month) and searches it. */
  function setText(text: string, caret = text.length): void {
    input.value = text;
    try {
      input.setSelectionRange(caret, caret);
    } catch {
      // Some input types refuse selections; the caret then stays where it is.
    }
    queryBar.onProgrammaticChange();
    controller.setQuery(queryBar.searchText());
  }

  async function chooseAndAdd(): Promise<void> {
    try {
      const paths = await ipc.chooseFolders("Add folders to Glimpse");
      await library.addFolders(paths);
    } catch (error) {
      toasts.error(error);
    }
  }

  async function chooseModelFolder(): Promise<void> {
    try {
      const path = await ipc.chooseFolder("Choose the folder that holds the model");
      if (path) await library.useModelDir(path);
    } catch (error) {
      toasts.error(error);
    }
  }

  async function openExternally(hit: Hit | undefined): Promise<void> {
    if (!hit) return;
    try {
      await ipc.openPhoto(hit.photoId);
    } catch (error) {
      toasts.error(error);
    }
  }

  // The photo being dragged out of the window: if the drag comes back over the window, it
  // is not a folder being dropped in; dropped on the search box, it becomes an example.
  let draggingOut: Hit | null = null;
  async function dragOut(hit: Hit | undefined): Promise<void> {
    if (!hit) return;
    draggingOut = hit;
    try {
      await ipc.startDrag(hit.photoId);
    } catch (error) {
      draggingOut = null;
      toasts.error(error);
    }
  }
  const isOwnDrag = (paths: readonly string[] | undefined): boolean =>
    draggingOut !== null && paths !== undefined && paths.length === 1 && paths[0] === draggingOut.path;
  const overSearchBox = (p: DropPosition | undefined): boolean => {
    if (!p) return false;
    const r = searchbar.getBoundingClientRect();
    return p.x >= r.left && p.x <= r.right && p.y >= r.top && p.y <= r.bottom;
  };

  let shownGeneration = -1;
  let shownHits: readonly Hit[] | null = null;
  let shownSplit: number | null = null;
  let shownError: unknown = null;

  function render(): void {
    const s: SearchState = controller.state;
    const lib: LibraryState = library.state;
    const kind = contentKind(lib, s);

    const split = dividerAt(s);
    if (s.hits !== shownHits || s.generation !== shownGeneration || split !== shownSplit) {
      const reset = s.generation !== shownGeneration;
      shownHits = s.hits;
      shownGeneration = s.generation;
      shownSplit = split;
      grid.setItems(s.hits, reset, split);
      preview.hitsChanged();
    }
    renderDivider(s);
    grid.element.hidden = kind !== "results";
    empty.render(kind, lib, s);
    queryBar.render(s);
    renderTimeline(s, kind);

    if (s.error !== shownError) {
      shownError = s.error;
      // No model: the empty state explains it and offers the fix; a toast would repeat it.
      // A malformed query is explained under the box, where it was typed.
      if (s.error?.code === "no_model") void library.reload();
      else if (s.error && s.error.code !== "query") toasts.error(s.error);
    }

    spinner.hidden = !s.pending;
    busyBar.hidden = !s.pending || kind !== "results";
    clearButton.hidden = input.value === "" && s.mode.kind === "text";
    chip.hidden = s.mode.kind !== "similar";
    if (s.mode.kind === "similar") chipLabel.textContent = `Similar to ${s.mode.name}`;
    searchbar.classList.toggle("has-chip", s.mode.kind === "similar");

    statusLine.textContent = summary(kind, s);
    statusLine.dataset.count = String(s.hits.length);
    statusLine.dataset.good = String(s.good);
    main.dataset.state = kind;
  }

  /** Where the divider goes: after the good matches, once they are all shown, for queries with meaning. */
  function dividerAt(s: SearchState): number | null {
    if (!s.goodComplete || !asksForMeaning(s)) return null;
    if (s.goodShown === 0 && s.rest === "hidden") return null;
    // The rest came back empty: nothing is less likely, so there is no line to draw.
    if (s.rest === "shown" && s.restComplete && s.hits.length === s.goodShown) return null;
    return s.goodShown;
  }

  function renderDivider(s: SearchState): void {
    divider.dataset.state = s.rest;
    dividerMore.hidden = s.rest !== "hidden";
    dividerBusy.hidden = s.rest !== "loading";
    dividerNote.textContent =
      s.rest === "shown" && s.goodShown === 0 ? "Nothing matches well: these are the closest photos" : "Less likely";
  }

  function summary(kind: string, s: SearchState): string {
    if (kind !== "results") return "";
    if (!asksForMeaning(s)) {
      const count = s.goodCapped ? `${formatCount(s.good)}+` : formatCount(s.good);
      return `${count} ${s.good === 1 && !s.goodCapped ? "photo" : "photos"} for “${s.shownQuery}”`;
    }
    const good =
      s.good === 0
        ? "No good matches"
        : s.goodCapped
          ? `${formatCount(s.good)}+ good matches`
          : plural(s.good, "good match", "good matches");
    const closest = s.good === 0 && s.rest !== "hidden" ? " · showing the closest" : "";
    if (s.mode.kind === "similar") return `${good} similar to ${s.mode.name}${closest}`;
    const examples = s.shownExamples.length;
    const photos = examples === 1 ? "the example photo" : `${examples} example photos`;
    if (s.shownQuery === "") return `${good} like ${photos}${closest}`;
    const also = examples > 0 ? ` and ${photos}` : "";
    return `${good} for “${s.shownQuery}”${also}${closest}`;
  }

  // The timeline of the good matches: asked for once per result list.
  let timelineKey = "";
  let timelineSeq = 0;
  function renderTimeline(s: SearchState, kind: string): void {
    const show = kind === "results" && s.goodShown > 0 && asksForMeaning(s);
    const key = show ? JSON.stringify([s.generation, s.shownQuery, s.shownExamples, s.good]) : "";
    if (key === timelineKey) return;
    timelineKey = key;
    const seq = ++timelineSeq;
    if (!show) {
      timeline.render(null);
      return;
    }
    ipc.timeline(s.shownQuery, [...s.shownExamples]).then(
      (months) => {
        if (seq === timelineSeq) timeline.render(months, narrowedMonth(s));
      },
      () => {
        // The strip is an extra: without it the results still stand.
        if (seq === timelineSeq) timeline.render(null);
      },
    );
  }

  /** The month the shown query is narrowed to (`after:M before:<next>`), if it is one. */
  function narrowedMonth(s: SearchState): string | null {
    const f = s.understood?.filters;
    const a = f?.after;
    const b = f?.before;
    if (!a || !b || a.month === null || a.day !== null || b.month === null || b.day !== null) return null;
    const month = `${a.year}-${String(a.month).padStart(2, "0")}`;
    return nextMonth(month) === `${b.year}-${String(b.month).padStart(2, "0")}` ? month : null;
  }

  function renderProgressMini(lib: LibraryState): void {
    const busy = isIndexing(lib);
    progressMini.hidden = sidebarOpen || !busy;
    if (busy) {
      const p = lib.progress;
      const pct = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 0;
      progressMini.textContent = lib.indexingStopped !== null ? "Indexing stopped" : p.paused ? "Indexing paused" : `Indexing ${pct}%`;
      progressMini.title = `${formatCount(p.done)} of ${plural(p.total, "photo", "photos")} indexed`;
    }
  }

  // A switch that ends with another model answering is confirmed once (a cancel is not).
  let switchingFrom: string | null = null;
  let switchingTo = "";
  function renderSwitch(lib: LibraryState): void {
    const s = lib.modelSwitch;
    const readyId = lib.model?.state === "ready" ? lib.model.id : null;
    switchBar.render(s, lib.progress.paused);
    settings.setSwitch(s, lib.progress.paused);
    if (s !== null && s.phase !== "error") {
      if (switchingFrom === null) switchingFrom = readyId;
      switchingTo = s.title;
    } else if (s === null && switchingFrom !== null) {
      if (readyId !== null && readyId !== switchingFrom) toasts.info(`Now searching with ${switchingTo}.`);
      switchingFrom = null;
    } else {
      switchingFrom = null;
    }
  }

  cleanups.push(
    library.subscribe((lib) => {
      folders.render(lib);
      renderProgressMini(lib);
      renderSwitch(lib);
      stoppedBar.render(lib.indexingStopped, lib.retrying);
      render();
    }),
  );

  input.addEventListener("input", () => {
    queryBar.onInput();
    controller.setQuery(queryBar.searchText());
  });
  if (options.query) {
    input.value = options.query;
    queryBar.onProgrammaticChange();
    controller.setQuery(options.query);
  }
  input.addEventListener("keydown", (event) => {
    if (queryBar.onKeyDown(event)) {
      event.preventDefault();
      return;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      if (input.value !== "") clearSearch();
      else if (controller.state.mode.kind === "similar") controller.exitSimilar();
    } else if (event.key === "ArrowDown" && grid.hits.length > 0 && !grid.element.hidden) {
      event.preventDefault();
      grid.focus();
    } else if (event.key === "Enter" && grid.hits.length > 0 && !grid.element.hidden) {
      event.preventDefault();
      preview.show(Math.max(0, grid.selectedIndex));
    }
  });

  sizeSlider.addEventListener("input", () => {
    const px = clampTile(Number(sizeSlider.value));
    grid.setTileSize(px);
    store(TILE_KEY, String(px));
  });

  const onGlobalKey = (event: KeyboardEvent): void => {
    if (preview.isOpen || settings.isOpen || event.defaultPrevented) return;
    const mod = isPrimaryModifier(event);
    const key = event.key.toLowerCase();
    if (event.key === "Escape" && queryBar.helpOpen) {
      // Esc closes the help wherever the focus is (after a click it may be on the page).
      event.preventDefault();
      queryBar.dismissHelp();
    } else if ((mod && key === "f") || (!mod && event.key === "/" && !isTyping(event.target))) {
      event.preventDefault();
      input.focus();
      input.select();
    } else if (mod && key === "o") {
      event.preventDefault();
      void chooseAndAdd();
    } else if (mod && event.key === ",") {
      event.preventDefault();
      void settings.open();
    } else if (mod && key === "b") {
      event.preventDefault();
      setSidebar(!sidebarOpen);
    } else if (mod && key === "c" && event.target === grid.element) {
      const hit = grid.hits[grid.selectedIndex];
      if (hit) {
        event.preventDefault();
        void copyText(hit.path).then((ok) => {
          if (ok) toasts.info(`Copied the path of ${hit.name}.`);
          else toasts.error(new Error("The path could not be copied to the clipboard"));
        });
      }
    } else if (event.key === "Escape" && controller.state.mode.kind === "similar" && !isTyping(event.target)) {
      event.preventDefault();
      controller.exitSimilar();
    }
  };
  document.addEventListener("keydown", onGlobalKey);
  cleanups.push(() => document.removeEventListener("keydown", onGlobalKey));

  input.focus();

  const ready = (async () => {
    try {
      let ownDrag = false;
      const unlisten = await ipc.onDragDrop((event) => {
        if (event.type === "enter") ownDrag = isOwnDrag(event.paths);
        if (ownDrag) {
          const over = event.type !== "leave" && overSearchBox(event.position);
          searchbar.classList.toggle("is-drop-target", over && event.type !== "drop");
          if (event.type === "drop") {
            // A result dropped on the search box joins the query as an example.
            if (over && draggingOut) controller.addExample(exampleOf(draggingOut));
            draggingOut = null;
          }
          return;
        }
        if (event.type === "enter" || event.type === "over") dropOverlay.hidden = false;
        else dropOverlay.hidden = true;
        if (event.type === "drop" && event.paths.length > 0) void library.addFolders(event.paths);
      });
      cleanups.push(unlisten);
    } catch (error) {
      toasts.error(error);
    }
    await library.start();
  })();

  return {
    ready,
    destroy(): void {
      controller.dispose();
      queryBar.destroy();
      library.stop();
      grid.destroy();
      for (const cleanup of cleanups.splice(0)) cleanup();
      root.replaceChildren();
    },
  };
}

function exampleOf(hit: Hit): Example {
  return { photoId: hit.photoId, contentId: hit.contentId, name: hit.name };
}

function clampTile(px: number): number {
  return Math.min(TILE_MAX_PX, Math.max(TILE_MIN_PX, Math.round(px)));
}

/** The end-to-end tests' add-folder form: a path typed in, added on submit. */
function pathForm(add: (path: string) => void): HTMLFormElement {
  const input = h("input", {
    testid: "add-folder-path-input",
    attrs: { type: "text", "aria-label": "Folder path", autocomplete: "off", spellcheck: "false" },
  });
  const form = h(
    "form",
    { class: "e2e-form", testid: "add-folder-path" },
    input,
    h("button", { testid: "add-folder-path-submit", text: "Add path", attrs: { type: "submit" } }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const path = input.value.trim();
    input.value = "";
    if (path) add(path);
  });
  return form;
}
