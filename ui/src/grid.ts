// The virtual thumbnail grid: pure layout math (tested on its own) and a DOM class that
// keeps only the visible rows (plus a small overscan) in the document, recycling tiles.
import type { Hit } from "./ipc/types";

/** Space between tiles, CSS px. */
export const GAP_PX = 6;
/** Space around the tiles, CSS px. */
export const PADDING_PX = 12;
/** Rows rendered above and below the viewport so fast scrolling shows no holes. */
export const OVERSCAN_ROWS = 2;
/** Rows from the end at which the grid asks for more results. */
export const NEAR_END_ROWS = 6;
/** Tile size bounds and default for the size slider, CSS px. */
export const TILE_MIN_PX = 96;
export const TILE_MAX_PX = 320;
export const TILE_DEFAULT_PX = 168;
/** Height of the band between the good matches and the less likely ones, CSS px. */
export const DIVIDER_PX = 52;
/** Detached tiles kept for reuse. */
const POOL_MAX = 256;
/**
 * Tallest canvas the grid creates, CSS px. Browsers cap element heights (about 33.5
 * million px in WebKit and Chromium); 100,000 results as one column of large tiles would
 * pass that, so beyond this height scroll positions are scaled onto the canvas.
 */
export const MAX_CANVAS_PX = 10_000_000;

/** Where every tile goes, for a width, a tile size and a count. */
export interface GridLayout {
  readonly count: number;
  readonly columns: number;
  /** Edge of a (square) tile, CSS px: the requested size stretched to fill the width. */
  readonly cell: number;
  readonly gap: number;
  readonly padding: number;
  /** `cell + gap`. */
  readonly rowHeight: number;
  readonly rows: number;
  /** Height of the scrollable canvas. */
  readonly totalHeight: number;
  /**
   * Index of the first tile after the divider (the good matches end there and the less
   * likely ones start on a new row), or `null` without a divider.
   */
  readonly split: number | null;
  /** Rows before the divider (all rows without one). */
  readonly rowsBefore: number;
  /** Height of the divider band, CSS px (0 without one). */
  readonly divider: number;
}

/** Rows and indices to render; `endRow` and `end` are exclusive. */
export interface VisibleRange {
  readonly firstRow: number;
  readonly endRow: number;
  readonly start: number;
  readonly end: number;
}

/**
 * Columns fit `tileSize` into the width; tiles then grow a little so the rows are flush.
 * With `split`, tiles from that index on start a new row below a divider band of
 * `dividerPx` (the band sits after the last row of the first part, even when nothing
 * follows it yet).
 */
export function computeLayout(
  width: number,
  tileSize: number,
  count: number,
  gap = GAP_PX,
  padding = PADDING_PX,
  split: number | null = null,
  dividerPx = DIVIDER_PX,
): GridLayout {
  const avail = Math.max(0, width - 2 * padding);
  const size = Math.max(1, tileSize);
  const columns = Math.max(1, Math.floor((avail + gap) / (size + gap)));
  const cell = avail > 0 ? Math.max(1, Math.floor((avail - gap * (columns - 1)) / columns)) : size;
  const rowHeight = cell + gap;
  const n = Math.max(0, count);
  if (split === null) {
    const rows = Math.ceil(n / columns);
    const totalHeight = rows === 0 ? 0 : 2 * padding + rows * rowHeight - gap;
    return { count: n, columns, cell, gap, padding, rowHeight, rows, totalHeight, split: null, rowsBefore: rows, divider: 0 };
  }
  const at = Math.min(Math.max(0, split), n);
  const rowsBefore = Math.ceil(at / columns);
  const rowsAfter = Math.ceil((n - at) / columns);
  const rows = rowsBefore + rowsAfter;
  const totalHeight = 2 * padding + rows * rowHeight + dividerPx - (rowsAfter > 0 ? gap : 0);
  return { count: n, columns, cell, gap, padding, rowHeight, rows, totalHeight, split: at, rowsBefore, divider: dividerPx };
}

/** The row a tile is in. */
export function rowOf(layout: GridLayout, index: number): number {
  const { split, columns, rowsBefore } = layout;
  if (split === null || index < split) return Math.floor(index / columns);
  return rowsBefore + Math.floor((index - split) / columns);
}

/** The index of the first tile of a row. */
export function rowStart(layout: GridLayout, row: number): number {
  const { split, columns, rowsBefore } = layout;
  if (split === null || row < rowsBefore) return row * columns;
  return split + (row - rowsBefore) * columns;
}

/** How many tiles a row holds (the last row of each part may be short). */
function rowLength(layout: GridLayout, row: number): number {
  const end = layout.split !== null && row < layout.rowsBefore ? layout.split : layout.count;
  return Math.max(0, Math.min(layout.columns, end - rowStart(layout, row)));
}

/** Top of a row inside the canvas. */
export function rowTop(layout: GridLayout, row: number): number {
  const below = layout.split !== null && row >= layout.rowsBefore ? layout.divider : 0;
  return layout.padding + row * layout.rowHeight + below;
}

/** Top of the divider band inside the canvas (`null` without one). */
export function dividerTop(layout: GridLayout): number | null {
  return layout.split === null ? null : layout.padding + layout.rowsBefore * layout.rowHeight;
}

/** The row at layout offset `y` (the divider band counts as the row after it). */
function rowAt(layout: GridLayout, y: number): number {
  const inside = Math.max(0, y - layout.padding);
  const before = layout.rowsBefore * layout.rowHeight;
  let row: number;
  if (layout.split === null || inside < before) row = Math.floor(inside / layout.rowHeight);
  else if (inside < before + layout.divider) row = layout.rowsBefore;
  else row = layout.rowsBefore + Math.floor((inside - before - layout.divider) / layout.rowHeight);
  return Math.min(layout.rows - 1, row);
}

/** The rows that intersect the viewport at `scrollTop`, widened by `overscan` rows. */
export function visibleRange(
  layout: GridLayout,
  scrollTop: number,
  viewportHeight: number,
  overscan = OVERSCAN_ROWS,
): VisibleRange {
  if (layout.rows === 0 || viewportHeight <= 0) return { firstRow: 0, endRow: 0, start: 0, end: 0 };
  const firstVisible = rowAt(layout, Math.max(0, scrollTop));
  const lastVisible = rowAt(layout, Math.max(0, scrollTop + viewportHeight - 1));
  const firstRow = Math.max(0, firstVisible - overscan);
  const endRow = Math.min(layout.rows, lastVisible + 1 + overscan);
  return {
    firstRow,
    endRow,
    start: rowStart(layout, firstRow),
    end: endRow >= layout.rows ? layout.count : Math.min(layout.count, rowStart(layout, endRow)),
  };
}

/** Top-left corner of a tile inside the canvas. */
export function tileOffset(layout: GridLayout, index: number): { x: number; y: number } {
  const row = rowOf(layout, index);
  const col = index - rowStart(layout, row);
  return { x: layout.padding + col * (layout.cell + layout.gap), y: rowTop(layout, row) };
}

/** Height of the scrollable canvas for a layout's full height. */
export function canvasHeight(totalHeight: number): number {
  return Math.min(totalHeight, MAX_CANVAS_PX);
}

/** The layout offset shown at a real scroll position (identity unless the canvas is capped). */
export function toLayoutTop(scrollTop: number, totalHeight: number, viewportHeight: number): number {
  const canvas = canvasHeight(totalHeight);
  if (canvas === totalHeight) return scrollTop;
  const realMax = canvas - viewportHeight;
  return realMax <= 0 ? 0 : (scrollTop * (totalHeight - viewportHeight)) / realMax;
}

/** The real scroll position that shows a layout offset (inverse of `toLayoutTop`). */
export function toScrollTop(layoutTop: number, totalHeight: number, viewportHeight: number): number {
  const canvas = canvasHeight(totalHeight);
  if (canvas === totalHeight) return layoutTop;
  const layoutMax = totalHeight - viewportHeight;
  return layoutMax <= 0 ? 0 : (layoutTop * (canvas - viewportHeight)) / layoutMax;
}

/** Keys the grid navigates with. */
export type NavKey = "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" | "Home" | "End" | "PageUp" | "PageDown";

const NAV_KEYS: ReadonlySet<string> = new Set<NavKey>([
  "ArrowLeft",
  "ArrowRight",
  "ArrowUp",
  "ArrowDown",
  "Home",
  "End",
  "PageUp",
  "PageDown",
]);

/** Whether a key moves the selection. */
export function isNavKey(key: string): key is NavKey {
  return NAV_KEYS.has(key);
}

/**
 * The selection after a key: arrows move by one tile or one row (down into a shorter last
 * row lands on the last tile), pages by `pageRows` rows, Home/End to the ends. With no
 * selection (`index < 0`) any key selects the first tile. `-1` when there is nothing.
 */
export function moveIndex(layout: GridLayout, index: number, key: NavKey, pageRows = 1): number {
  const { count } = layout;
  if (count === 0) return -1;
  if (index < 0 || index >= count) return key === "End" ? count - 1 : 0;
  const lastRow = rowOf(layout, count - 1);
  const row = rowOf(layout, index);
  const col = index - rowStart(layout, row);
  // The same column in another row, or that row's last tile when it is shorter.
  const inRow = (r: number): number => rowStart(layout, r) + Math.min(col, rowLength(layout, r) - 1);
  const page = Math.max(1, pageRows);
  switch (key) {
    case "ArrowLeft":
      return Math.max(0, index - 1);
    case "ArrowRight":
      return Math.min(count - 1, index + 1);
    case "ArrowUp":
      return row > 0 ? inRow(row - 1) : index;
    case "ArrowDown":
      return row < lastRow ? inRow(row + 1) : index;
    case "Home":
      return 0;
    case "End":
      return count - 1;
    case "PageUp":
      return inRow(Math.max(0, row - page));
    case "PageDown":
      return row + page > lastRow ? count - 1 : inRow(row + page);
  }
}

/** The scroll offset that shows tile `index` entirely, moving as little as possible. */
export function revealScrollTop(layout: GridLayout, index: number, scrollTop: number, viewportHeight: number): number {
  const { y } = tileOffset(layout, index);
  const top = y - layout.padding;
  const bottom = y + layout.cell + layout.padding;
  if (top < scrollTop) return Math.max(0, top);
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return scrollTop;
}

/** How the user asked to open a tile. */
export type OpenHow = "preview" | "external";

/** What the grid needs from its owner. */
export interface GridOptions {
  /** Accessible name of the list. */
  label: string;
  tileSize: number;
  thumbUrl: (contentId: number, version: number) => string;
  /** Enter, Space or double-click (preview); Ctrl/Cmd+Enter (external). */
  onOpen: (index: number, how: OpenHow) => void;
  onSelect?: (index: number) => void;
  /** Scrolled near the end: more results may be wanted. */
  onNearEnd?: () => void;
  /** ArrowUp on the first row: give focus back to the search box. */
  onExitTop?: () => void;
  /** A printable key typed in the grid: it belongs in the search box. */
  onTypeAhead?: (key: string) => void;
  /**
   * A tile is being dragged: the owner starts a native drag of the photo as a file (the
   * web page's own drag is cancelled, since other apps cannot take a web drag as a file).
   */
  onDragOut?: (index: number) => void;
  /**
   * Shown between the tiles before and after the split (`setItems`): the line between
   * the good matches and the less likely ones. The grid places it; its owner fills it.
   */
  divider?: HTMLElement;
}

interface Tile {
  el: HTMLElement;
  img: HTMLImageElement;
  name: HTMLElement;
  score: HTMLElement;
  dups: HTMLElement;
  hit: Hit | null;
  src: string;
  place: string;
}

const scoreFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A virtualised, keyboard-driven grid of thumbnails. */
export class VirtualGrid {
  /** The scrolling element (`data-testid="grid"`). */
  readonly element: HTMLElement;
  private readonly canvas: HTMLElement;
  private readonly options: GridOptions;
  private items: readonly Hit[] = [];
  private split: number | null = null;
  private readonly tiles = new Map<number, Tile>();
  private readonly pool: Tile[] = [];
  private readonly versions = new Map<number, number>();
  private tileSize: number;
  private width = 0;
  private height = 0;
  /** Top of the viewport in layout coordinates. */
  private top = 0;
  /** The scroll position last written, to tell our own scroll events from the user's. */
  private written = -1;
  private layout: GridLayout;
  private selected = -1;
  private frame = 0;
  private readonly resizeObserver: ResizeObserver | null = null;
  private readonly idPrefix: string;
  private static instances = 0;

  constructor(options: GridOptions) {
    this.options = options;
    this.tileSize = options.tileSize;
    this.idPrefix = `glimpse-tile-${++VirtualGrid.instances}-`;
    this.element = document.createElement("div");
    this.element.className = "grid";
    this.element.dataset.testid = "grid";
    this.element.tabIndex = 0;
    this.element.setAttribute("role", "listbox");
    this.element.setAttribute("aria-label", options.label);
    this.canvas = document.createElement("div");
    this.canvas.className = "grid-canvas";
    this.element.append(this.canvas);
    if (options.divider) {
      options.divider.hidden = true;
      this.canvas.append(options.divider);
    }
    this.layout = computeLayout(0, this.tileSize, 0);

    this.element.addEventListener("scroll", this.onScroll, { passive: true });
    this.element.addEventListener("keydown", this.onKeyDown);
    this.element.addEventListener("click", this.onClick);
    this.element.addEventListener("dblclick", this.onDoubleClick);
    this.element.addEventListener("dragstart", this.onDragStart);
    if (typeof ResizeObserver !== "undefined") {
      this.resizeObserver = new ResizeObserver((entries) => {
        const box = entries[entries.length - 1]?.contentRect;
        if (box) this.setViewport(box.width, box.height);
      });
      this.resizeObserver.observe(this.element);
    }
  }

  /** Results shown. */
  get hits(): readonly Hit[] {
    return this.items;
  }

  /** Selected index, or -1. */
  get selectedIndex(): number {
    return this.selected;
  }

  /** Current layout (for tests and paging). */
  get currentLayout(): GridLayout {
    return this.layout;
  }

  /**
   * Replaces the results. `reset` (a new query) scrolls to the top and clears the
   * selection; otherwise (more results, a refresh) the selected photo stays selected.
   * `split`: the index before which the divider sits (`null`: no divider).
   */
  setItems(items: readonly Hit[], reset: boolean, split: number | null = null): void {
    const selectedId = this.selected >= 0 ? this.items[this.selected]?.photoId : undefined;
    this.items = items;
    this.split = split === null ? null : Math.min(split, items.length);
    this.relayout();
    if (reset) {
      this.selected = -1;
      this.setScrollTop(0);
    } else if (selectedId !== undefined) {
      const same = items[this.selected]?.photoId === selectedId;
      this.selected = same ? this.selected : items.findIndex((h) => h.photoId === selectedId);
    } else if (this.selected >= items.length) {
      this.selected = -1;
    }
    this.render();
  }

  /** Changes the tile size, keeping the selected (or first visible) tile in view. */
  setTileSize(px: number): void {
    if (px === this.tileSize) return;
    const anchor = this.selected >= 0 ? this.selected : visibleRange(this.layout, this.top, this.height, 0).start;
    this.tileSize = px;
    this.relayout();
    if (this.items.length > 0) {
      // Put the anchor's row at the top, as it was before the resize.
      const { y } = tileOffset(this.layout, Math.min(anchor, this.items.length - 1));
      this.setScrollTop(y - this.layout.padding);
    }
    this.render();
  }

  /** The viewport's size (from the ResizeObserver; tests set it directly). */
  setViewport(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    this.width = width;
    this.height = height;
    this.relayout();
    if (this.selected >= 0) this.setScrollTop(revealScrollTop(this.layout, this.selected, this.top, height));
    this.render();
  }

  /** Selects a tile and scrolls it into view. */
  select(index: number, notify = true): void {
    const next = index >= 0 && index < this.items.length ? index : -1;
    const prev = this.selected;
    this.selected = next;
    if (prev !== next) this.tiles.get(prev)?.el.setAttribute("aria-selected", "false");
    if (next >= 0) {
      this.setScrollTop(revealScrollTop(this.layout, next, this.top, this.height));
      this.render();
      this.tiles.get(next)?.el.setAttribute("aria-selected", "true");
      this.element.setAttribute("aria-activedescendant", this.idPrefix + next);
    } else {
      this.element.removeAttribute("aria-activedescendant");
    }
    if (notify && prev !== next) this.options.onSelect?.(next);
  }

  /** New thumbnails exist for these contents: reload the tiles showing them. */
  thumbnailsReady(contentIds: readonly number[]): void {
    for (const id of contentIds) this.versions.set(id, (this.versions.get(id) ?? 0) + 1);
    for (const tile of this.tiles.values()) {
      if (tile.hit && this.versions.has(tile.hit.contentId)) this.bindImage(tile, tile.hit);
    }
  }

  /** Cache-busting version of a content's thumbnail. */
  thumbVersion(contentId: number): number {
    return this.versions.get(contentId) ?? 0;
  }

  /** Gives the grid keyboard focus, selecting the first tile if none is. */
  focus(): void {
    if (this.selected < 0 && this.items.length > 0) this.select(0);
    this.element.focus();
  }

  /** Draws the visible tiles now (scrolls draw on the next animation frame). */
  render(): void {
    if (this.frame !== 0) {
      cancelFrame(this.frame);
      this.frame = 0;
    }
    const layout = this.layout;
    const range = visibleRange(layout, this.top, this.height);
    for (const [index, tile] of this.tiles) {
      if (index < range.start || index >= range.end) {
        this.tiles.delete(index);
        this.release(tile);
      }
    }
    for (let index = range.start; index < range.end; index++) {
      const hit = this.items[index];
      if (!hit) break;
      let tile = this.tiles.get(index);
      if (!tile) {
        tile = this.acquire();
        this.tiles.set(index, tile);
        tile.el.id = this.idPrefix + index;
        tile.el.setAttribute("aria-posinset", String(index + 1));
        this.canvas.append(tile.el);
      }
      if (tile.hit !== hit) this.bind(tile, hit);
      tile.el.setAttribute("aria-setsize", String(layout.count));
      tile.el.setAttribute("aria-selected", index === this.selected ? "true" : "false");
      this.place(tile, index);
    }
    if (this.selected >= 0 && this.tiles.has(this.selected)) {
      this.element.setAttribute("aria-activedescendant", this.idPrefix + this.selected);
    } else {
      this.element.removeAttribute("aria-activedescendant");
    }
    this.placeDivider();
    if (layout.count > 0 && range.end >= layout.count - layout.columns * NEAR_END_ROWS) {
      this.options.onNearEnd?.();
    }
  }

  private placeDivider(): void {
    const divider = this.options.divider;
    if (!divider) return;
    const top = dividerTop(this.layout);
    divider.hidden = top === null;
    if (top === null) return;
    const shift = toScrollTop(this.top, this.layout.totalHeight, this.height) - this.top;
    divider.style.transform = `translateY(${top + shift}px)`;
    divider.style.height = `${this.layout.divider}px`;
  }

  /** Removes listeners and observers. */
  destroy(): void {
    if (this.frame !== 0) cancelFrame(this.frame);
    this.resizeObserver?.disconnect();
    this.element.removeEventListener("scroll", this.onScroll);
    this.element.removeEventListener("keydown", this.onKeyDown);
    this.element.removeEventListener("click", this.onClick);
    this.element.removeEventListener("dblclick", this.onDoubleClick);
    this.element.removeEventListener("dragstart", this.onDragStart);
  }

  private relayout(): void {
    this.layout = computeLayout(this.width, this.tileSize, this.items.length, GAP_PX, PADDING_PX, this.split);
    this.canvas.style.height = `${canvasHeight(this.layout.totalHeight)}px`;
    this.element.style.setProperty("--tile-size", `${this.layout.cell}px`);
    this.element.classList.toggle("is-small", this.layout.cell < 128);
  }

  /** Scrolls so that layout offset `top` is at the top of the viewport. */
  private setScrollTop(top: number): void {
    const total = this.layout.totalHeight;
    const max = Math.max(0, total - this.height);
    this.top = Math.min(Math.max(0, top), max);
    const real = toScrollTop(this.top, total, this.height);
    this.written = real;
    if (this.element.scrollTop !== real) this.element.scrollTop = real;
  }

  private readonly onScroll = (): void => {
    const real = this.element.scrollTop;
    // Our own write comes back rounded; keep the exact offset we asked for.
    if (Math.abs(real - this.written) >= 1) {
      this.top = toLayoutTop(real, this.layout.totalHeight, this.height);
      this.written = -1;
    }
    if (this.frame === 0) this.frame = requestFrame(() => this.render());
  };

  private readonly onKeyDown = (event: KeyboardEvent): void => {
    // Keys for a control inside the grid (the divider's button) are that control's.
    if (event.defaultPrevented || event.altKey || event.target !== this.element) return;
    const mod = event.ctrlKey || event.metaKey;
    if (isNavKey(event.key) && !mod) {
      event.preventDefault();
      if (this.items.length === 0) return;
      if (event.key === "ArrowUp" && this.selected >= 0 && this.selected < this.layout.columns && this.options.onExitTop) {
        this.options.onExitTop();
        return;
      }
      const pageRows = Math.max(1, Math.floor(this.height / this.layout.rowHeight) - 1);
      this.select(moveIndex(this.layout, this.selected, event.key, pageRows));
      return;
    }
    if ((event.key === "Enter" || event.key === " ") && this.selected >= 0) {
      event.preventDefault();
      this.options.onOpen(this.selected, event.key === "Enter" && mod ? "external" : "preview");
      return;
    }
    if (!mod && event.key.length === 1 && event.key !== " " && this.options.onTypeAhead) {
      event.preventDefault();
      this.options.onTypeAhead(event.key);
    }
  };

  private indexOfEvent(event: Event): number {
    const target = event.target instanceof Element ? event.target.closest<HTMLElement>(".tile") : null;
    if (!target) return -1;
    for (const [index, tile] of this.tiles) if (tile.el === target) return index;
    return -1;
  }

  private readonly onClick = (event: MouseEvent): void => {
    const index = this.indexOfEvent(event);
    if (index >= 0) this.select(index);
  };

  private readonly onDoubleClick = (event: MouseEvent): void => {
    const index = this.indexOfEvent(event);
    if (index >= 0) this.options.onOpen(index, "preview");
  };

  private readonly onDragStart = (event: DragEvent): void => {
    const index = this.indexOfEvent(event);
    if (index < 0 || !this.options.onDragOut) return;
    event.preventDefault();
    this.select(index);
    this.options.onDragOut(index);
  };

  private acquire(): Tile {
    const pooled = this.pool.pop();
    if (pooled) return pooled;
    const el = document.createElement("div");
    el.className = "tile";
    el.dataset.testid = "tile";
    el.setAttribute("role", "option");
    el.draggable = true;
    const img = document.createElement("img");
    img.className = "tile-img";
    img.alt = "";
    img.loading = "lazy";
    img.decoding = "async";
    img.draggable = false;
    const caption = document.createElement("div");
    caption.className = "tile-caption";
    const name = document.createElement("span");
    name.className = "tile-name";
    const score = document.createElement("span");
    score.className = "tile-score";
    caption.append(name, score);
    const dups = document.createElement("span");
    dups.className = "tile-dups";
    dups.hidden = true;
    el.append(img, caption, dups);
    img.addEventListener("load", () => el.classList.remove("is-loading", "is-missing"));
    img.addEventListener("error", () => {
      el.classList.remove("is-loading");
      el.classList.add("is-missing");
    });
    return { el, img, name, score, dups, hit: null, src: "", place: "" };
  }

  private release(tile: Tile): void {
    tile.el.remove();
    if (this.pool.length < POOL_MAX) this.pool.push(tile);
  }

  private bind(tile: Tile, hit: Hit): void {
    tile.hit = hit;
    const el = tile.el;
    el.dataset.path = hit.path;
    el.dataset.photoId = String(hit.photoId);
    el.dataset.good = String(hit.good);
    el.title = hit.path;
    const score = hit.score === null ? "–" : scoreFormat.format(hit.score);
    el.setAttribute("aria-label", `${hit.name}, score ${score}`);
    tile.name.textContent = hit.name;
    tile.score.textContent = score;
    tile.dups.hidden = hit.duplicates <= 0;
    tile.dups.textContent = hit.duplicates > 0 ? `+${hit.duplicates}` : "";
    tile.dups.title = hit.others.length > 0 ? `Also: ${hit.others.join(", ")}` : "";
    this.bindImage(tile, hit);
  }

  private bindImage(tile: Tile, hit: Hit): void {
    const src = this.options.thumbUrl(hit.contentId, this.thumbVersion(hit.contentId));
    if (src === tile.src) return;
    tile.src = src;
    // Hide the previous photo of a recycled tile until the new one has loaded.
    tile.el.classList.add("is-loading");
    tile.el.classList.remove("is-missing");
    tile.img.src = src;
  }

  private place(tile: Tile, index: number): void {
    const { x, y } = tileOffset(this.layout, index);
    // With a capped canvas, tiles sit relative to the real scroll position.
    const shift = toScrollTop(this.top, this.layout.totalHeight, this.height) - this.top;
    const top = y + shift;
    const cell = this.layout.cell;
    const key = `${x},${top},${cell}`;
    if (tile.place === key) return;
    tile.place = key;
    const style = tile.el.style;
    style.transform = `translate(${x}px, ${top}px)`;
    style.width = `${cell}px`;
    style.height = `${cell}px`;
  }
}

function requestFrame(callback: () => void): number {
  return typeof requestAnimationFrame === "function"
    ? requestAnimationFrame(callback)
    : (setTimeout(callback, 16) as unknown as number);
}

function cancelFrame(handle: number): void {
  if (typeof cancelAnimationFrame === "function") cancelAnimationFrame(handle);
  else clearTimeout(handle);
}
