// The virtual grid: layout math, and that the DOM holds only about the visible tiles.
import { afterEach, describe, expect, test, vi } from "vitest";
import {
  computeLayout,
  canvasHeight,
  DIVIDER_PX,
  dividerTop,
  GAP_PX,
  MAX_CANVAS_PX,
  moveIndex,
  OVERSCAN_ROWS,
  PADDING_PX,
  revealScrollTop,
  tileOffset,
  toLayoutTop,
  toScrollTop,
  visibleRange,
  VirtualGrid,
  type GridLayout,
} from "../src/grid";
import { byTestId, key, makeHits } from "./helpers";

describe("the divider between good matches and the rest", () => {
  // 5 columns; 7 good matches (rows 0–1, the second short), then 11 less likely (rows 2–4).
  const layout = computeLayout(1000, 160, 18, GAP_PX, PADDING_PX, 7);
  const row = layout.cell + GAP_PX;

  test("the rest starts on a new row below the divider band", () => {
    expect([layout.rowsBefore, layout.rows]).toEqual([2, 5]);
    expect(dividerTop(layout)).toBe(PADDING_PX + 2 * row);
    expect(tileOffset(layout, 6)).toEqual({ x: PADDING_PX + (layout.cell + GAP_PX), y: PADDING_PX + row });
    expect(tileOffset(layout, 7), "first of the rest: column 0, below the band").toEqual({
      x: PADDING_PX,
      y: PADDING_PX + 2 * row + DIVIDER_PX,
    });
    expect(tileOffset(layout, 12).y).toBe(PADDING_PX + 3 * row + DIVIDER_PX);
    expect(layout.totalHeight).toBe(2 * PADDING_PX + 5 * row + DIVIDER_PX - GAP_PX);
    // The band alone at the end (the rest not loaded yet) still has its room.
    const waiting = computeLayout(1000, 160, 7, GAP_PX, PADDING_PX, 7);
    expect(waiting.totalHeight).toBe(2 * PADDING_PX + 2 * row + DIVIDER_PX);
    expect(dividerTop(computeLayout(1000, 160, 7)), "no split, no divider").toBeNull();
  });

  test("the visible range and the keyboard cross the divider", () => {
    // Scrolled so that the band is at the top: the rest is visible, the good rows above are overscan.
    const range = visibleRange(layout, PADDING_PX + 2 * row, row, 0);
    expect([range.start, range.end]).toEqual([7, 12]);
    expect(visibleRange(layout, 0, 10_000).end).toBe(18);
    // ↓ from the short last good row goes to the same column of the first rest row.
    expect(moveIndex(layout, 6, "ArrowDown")).toBe(8);
    expect(moveIndex(layout, 1, "ArrowDown"), "into the short row: its last tile").toBe(6);
    expect(moveIndex(layout, 9, "ArrowUp"), "up into the short row: its last tile").toBe(6);
    expect(moveIndex(layout, 8, "ArrowUp")).toBe(6);
    expect(moveIndex(layout, 7, "ArrowUp")).toBe(5);
    expect(moveIndex(layout, 2, "PageDown", 2)).toBe(9);
    expect(moveIndex(layout, 16, "PageUp", 3)).toBe(4);
    expect(moveIndex(layout, 6, "ArrowRight")).toBe(7);
  });

  test("the grid places the divider element and keeps its keys for its own controls", () => {
    const divider = document.createElement("div");
    const button = document.createElement("button");
    divider.append(button);
    const opened: number[] = [];
    const grid = new VirtualGrid({ label: "Results", tileSize: 160, thumbUrl: () => "", onOpen: (i) => opened.push(i), divider });
    document.body.append(grid.element);
    grid.setViewport(1000, 700);
    grid.setItems(makeHits(18), true, 7);
    expect(divider.hidden).toBe(false);
    expect(divider.style.transform).toBe(`translateY(${PADDING_PX + 2 * row}px)`);
    grid.select(0);
    key(button, "Enter");
    expect(opened, "Enter on the divider's button is not the grid's").toEqual([]);
    grid.setItems(makeHits(18), false, null);
    expect(divider.hidden).toBe(true);
    grid.destroy();
    grid.element.remove();
  });
});

describe("layout math", () => {
  test("columns fit the tile size into the width and tiles stretch to fill it", () => {
    // 1000 px wide: 976 px inside the padding; (976 + 6) / (160 + 6) = 5.9 → 5 columns.
    const layout = computeLayout(1000, 160, 23);
    expect(layout.columns).toBe(5);
    expect(layout.cell, "5 tiles and 4 gaps fill the inner width").toBe(Math.floor((1000 - 2 * PADDING_PX - 4 * GAP_PX) / 5));
    expect(layout.rows, "23 results in rows of 5").toBe(5);
    expect(layout.totalHeight).toBe(2 * PADDING_PX + 5 * (layout.cell + GAP_PX) - GAP_PX);
  });

  test("smaller tiles give more columns; a narrow window still has one", () => {
    expect(computeLayout(1000, 96, 100).columns).toBe(9);
    expect(computeLayout(1000, 320, 100).columns, "(976 + 6) / (320 + 6) = 3.01").toBe(3);
    expect(computeLayout(900, 320, 100).columns).toBe(2);
    expect(computeLayout(150, 320, 100).columns).toBe(1);
    expect(computeLayout(1000, 160, 0).totalHeight, "no results, no height").toBe(0);
  });

  test("the visible range covers the rows on screen plus the overscan, clamped at both ends", () => {
    const layout = computeLayout(1000, 160, 1000); // 5 columns, 200 rows
    const row = layout.rowHeight;
    const top = visibleRange(layout, 0, 3 * row);
    expect(top.firstRow).toBe(0);
    expect(top.endRow, "rows 0-2 are visible (the padding pushes row 2 partly out), plus the overscan").toBe(3 + OVERSCAN_ROWS);
    expect(top.start).toBe(0);
    expect(top.end).toBe(top.endRow * 5);

    const middle = visibleRange(layout, PADDING_PX + 100 * row, 2 * row);
    expect(middle.firstRow).toBe(100 - OVERSCAN_ROWS);
    expect(middle.endRow).toBe(102 + OVERSCAN_ROWS);
    expect(middle.start).toBe((100 - OVERSCAN_ROWS) * 5);

    const bottom = visibleRange(layout, layout.totalHeight - 2 * row, 2 * row);
    expect(bottom.endRow, "never past the last row").toBe(200);
    expect(bottom.end).toBe(1000);
  });

  test("the last row may be short: the range ends at the count", () => {
    const layout = computeLayout(1000, 160, 12); // rows of 5: 5, 5, 2
    expect(visibleRange(layout, 0, 10_000).end).toBe(12);
  });

  test("tile offsets step by cell + gap", () => {
    const layout = computeLayout(1000, 160, 100);
    expect(tileOffset(layout, 0)).toEqual({ x: PADDING_PX, y: PADDING_PX });
    expect(tileOffset(layout, 6)).toEqual({ x: PADDING_PX + layout.cell + GAP_PX, y: PADDING_PX + layout.rowHeight });
  });

  test("arrow keys move by one tile or one row, and stop at the ends", () => {
    const l: GridLayout = computeLayout(1000, 160, 12); // 5 columns: rows 0-4, 5-9, 10-11
    expect(moveIndex(l, -1, "ArrowRight"), "no selection yet: select the first").toBe(0);
    expect(moveIndex(l, 0, "ArrowLeft")).toBe(0);
    expect(moveIndex(l, 4, "ArrowRight"), "right wraps to the next row").toBe(5);
    expect(moveIndex(l, 2, "ArrowDown")).toBe(7);
    expect(moveIndex(l, 8, "ArrowDown"), "down into the short last row lands on the last tile").toBe(11);
    expect(moveIndex(l, 11, "ArrowDown")).toBe(11);
    expect(moveIndex(l, 3, "ArrowUp"), "up on the first row stays").toBe(3);
    expect(moveIndex(l, 7, "Home")).toBe(0);
    expect(moveIndex(l, 7, "End")).toBe(11);
    expect(moveIndex(l, 1, "PageDown", 1)).toBe(6);
    expect(moveIndex(l, 11, "PageUp", 5), "a page up past the top keeps the column").toBe(1);
    expect(moveIndex(computeLayout(1000, 160, 0), 0, "ArrowDown")).toBe(-1);
  });

  test("revealing a tile scrolls as little as possible", () => {
    const layout = computeLayout(1000, 160, 1000);
    const view = 3 * layout.rowHeight;
    expect(revealScrollTop(layout, 0, 0, view), "already visible").toBe(0);
    const below = revealScrollTop(layout, 50, 0, view); // row 10
    expect(below, "the tile's bottom edge lands at the viewport's bottom").toBe(
      tileOffset(layout, 50).y + layout.cell + PADDING_PX - view,
    );
    expect(revealScrollTop(layout, 5, 10 * layout.rowHeight, view), "above: its top lands at the top").toBe(
      tileOffset(layout, 5).y - PADDING_PX,
    );
  });
});

describe("very tall grids", () => {
  test("below the cap, scroll positions are layout positions", () => {
    expect(canvasHeight(5_000_000)).toBe(5_000_000);
    expect(toLayoutTop(1234, 5_000_000, 800)).toBe(1234);
    expect(toScrollTop(1234, 5_000_000, 800)).toBe(1234);
  });

  test("above the cap, the canvas is capped and both ends map onto both ends", () => {
    const total = 48_200_000;
    expect(canvasHeight(total)).toBe(MAX_CANVAS_PX);
    expect(toLayoutTop(0, total, 800)).toBe(0);
    expect(toLayoutTop(MAX_CANVAS_PX - 800, total, 800)).toBe(total - 800);
    expect(toScrollTop(toLayoutTop(3_000_000, total, 800), total, 800)).toBeCloseTo(3_000_000, 3);
  });
});

describe("VirtualGrid DOM", () => {
  let grid: VirtualGrid | null = null;

  afterEach(() => {
    grid?.destroy();
    grid?.element.remove();
    grid = null;
  });

  function mount(options: Partial<ConstructorParameters<typeof VirtualGrid>[0]> = {}): VirtualGrid {
    const g = new VirtualGrid({
      label: "Results",
      tileSize: 160,
      thumbUrl: (id, v) => `thumb://localhost/${id}${v ? `?v=${v}` : ""}`,
      onOpen: () => undefined,
      ...options,
    });
    document.body.append(g.element);
    g.setViewport(1200, 800);
    grid = g;
    return g;
  }

  test("with 100,000 results only about the visible tiles are in the DOM", () => {
    const g = mount();
    const hits = makeHits(100_000);
    g.setItems(hits, true);
    const layout = g.currentLayout;
    const visibleRows = Math.ceil(800 / layout.rowHeight) + 1;
    const bound = (visibleRows + 2 * OVERSCAN_ROWS) * layout.columns;
    const tiles = byTestId("tile", g.element);
    expect(tiles.length, `at most ${bound} tiles for a 1200×800 viewport`).toBeLessThanOrEqual(bound);
    expect(tiles.length, "the first screen is filled").toBeGreaterThanOrEqual(Math.floor(800 / layout.rowHeight) * layout.columns);
    expect(g.element.querySelector<HTMLElement>(".grid-canvas")?.style.height, "the canvas is as tall as all rows").toBe(
      `${layout.totalHeight}px`,
    );

    // Scroll to the middle: the DOM holds the tiles there, and still only about a screenful.
    const middleRow = Math.floor(layout.rows / 2);
    g.element.scrollTop = PADDING_PX + middleRow * layout.rowHeight;
    g.element.dispatchEvent(new Event("scroll"));
    g.render();
    const after = byTestId("tile", g.element);
    expect(after.length).toBeLessThanOrEqual(bound);
    const shownIds = after.map((t) => Number(t.dataset.photoId));
    const firstIndex = middleRow * layout.columns;
    const hitThere = hits[firstIndex];
    expect(hitThere && shownIds.includes(hitThere.photoId), "the tile at the scroll position is rendered").toBe(true);
    expect(shownIds.includes(1), "the first tile left the DOM").toBe(false);
    const tile = after.find((t) => Number(t.dataset.photoId) === hitThere?.photoId);
    expect(tile?.dataset.path).toBe(hitThere?.path);
    expect(tile?.querySelector("img")?.getAttribute("loading")).toBe("lazy");
    expect(tile?.querySelector("img")?.getAttribute("src")).toBe(`thumb://localhost/${hitThere?.contentId}`);
  });

  test("new results replace the tiles in place and scroll back to the top", () => {
    const g = mount();
    g.setItems(makeHits(500, "a"), true);
    g.element.scrollTop = 2000;
    g.element.dispatchEvent(new Event("scroll"));
    g.render();
    g.setItems(makeHits(3, "b", 900), true);
    const tiles = byTestId("tile", g.element);
    expect(tiles.map((t) => t.dataset.photoId)).toEqual(["900", "901", "902"]);
    expect(g.element.scrollTop).toBe(0);
  });

  test("arrows move the selection, Enter opens it, Ctrl+Enter opens it externally", () => {
    const opened: [number, string][] = [];
    const g = mount({ onOpen: (i, how) => opened.push([i, how]) });
    g.setItems(makeHits(100), true);
    const columns = g.currentLayout.columns;
    key(g.element, "ArrowRight");
    expect(g.selectedIndex, "the first arrow selects the first tile").toBe(0);
    key(g.element, "ArrowRight");
    key(g.element, "ArrowDown");
    expect(g.selectedIndex).toBe(1 + columns);
    const selected = byTestId("tile", g.element).filter((t) => t.getAttribute("aria-selected") === "true");
    expect(selected.map((t) => t.dataset.photoId)).toEqual([String(2 + columns)]);
    expect(g.element.getAttribute("aria-activedescendant")).toBe(selected[0]?.id);
    key(g.element, "Enter");
    key(g.element, "Enter", { ctrlKey: true });
    expect(opened).toEqual([
      [1 + columns, "preview"],
      [1 + columns, "external"],
    ]);
  });

  test("selecting a far tile scrolls it into view and renders it", () => {
    const g = mount();
    g.setItems(makeHits(100_000), true);
    g.select(50_000);
    const tile = byTestId("tile", g.element).find((t) => t.dataset.photoId === "50001");
    expect(tile, "the selected tile is in the DOM").toBeDefined();
    expect(tile?.getAttribute("aria-selected")).toBe("true");
    expect(g.element.scrollTop).toBeGreaterThan(0);
  });

  test("thumbnails-ready reloads the affected tiles with a cache-busting version", () => {
    const g = mount();
    const hits = makeHits(5);
    g.setItems(hits, true);
    const h0 = hits[0];
    if (!h0) throw new Error("no hit");
    g.thumbnailsReady([h0.contentId]);
    const img = byTestId("tile", g.element)[0]?.querySelector("img");
    expect(img?.getAttribute("src")).toBe(`thumb://localhost/${h0.contentId}?v=1`);
  });

  test("scrolling near the end asks for more", () => {
    const onNearEnd = vi.fn();
    const g = mount({ onNearEnd });
    g.setItems(makeHits(1000), true);
    expect(onNearEnd).not.toHaveBeenCalled();
    g.element.scrollTop = g.currentLayout.totalHeight;
    g.element.dispatchEvent(new Event("scroll"));
    g.render();
    expect(onNearEnd).toHaveBeenCalled();
  });

  test("100,000 results in one column of large tiles: the canvas is capped and the end is reachable", () => {
    const g = mount({ tileSize: 320 });
    g.setViewport(500, 800);
    g.setItems(makeHits(100_000), true);
    expect(g.currentLayout.columns).toBe(1);
    expect(g.currentLayout.totalHeight, "this layout is taller than browsers allow").toBeGreaterThan(MAX_CANVAS_PX);
    expect(g.element.querySelector<HTMLElement>(".grid-canvas")?.style.height).toBe(`${MAX_CANVAS_PX}px`);
    g.element.scrollTop = MAX_CANVAS_PX - 800;
    g.element.dispatchEvent(new Event("scroll"));
    g.render();
    const last = byTestId("tile", g.element).find((t) => t.dataset.photoId === "100000");
    expect(last, "the last result is rendered at the end of the scroll range").toBeDefined();
    const y = Number(/translate\([^,]+, ([\d.]+)px\)/.exec(last?.style.transform ?? "")?.[1]);
    expect(y + g.currentLayout.cell, "and it sits inside the capped canvas").toBeLessThanOrEqual(MAX_CANVAS_PX);
    expect(y, "at the bottom of the viewport").toBeGreaterThan(MAX_CANVAS_PX - 800 - g.currentLayout.cell);
    g.select(0);
    expect(g.element.scrollTop, "selecting the first tile scrolls back up").toBe(0);
  });
});
