// The timeline strip: the good matches of the query by month, as bars from the first
// month to the last (empty months keep their place, so gaps read as time). Clicking a
// month narrows the query to it. One tab stop; ← → move between months.
import type { MonthCount } from "../ipc";
import { monthLabel } from "../querytext";
import { plural } from "../format";
import { h } from "./dom";

/** Months from `first` to `last` (`YYYY-MM`), inclusive. */
export function monthsBetween(first: string, last: string): string[] {
  const out: string[] = [];
  let [y, m] = first.split("-").map(Number) as [number, number];
  const [ly, lm] = last.split("-").map(Number) as [number, number];
  // Bounded: a library spans decades at most; a stray date must not make a million bars.
  while ((y < ly || (y === ly && m <= lm)) && out.length < 1200) {
    out.push(`${y}-${String(m).padStart(2, "0")}`);
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}

/** The strip. */
export class Timeline {
  readonly element: HTMLElement;
  private readonly bars: HTMLElement;
  private readonly caption: HTMLElement;
  private focusMonth = "";
  private shown = "";

  constructor(private readonly onPick: (month: string) => void) {
    this.caption = h("span", { class: "timeline-caption", text: "By month" });
    this.bars = h("div", { class: "timeline-bars", attrs: { role: "group", "aria-label": "Good matches by month" } });
    this.bars.addEventListener("keydown", (event) => this.onKey(event));
    this.element = h("div", { class: "timeline", testid: "timeline", hidden: true }, this.caption, this.bars);
  }

  /** Shows `months` (oldest first), marking `selected` (`YYYY-MM`, the month the query is narrowed to). */
  render(months: readonly MonthCount[] | null, selected: string | null = null): void {
    const key = JSON.stringify([months, selected]);
    if (key === this.shown) return;
    this.shown = key;
    if (months === null || months.length === 0) {
      this.element.hidden = true;
      this.bars.replaceChildren();
      return;
    }
    const counts = new Map(months.map((m) => [m.month, m.count]));
    const all = monthsBetween(months[0]?.month ?? "", months[months.length - 1]?.month ?? "");
    const max = Math.max(1, ...months.map((m) => m.count));
    const labelEvery = all.length <= 18 ? "month" : "year";
    if (!counts.has(this.focusMonth)) this.focusMonth = selected && counts.has(selected) ? selected : (months[0]?.month ?? "");
    const cells = all.map((month, i) => {
      const count = counts.get(month) ?? 0;
      const [, m] = month.split("-");
      const isJanuary = m === "01";
      const label =
        labelEvery === "month"
          ? monthLabel(month).split(" ")[0] ?? ""
          : isJanuary || i === 0
            ? month.slice(0, 4)
            : "";
      const bar = h("span", { class: "timeline-bar" });
      // Square-root scale: one photo in a month stays visible next to a hundred.
      bar.style.height = count > 0 ? `${Math.max(12, Math.round(100 * Math.sqrt(count / max)))}%` : "0";
      const tick = h("span", { class: "timeline-tick", text: label });
      if ((isJanuary || i === 0) && labelEvery === "month") tick.dataset.year = month.slice(0, 4);
      if (count === 0) {
        return h("span", { class: "timeline-month is-empty", attrs: { "aria-hidden": "true" } }, h("span", { class: "timeline-track" }, bar), tick);
      }
      const text = `${monthLabel(month, true)}: ${plural(count, "good match", "good matches")}`;
      const el = h(
        "button",
        {
          class: "timeline-month",
          testid: "timeline-month",
          attrs: {
            type: "button",
            title: text,
            "aria-label": text,
            "aria-pressed": String(month === selected),
            tabindex: month === this.focusMonth ? "0" : "-1",
          },
        },
        h("span", { class: "timeline-track" }, bar),
        tick,
      );
      el.dataset.month = month;
      el.dataset.count = String(count);
      el.addEventListener("click", () => {
        this.focusMonth = month;
        this.onPick(month);
      });
      return el;
    });
    const first = all[0] ?? "";
    const last = all[all.length - 1] ?? "";
    this.caption.textContent = first === last ? monthLabel(first, true) : `${monthLabel(first)} – ${monthLabel(last)}`;
    this.bars.replaceChildren(...cells);
    this.element.hidden = false;
  }

  private onKey(event: KeyboardEvent): void {
    const buttons = [...this.bars.querySelectorAll<HTMLButtonElement>("button.timeline-month")];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    let next = -1;
    if (event.key === "ArrowRight") next = Math.min(buttons.length - 1, at + 1);
    else if (event.key === "ArrowLeft") next = Math.max(0, at - 1);
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = buttons.length - 1;
    if (next < 0) return;
    event.preventDefault();
    for (const [i, b] of buttons.entries()) b.tabIndex = i === next ? 0 : -1;
    this.focusMonth = buttons[next]?.dataset.month ?? "";
    buttons[next]?.focus();
  }
}
