// The quick-search window (`?view=quick`): a compact search box and a short list of its
// good matches only (a quick look has no room for "less likely"). ↑/↓ select, Enter opens
// the photo and hides the window, Esc hides it, and so does leaving the window (blur).
import { baseName, formatScore } from "../format";
import * as ipc from "../ipc";
import type { Hit } from "../ipc";
import { SearchController, type SearchState } from "../search";
import { h, icon } from "./dom";

/** Results shown in the quick window. */
export const QUICK_LIMIT = 8;

/** A mounted quick-search window. */
export interface QuickHandle {
  destroy(): void;
}

/** Builds the quick-search window inside `root`. */
export function mountQuick(root: HTMLElement): QuickHandle {
  const input = h("input", {
    class: "quick-input",
    testid: "quick-input",
    attrs: {
      type: "search",
      placeholder: "Find a photo…",
      "aria-label": "Quick search",
      autocomplete: "off",
      spellcheck: "false",
      "aria-controls": "quick-results",
    },
  });
  const spinner = h("span", { class: "spinner", attrs: { "aria-hidden": "true" }, hidden: true });
  const list = h("ul", {
    class: "quick-results",
    testid: "quick-results",
    attrs: { id: "quick-results", role: "listbox", "aria-label": "Results" },
  });
  const note = h("p", { class: "quick-note", attrs: { "aria-live": "polite" } });
  const app = h(
    "div",
    { class: "quick" },
    h("div", { class: "quick-bar" }, icon("search", "icon search-icon"), input, spinner),
    list,
    note,
  );
  root.replaceChildren(app);

  let hits: readonly Hit[] = [];
  let selected = -1;

  // Pages of good matches only: the controller asks for the less likely ones only when
  // told to, which this window never does.
  const controller = new SearchController({ query: ipc.query, prefetch: ipc.prefetchQuery }, (state) => render(state), {
    pageSize: QUICK_LIMIT,
    maxResults: QUICK_LIMIT,
    debounceMs: 70,
  });

  function render(state: SearchState): void {
    spinner.hidden = !state.pending;
    if (state.hits !== hits) {
      hits = state.hits;
      selected = hits.length > 0 ? 0 : -1;
      list.replaceChildren(...hits.map((hit, index) => item(hit, index)));
    }
    updateSelection();
    note.dataset.testid = state.error ? "error-banner" : "quick-note";
    note.classList.toggle("is-error", state.error !== null);
    if (state.error) note.textContent = state.error.message;
    else if (state.query.trim() === "") note.textContent = "Describe a photo, then press Enter to open it.";
    else if (hits.length === 0) {
      note.textContent = state.pending || state.understood === null ? "" : `No good matches for “${state.query.trim()}”.`;
    } else if (state.good > hits.length) {
      note.textContent = `${state.goodCapped ? "1,000+" : state.good} good matches · ↑ ↓ Enter to open · Esc to close`;
    } else note.textContent = "↑ ↓ to choose · Enter to open · Esc to close";
  }

  function item(hit: Hit, index: number): HTMLLIElement {
    const img = h("img", { class: "quick-thumb", attrs: { alt: "", loading: "lazy", decoding: "async", draggable: "false" } });
    img.src = ipc.thumbUrl(hit.contentId);
    img.addEventListener("error", () => img.classList.add("is-missing"));
    const li = h(
      "li",
      { class: "quick-item", testid: "quick-item", attrs: { role: "option", id: `quick-item-${index}`, title: hit.path } },
      img,
      h(
        "span",
        { class: "quick-text" },
        h("span", { class: "quick-name", text: hit.name }),
        h("span", { class: "quick-path", text: parentName(hit.path) }),
      ),
      h("span", { class: "quick-score", text: formatScore(hit.score) }),
    );
    li.dataset.path = hit.path;
    li.dataset.photoId = String(hit.photoId);
    li.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus in the input
    li.addEventListener("click", () => {
      selected = index;
      updateSelection();
    });
    li.addEventListener("dblclick", () => void openSelected());
    return li;
  }

  function updateSelection(): void {
    list.querySelectorAll<HTMLElement>(".quick-item").forEach((el, index) => {
      el.setAttribute("aria-selected", String(index === selected));
      if (index === selected) el.scrollIntoView?.({ block: "nearest" });
    });
    if (selected >= 0) input.setAttribute("aria-activedescendant", `quick-item-${selected}`);
    else input.removeAttribute("aria-activedescendant");
  }

  async function hide(): Promise<void> {
    try {
      await ipc.hideQuickSearch();
    } catch (error) {
      note.textContent = ipc.errorMessage(error);
    }
  }

  async function openSelected(): Promise<void> {
    const hit = hits[selected];
    if (!hit) return;
    try {
      await ipc.openPhoto(hit.photoId);
    } catch (error) {
      note.dataset.testid = "error-banner";
      note.classList.add("is-error");
      note.textContent = ipc.errorMessage(error);
      return;
    }
    await hide();
  }

  input.addEventListener("input", () => controller.setQuery(input.value));
  input.addEventListener("keydown", (event) => {
    switch (event.key) {
      case "ArrowDown":
      case "ArrowUp": {
        event.preventDefault();
        if (hits.length === 0) return;
        const delta = event.key === "ArrowDown" ? 1 : -1;
        selected = Math.min(hits.length - 1, Math.max(0, selected + delta));
        updateSelection();
        break;
      }
      case "Enter":
        event.preventDefault();
        void openSelected();
        break;
      case "Escape":
        event.preventDefault();
        void hide();
        break;
    }
  });

  // The window is hidden, not closed: each time it comes back, start typing at once.
  const onFocus = (): void => {
    input.focus();
    input.select();
  };
  window.addEventListener("focus", onFocus);
  // Like a menu: clicking into another app puts the quick window away.
  const onBlur = (): void => void hide();
  window.addEventListener("blur", onBlur);
  input.focus();
  render(controller.state);

  return {
    destroy(): void {
      controller.dispose();
      window.removeEventListener("focus", onFocus);
      window.removeEventListener("blur", onBlur);
      root.replaceChildren();
    },
  };
}

function parentName(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return cut > 0 ? baseName(path.slice(0, cut)) : "";
}
