// The main window: the toolbar with the search box, the folders panel, the content
// (results, empty states, banners), preview, settings, toasts and the drop overlay. Its
// state is one store (`../store`): the library and the search report into it, and each
// view draws from it; this module builds the views and wires them to the shell.
import { TILE_DEFAULT_PX, TILE_MAX_PX, TILE_MIN_PX } from "../grid";
import { baseName } from "../format";
import * as ipc from "../ipc";
import type { Hit } from "../ipc";
import { Library } from "../library";
import { withMonth } from "../querytext";
import { SearchController, type Example } from "../search";
import { loadPreference, savePreference, Store, updateView, type AppState } from "../store";
import { h, icon, isPrimaryModifier, isTyping } from "./dom";
import { FoldersPanel } from "./folders";
import { copyText, Preview } from "./preview";
import { ResultsView } from "./results";
import { SettingsPanel } from "./settings";
import { Toasts } from "./toasts";
import { Toolbar } from "./toolbar";

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

/** Builds the main window inside `root`. */
export function mountApp(root: HTMLElement, options: AppOptions = {}): AppHandle {
  const toasts = new Toasts();
  const cleanups: (() => void)[] = [];

  // ---- state: the library, the search, the window's own ------------------------------
  const library = new Library({
    onError: (error) => toasts.error(error),
    onIdle: () => controller.refresh(),
    onThumbnails: (ids) => {
      results.grid.thumbnailsReady(ids);
      preview.refreshImage();
    },
    onModelReady: () => controller.refresh(),
    onFolderAdded: (folder) => toasts.info(`Added “${baseName(folder.path)}”. Its photos are being indexed.`),
  });
  const controller = new SearchController({ query: ipc.query, prefetch: ipc.prefetchQuery }, (search) => store.update({ search }));
  const savedSidebar = loadPreference(SIDEBAR_KEY);
  const store = new Store<AppState>({
    library: library.state,
    search: controller.state,
    view: {
      sidebarOpen: savedSidebar !== null ? savedSidebar === "open" : window.innerWidth >= NARROW_PX,
      tileSize: clampTile(Number(loadPreference(TILE_KEY)) || TILE_DEFAULT_PX),
      draggingOut: null,
    },
  });

  // ---- views --------------------------------------------------------------------------
  const toolbar = new Toolbar(
    {
      setQuery: (text) => controller.setQuery(text),
      exitSimilar: () => controller.exitSimilar(),
      removeExample: (photoId) => controller.removeExample(photoId),
      clearSearch: () => controller.clear(),
      thumbUrl: (contentId) => ipc.thumbUrl(contentId, results.grid.thumbVersion(contentId)),
      setSidebar,
      setTileSize: (px) => {
        const size = clampTile(px);
        results.grid.setTileSize(size);
        savePreference(TILE_KEY, String(size));
        updateView(store, { tileSize: size });
      },
      addFolders: () => void chooseAndAdd(),
      openSettings: () => void settings.open(),
      focusResults: () => {
        const grid = results.grid;
        if (grid.hits.length === 0 || grid.element.hidden) return false;
        grid.focus();
        return true;
      },
      previewSelected: () => {
        const grid = results.grid;
        if (grid.hits.length === 0 || grid.element.hidden) return false;
        preview.show(Math.max(0, grid.selectedIndex));
        return true;
      },
    },
    store.state,
  );

  const results = new ResultsView(
    {
      grid: {
        onOpen: (index, how) => {
          if (how === "preview") preview.show(index);
          else void openExternally(results.grid.hits[index]);
        },
        onNearEnd: () => controller.loadMore(),
        onExitTop: () => toolbar.input.focus(),
        onTypeAhead: (key) => toolbar.typeAhead(key),
        onDragOut: (index) => void dragOut(results.grid.hits[index]),
      },
      empty: {
        addFolder: () => void chooseAndAdd(),
        downloadModel: () => void library.downloadModel(null),
        useModelFolder: () => void chooseModelFolder(),
        tryQuery: (text) => {
          toolbar.input.focus();
          toolbar.setText(text);
        },
        retry: () => void library.reload(),
        showClosest: () => controller.showLessLikely(),
      },
      showLessLikely: () => controller.showLessLikely(),
      chooseMonth: (month) => {
        toolbar.setText(withMonth(toolbar.input.value, month));
        toolbar.input.focus();
      },
      finishSwitch: () => void ipc.finishModelSwitch().catch((error: unknown) => toasts.error(error)),
      cancelSwitch: () => void ipc.cancelModelSwitch().catch((error: unknown) => toasts.error(error)),
      retryIndexing: () => void library.retryIndexing(),
      hitsChanged: () => preview.hitsChanged(),
    },
    store.state,
  );

  const folders = new FoldersPanel({
    addFolder: () => void chooseAndAdd(),
    // Results from a removed folder must not linger in the grid.
    removeFolder: (path) => library.removeFolder(path).then(() => controller.refresh()),
    setPaused: (paused) => void library.setPaused(paused),
  });

  const preview = new Preview({
    hits: () => results.grid.hits,
    select: (index) => results.grid.select(index),
    thumbUrl: (contentId) => ipc.thumbUrl(contentId, results.grid.thumbVersion(contentId)),
    findSimilar: (hit) => {
      controller.findSimilar(hit.photoId, hit.name);
      results.grid.element.focus();
    },
    addToQuery: (hit) => {
      controller.exitSimilar();
      controller.addExample(exampleOf(hit));
      toolbar.input.focus();
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

  const dropOverlay = h(
    "div",
    { class: "drop-overlay", testid: "drop-overlay", hidden: true, attrs: { "aria-hidden": "true" } },
    h("div", { class: "drop-card" }, icon("folderPlus"), h("p", { text: "Drop folders to add them to Glimpse" })),
  );

  // Test hook: WebDriver cannot synthesise a native drop or drive a native dialog, so the
  // end-to-end tests add folders by path through this form (see ui/README.md). It exists
  // only when the shell asks for it (`?e2e=1`, which debug builds add under GLIMPSE_E2E=1).
  const e2eForm = options.e2e ? pathForm((path) => void library.addFolders([path])) : null;

  const body = h("div", { class: "body" }, folders.element, results.element);
  const header = h("header", { class: "top" }, toolbar.element, toolbar.row);
  const app = h("div", { class: "app" }, header, body, toasts.element, dropOverlay, preview.element, settings.element);
  if (e2eForm) app.append(e2eForm);
  root.replaceChildren(app);

  // ---- drawing from the store ----------------------------------------------------------
  function setSidebar(open: boolean): void {
    savePreference(SIDEBAR_KEY, open ? "open" : "closed");
    updateView(store, { sidebarOpen: open });
  }

  function renderSidebar(state: AppState): void {
    folders.element.hidden = !state.view.sidebarOpen;
    app.dataset.sidebar = state.view.sidebarOpen ? "open" : "closed";
    toolbar.renderPanel(state);
  }

  let shownError: unknown = null;
  function renderSearch(state: AppState): void {
    results.render(state);
    toolbar.renderSearch(state.search);
    const error = state.search.error;
    if (error !== shownError) {
      shownError = error;
      // No model: the empty state explains it and offers the fix; a toast would repeat it.
      // A malformed query is explained under the box, where it was typed.
      if (error?.code === "no_model") void library.reload();
      else if (error && error.code !== "query") toasts.error(error);
    }
  }

  // A switch that ends with another model answering is confirmed once (a cancel is not).
  let switchingFrom: string | null = null;
  let switchingTo = "";
  function renderLibrary(state: AppState): void {
    const lib = state.library;
    folders.render(lib);
    results.renderLibrary(lib);
    const s = lib.modelSwitch;
    const readyId = lib.model?.state === "ready" ? lib.model.id : null;
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
    store.subscribe((state, previous) => {
      if (state.view.sidebarOpen !== previous.view.sidebarOpen) renderSidebar(state);
      if (state.library !== previous.library) {
        renderLibrary(state);
        toolbar.renderPanel(state);
      }
      if (state.library !== previous.library || state.search !== previous.search) renderSearch(state);
    }),
  );
  cleanups.push(library.subscribe((lib) => store.update({ library: lib })));
  // Everything once, as it starts.
  setSidebar(store.state.view.sidebarOpen);
  renderSidebar(store.state);
  renderLibrary(store.state);
  renderSearch(store.state);

  // ---- actions ------------------------------------------------------------------------
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
  async function dragOut(hit: Hit | undefined): Promise<void> {
    if (!hit) return;
    updateView(store, { draggingOut: hit });
    try {
      await ipc.startDrag(hit.photoId);
    } catch (error) {
      updateView(store, { draggingOut: null });
      toasts.error(error);
    }
  }
  const isOwnDrag = (paths: readonly string[] | undefined): boolean => {
    const out = store.state.view.draggingOut;
    return out !== null && paths !== undefined && paths.length === 1 && paths[0] === out.path;
  };

  // ---- keys ---------------------------------------------------------------------------
  const input = toolbar.input;
  if (options.query) toolbar.start(options.query);
  input.addEventListener("keydown", (event) => toolbar.onKeyDown(event, store.state.search));

  const onGlobalKey = (event: KeyboardEvent): void => {
    if (preview.isOpen || settings.isOpen || event.defaultPrevented) return;
    const mod = isPrimaryModifier(event);
    const key = event.key.toLowerCase();
    const grid = results.grid;
    if (event.key === "Escape" && toolbar.queryBar.helpOpen) {
      // Esc closes the help wherever the focus is (after a click it may be on the page).
      event.preventDefault();
      toolbar.queryBar.dismissHelp();
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
      setSidebar(!store.state.view.sidebarOpen);
    } else if (mod && key === "c" && event.target === grid.element) {
      const hit = grid.hits[grid.selectedIndex];
      if (hit) {
        event.preventDefault();
        void copyText(hit.path).then((ok) => {
          if (ok) toasts.info(`Copied the path of ${hit.name}.`);
          else toasts.error(new Error("The path could not be copied to the clipboard"));
        });
      }
    } else if (event.key === "Escape" && store.state.search.mode.kind === "similar" && !isTyping(event.target)) {
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
          const over = event.type !== "leave" && toolbar.contains(event.position);
          toolbar.searchbar.classList.toggle("is-drop-target", over && event.type !== "drop");
          if (event.type === "drop") {
            // A result dropped on the search box joins the query as an example.
            const out = store.state.view.draggingOut;
            if (over && out) controller.addExample(exampleOf(out));
            updateView(store, { draggingOut: null });
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
      toolbar.destroy();
      library.stop();
      results.destroy();
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
