// The folders panel: each folder with counts and a remove button (confirmed inline), live
// indexing progress with pause/resume, and the files that failed with their reasons.
import { baseName, formatCount, formatRate, plural, remainingText } from "../format";
import type { Failure, Folder } from "../ipc";
import { isIndexing, type LibraryState } from "../library";
import { button, h, icon, iconLabel, setChildren } from "./dom";

/** What the panel asks its owner to do. */
export interface FolderActions {
  /** Opens the native folder dialog. */
  addFolder(): void;
  removeFolder(path: string): Promise<void>;
  setPaused(paused: boolean): void;
}

interface Row {
  el: HTMLLIElement;
  name: HTMLElement;
  path: HTMLElement;
  counts: HTMLElement;
  bar: HTMLElement;
  fill: HTMLElement;
  remove: HTMLButtonElement;
  confirm: HTMLElement;
}

/** The side panel (`data-testid="folders-panel"`). */
export class FoldersPanel {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly emptyNote: HTMLElement;
  private readonly rows = new Map<string, Row>();
  private confirming: string | null = null;
  private last: LibraryState | null = null;

  private readonly progress: HTMLElement;
  private readonly progressTitle: HTMLElement;
  private readonly pauseButton: HTMLButtonElement;
  private readonly bar: HTMLElement;
  private readonly barFill: HTMLElement;
  private readonly progressText: HTMLElement;
  private readonly progressDetail: HTMLElement;
  private readonly progressCurrent: HTMLElement;

  private readonly failures: HTMLDetailsElement;
  private readonly failuresSummary: HTMLElement;
  private readonly failuresList: HTMLUListElement;
  private renderedFailures: readonly Failure[] | null = null;

  private readonly totals: HTMLElement;

  constructor(private readonly actions: FolderActions) {
    this.list = h("ul", { class: "folder-list", attrs: { "aria-label": "Watched folders" } });
    this.emptyNote = h("p", { class: "sidebar-note", text: "No folders yet. Add one to start." });

    this.pauseButton = button("", () => this.togglePause(), { variant: "quiet", testid: "pause-toggle", class: "pause-toggle" });
    this.progressTitle = h("h3", { class: "progress-title" });
    this.barFill = h("div", { class: "bar-fill" });
    this.bar = h("div", { class: "bar", attrs: { role: "progressbar", "aria-label": "Indexing progress", "aria-valuemin": 0 } }, this.barFill);
    this.progressText = h("p", { class: "progress-text" });
    this.progressDetail = h("p", { class: "progress-detail" });
    this.progressCurrent = h("p", { class: "progress-current" });
    this.progress = h(
      "section",
      { class: "progress", testid: "progress", attrs: { "aria-live": "off" } },
      h("div", { class: "progress-head" }, this.progressTitle, this.pauseButton),
      this.bar,
      this.progressText,
      this.progressDetail,
      this.progressCurrent,
    );

    this.failuresSummary = h("summary", { class: "failures-summary" });
    this.failuresList = h("ul", { class: "failures-list" });
    this.failures = h("details", { class: "failures", testid: "failures" }, this.failuresSummary, this.failuresList);
    this.failures.addEventListener("toggle", () => this.renderFailures(true));

    this.totals = h("p", { class: "sidebar-totals" });

    this.element = h(
      "aside",
      { class: "sidebar", testid: "folders-panel", attrs: { "aria-labelledby": "folders-heading" } },
      h(
        "div",
        { class: "sidebar-head" },
        h("h2", { class: "sidebar-title", text: "Folders", attrs: { id: "folders-heading" } }),
        button(icon("folderPlus"), () => this.actions.addFolder(), {
          variant: "icon",
          title: "Add folder…",
          attrs: { "aria-label": "Add folder" },
        }),
      ),
      this.list,
      this.emptyNote,
      this.progress,
      this.failures,
      this.totals,
    );
  }

  /** Draws the state; rows are updated in place so focus and confirmations survive. */
  render(state: LibraryState): void {
    this.last = state;
    this.renderFolders(state.folders);
    this.renderProgress(state);
    this.renderFailures(false);
    const total = state.photos;
    this.totals.textContent = state.loaded
      ? total === 0
        ? ""
        : `${plural(total, "photo", "photos")} · ${formatCount(state.indexed)} searchable`
      : "";
  }

  private renderFolders(folders: readonly Folder[]): void {
    const seen = new Set<string>();
    folders.forEach((folder, position) => {
      seen.add(folder.path);
      let row = this.rows.get(folder.path);
      if (!row) {
        row = this.createRow(folder.path);
        this.rows.set(folder.path, row);
      }
      this.updateRow(row, folder);
      if (this.list.children[position] !== row.el) this.list.insertBefore(row.el, this.list.children[position] ?? null);
    });
    for (const [path, row] of this.rows) {
      if (!seen.has(path)) {
        row.el.remove();
        this.rows.delete(path);
        if (this.confirming === path) this.confirming = null;
      }
    }
    this.emptyNote.hidden = folders.length > 0 || !(this.last?.loaded ?? false);
  }

  private createRow(path: string): Row {
    const name = h("span", { class: "folder-name", text: baseName(path) });
    const pathEl = h("span", { class: "folder-path", text: path });
    const counts = h("span", { class: "folder-counts" });
    const fill = h("div", { class: "bar-fill" });
    const bar = h("div", { class: "bar bar-thin", attrs: { "aria-hidden": "true" } }, fill);
    const remove = button(icon("trash"), () => this.askRemove(path), {
      variant: "icon",
      class: "folder-remove",
      testid: "folder-remove",
      title: "Remove from Glimpse",
      attrs: { "aria-label": `Remove ${baseName(path)}` },
    });
    const confirm = h("div", { class: "folder-confirm", attrs: { role: "group", "aria-label": "Confirm removal" }, hidden: true });
    confirm.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        this.cancelRemove(path);
      }
    });
    const el = h(
      "li",
      { class: "folder-row", testid: "folder-row", attrs: { title: path } },
      icon("folder", "icon folder-icon"),
      h("div", { class: "folder-text" }, name, pathEl, counts, bar),
      remove,
      confirm,
    );
    el.dataset.path = path;
    return { el, name, path: pathEl, counts, bar, fill, remove, confirm };
  }

  private updateRow(row: Row, folder: Folder): void {
    const el = row.el;
    el.dataset.photos = String(folder.photos);
    el.dataset.indexed = String(folder.indexed);
    el.dataset.pending = String(folder.pending);
    el.dataset.failed = String(folder.failed);
    const parts = [plural(folder.photos, "photo", "photos")];
    if (folder.pending > 0) parts.push(`${formatCount(folder.pending)} to index`);
    if (folder.failed > 0) parts.push(`${formatCount(folder.failed)} failed`);
    row.counts.textContent = parts.join(" · ");
    const busy = folder.pending > 0 && folder.photos > 0;
    row.bar.hidden = !busy;
    if (busy) row.fill.style.width = `${percent(folder.indexed + folder.failed, folder.photos)}%`;

    const confirming = this.confirming === folder.path;
    if (confirming && row.confirm.hidden) this.showConfirm(row, folder.path);
    if (!confirming && !row.confirm.hidden) row.confirm.hidden = true;
    row.remove.hidden = confirming;
  }

  private askRemove(path: string): void {
    this.confirming = path;
    const row = this.rows.get(path);
    if (!row) return;
    row.remove.hidden = true;
    this.showConfirm(row, path);
    row.confirm.querySelector<HTMLButtonElement>("[data-testid=folder-remove-cancel]")?.focus();
  }

  private cancelRemove(path: string): void {
    this.confirming = null;
    const row = this.rows.get(path);
    if (!row) return;
    row.confirm.hidden = true;
    row.remove.hidden = false;
    row.remove.focus();
  }

  private showConfirm(row: Row, path: string): void {
    const confirm = button(
      "Remove",
      () => {
        this.confirming = null;
        row.confirm.hidden = true;
        row.remove.hidden = false;
        void this.actions.removeFolder(path);
      },
      { variant: "danger", testid: "folder-remove-confirm" },
    );
    setChildren(
      row.confirm,
      h("p", { class: "folder-confirm-text", text: `Remove “${baseName(path)}” from Glimpse? The photos stay on your disk.` }),
      h(
        "div",
        { class: "folder-confirm-actions" },
        button("Cancel", () => this.cancelRemove(path), { variant: "quiet", testid: "folder-remove-cancel" }),
        confirm,
      ),
    );
    row.confirm.hidden = false;
  }

  private renderProgress(state: LibraryState): void {
    const p = state.progress;
    const stopped = state.indexingStopped !== null;
    // A stopped pipeline has work left that nothing is doing: not "indexing", not "up to date".
    const busy = isIndexing(state) && !stopped;
    const el = this.progress;
    el.dataset.done = String(p.done);
    el.dataset.total = String(p.total);
    el.dataset.paused = String(p.paused);
    el.dataset.state = stopped ? "stopped" : p.paused && busy ? "paused" : busy ? "indexing" : "idle";
    el.hidden = !state.loaded || (state.folders.length === 0 && p.total === 0);

    this.progressTitle.textContent = stopped ? "Indexing stopped" : busy ? (p.paused ? "Indexing paused" : "Indexing") : "Up to date";
    this.pauseButton.hidden = !busy && !p.paused;
    this.pauseButton.replaceChildren(p.paused ? iconLabel("play", "Resume") : iconLabel("pause", "Pause"));
    this.pauseButton.setAttribute("aria-label", p.paused ? "Resume indexing" : "Pause indexing");

    this.bar.hidden = !busy;
    this.bar.setAttribute("aria-valuemax", String(p.total));
    this.bar.setAttribute("aria-valuenow", String(p.done));
    this.barFill.style.width = `${percent(p.done, p.total)}%`;

    if (busy) {
      this.progressText.textContent = `${formatCount(p.done)} of ${plural(p.total, "photo", "photos")}`;
      const detail = p.paused ? [] : [formatRate(p.rate), remainingText(p.done, p.total, p.rate)];
      this.progressDetail.textContent = detail.filter(Boolean).join(" · ");
      this.progressCurrent.textContent = p.current && !p.paused ? baseName(p.current) : "";
      this.progressCurrent.title = p.current ?? "";
    } else if (stopped) {
      this.progressText.textContent = `${plural(state.indexed, "photo", "photos")} ready to search, ${formatCount(state.pending)} waiting`;
      this.progressDetail.textContent = "See the message above the results.";
      this.progressCurrent.textContent = "";
    } else {
      this.progressText.textContent =
        state.indexed > 0 ? `${plural(state.indexed, "photo", "photos")} ready to search` : "Nothing to index yet";
      this.progressDetail.textContent = "";
      this.progressCurrent.textContent = "";
    }
    this.progressDetail.hidden = this.progressDetail.textContent === "";
    this.progressCurrent.hidden = this.progressCurrent.textContent === "";
  }

  private renderFailures(force: boolean): void {
    const failures = this.last?.failures ?? [];
    const failed = Math.max(failures.length, this.last?.failed ?? 0);
    this.failures.hidden = failed === 0;
    this.failuresSummary.textContent =
      failed === 1 ? "1 file could not be indexed" : `${formatCount(failed)} files could not be indexed`;
    // Building up to 1000 rows only matters when someone looks at them.
    if (!this.failures.open) return;
    if (!force && this.renderedFailures === failures) return;
    this.renderedFailures = failures;
    setChildren(
      this.failuresList,
      ...failures.map((f) =>
        h(
          "li",
          { class: "failure", testid: "failure", attrs: { title: f.path } },
          h("span", { class: "failure-name", text: baseName(f.path) }),
          h("span", { class: "failure-reason", text: f.reason }),
        ),
      ),
    );
  }

  private togglePause(): void {
    const paused = this.last?.progress.paused ?? false;
    this.actions.setPaused(!paused);
  }
}

function percent(part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Math.min(100, Math.max(0, (part / whole) * 100));
}
