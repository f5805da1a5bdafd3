// The main window's content: the status line and the timeline, the banners (indexing
// stopped, a model switch), the results grid with its line between the good matches and
// the less likely ones, and the empty states.
import { VirtualGrid, type GridOptions } from "../grid";
import { formatCount, plural } from "../format";
import * as ipc from "../ipc";
import type { Hit } from "../ipc";
import type { LibraryState } from "../library";
import { nextMonth } from "../querytext";
import { asksForMeaning, type SearchState } from "../search";
import type { AppState } from "../store";
import { button, h } from "./dom";
import { contentKind, EmptyState, type EmptyActions } from "./empty";
import { StoppedBar } from "./stoppedbar";
import { SwitchBar } from "./switchbar";
import { Timeline } from "./timeline";

/** What the content asks of the window. */
export interface ResultsActions {
  /** Grid callbacks: open, load more, leave the top, type ahead, drag out. */
  grid: Pick<GridOptions, "onOpen" | "onNearEnd" | "onExitTop" | "onTypeAhead" | "onDragOut">;
  /** The empty states' buttons. */
  empty: EmptyActions;
  /** "Show less likely matches". */
  showLessLikely(): void;
  /** A month of the timeline was chosen. */
  chooseMonth(month: string): void;
  /** The switch bar's buttons. */
  finishSwitch(): void;
  cancelSwitch(): void;
  /** The stopped banner's Retry. */
  retryIndexing(): void;
  /** The grid shows other hits (the preview follows them). */
  hitsChanged(): void;
}

/** The content area, drawn from the store. */
export class ResultsView {
  /** The `main` element. */
  readonly element: HTMLElement;
  readonly grid: VirtualGrid;
  private readonly empty: EmptyState;
  private readonly stoppedBar: StoppedBar;
  private readonly switchBar: SwitchBar;
  private readonly statusLine: HTMLElement;
  private readonly timeline: Timeline;
  private readonly busyBar: HTMLElement;
  private readonly divider: HTMLElement;
  private readonly dividerNote: HTMLElement;
  private readonly dividerMore: HTMLButtonElement;
  private readonly dividerBusy: HTMLElement;
  // What the grid shows, so it is given new items only when they change.
  private shownGeneration = -1;
  private shownHits: readonly Hit[] | null = null;
  private shownSplit: number | null = null;
  // The timeline of the good matches is asked for once per result list.
  private timelineKey = "";
  private timelineSeq = 0;

  constructor(
    private readonly actions: ResultsActions,
    initial: AppState,
  ) {
    // The line between the good matches and the less likely ones, placed by the grid.
    this.dividerNote = h("span", { class: "divider-label", text: "Less likely" });
    this.dividerMore = button("Show less likely matches", () => actions.showLessLikely(), {
      variant: "quiet",
      class: "divider-more",
      testid: "show-less-likely",
    });
    this.dividerBusy = h("span", { class: "spinner", attrs: { "aria-hidden": "true" }, hidden: true });
    this.divider = h(
      "div",
      { class: "divider", testid: "divider", attrs: { role: "separator", "aria-label": "Less likely matches follow" } },
      h("span", { class: "divider-line" }),
      this.dividerNote,
      this.dividerBusy,
      this.dividerMore,
      h("span", { class: "divider-line" }),
    );
    this.grid = new VirtualGrid({
      divider: this.divider,
      label: "Results",
      tileSize: initial.view.tileSize,
      thumbUrl: (contentId, version) => ipc.thumbUrl(contentId, version),
      ...actions.grid,
    });
    this.empty = new EmptyState(actions.empty);
    this.switchBar = new SwitchBar({ finish: () => actions.finishSwitch(), cancel: () => actions.cancelSwitch() }, "model-switch");
    this.stoppedBar = new StoppedBar(() => actions.retryIndexing());
    this.statusLine = h("p", { class: "statusline", testid: "result-count", attrs: { "aria-live": "polite" } });
    this.timeline = new Timeline((month) => actions.chooseMonth(month));
    this.busyBar = h("div", { class: "busy-bar", attrs: { "aria-hidden": "true" }, hidden: true });
    const results = h("div", { class: "results" }, this.grid.element, this.empty.element);
    this.element = h(
      "main",
      { class: "content", attrs: { "aria-label": "Photos" } },
      h("div", { class: "content-head" }, this.statusLine, this.timeline.element),
      this.stoppedBar.element,
      this.switchBar.element,
      this.busyBar,
      results,
    );
  }

  /** The banners that follow the library. */
  renderLibrary(lib: LibraryState): void {
    this.switchBar.render(lib.modelSwitch, lib.progress.paused);
    this.stoppedBar.render(lib.indexingStopped, lib.retrying);
  }

  /** Results, divider, empty state, timeline and the status line. */
  render(state: AppState): void {
    const s = state.search;
    const lib = state.library;
    const kind = contentKind(lib, s);

    const split = dividerAt(s);
    if (s.hits !== this.shownHits || s.generation !== this.shownGeneration || split !== this.shownSplit) {
      const reset = s.generation !== this.shownGeneration;
      this.shownHits = s.hits;
      this.shownGeneration = s.generation;
      this.shownSplit = split;
      this.grid.setItems(s.hits, reset, split);
      this.actions.hitsChanged();
    }
    this.renderDivider(s);
    this.grid.element.hidden = kind !== "results";
    this.empty.render(kind, lib, s);
    this.renderTimeline(s, kind);

    this.busyBar.hidden = !s.pending || kind !== "results";
    this.statusLine.textContent = summary(kind, s);
    this.statusLine.dataset.count = String(s.hits.length);
    this.statusLine.dataset.good = String(s.good);
    this.element.dataset.state = kind;
  }

  private renderDivider(s: SearchState): void {
    this.divider.dataset.state = s.rest;
    this.dividerMore.hidden = s.rest !== "hidden";
    this.dividerBusy.hidden = s.rest !== "loading";
    this.dividerNote.textContent =
      s.rest === "shown" && s.goodShown === 0 ? "Nothing matches well: these are the closest photos" : "Less likely";
  }

  private renderTimeline(s: SearchState, kind: string): void {
    const show = kind === "results" && s.goodShown > 0 && asksForMeaning(s);
    const key = show ? JSON.stringify([s.generation, s.shownQuery, s.shownExamples, s.good]) : "";
    if (key === this.timelineKey) return;
    this.timelineKey = key;
    const seq = ++this.timelineSeq;
    if (!show) {
      this.timeline.render(null);
      return;
    }
    ipc.timeline(s.shownQuery, [...s.shownExamples]).then(
      (months) => {
        if (seq === this.timelineSeq) this.timeline.render(months, narrowedMonth(s));
      },
      () => {
        // The strip is an extra: without it the results still stand.
        if (seq === this.timelineSeq) this.timeline.render(null);
      },
    );
  }

  destroy(): void {
    this.grid.destroy();
  }
}

/** Where the divider goes: after the good matches, once they are all shown, for queries with meaning. */
function dividerAt(s: SearchState): number | null {
  if (!s.goodComplete || !asksForMeaning(s)) return null;
  if (s.goodShown === 0 && s.rest === "hidden") return null;
  // The rest came back empty: nothing is less likely, so there is no line to draw.
  if (s.rest === "shown" && s.restComplete && s.hits.length === s.goodShown) return null;
  return s.goodShown;
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

/** The month the shown query is narrowed to (`after:M before:<next>`), if it is one. */
function narrowedMonth(s: SearchState): string | null {
  const f = s.understood?.filters;
  const a = f?.after;
  const b = f?.before;
  if (!a || !b || a.month === null || a.day !== null || b.month === null || b.day !== null) return null;
  const month = `${a.year}-${String(a.month).padStart(2, "0")}`;
  return nextMonth(month) === `${b.year}-${String(b.month).padStart(2, "0")}` ? month : null;
}
