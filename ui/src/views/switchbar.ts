// The model switch under way, as a slim bar: what is being switched to, how far it has
// come, which model answers searches meanwhile, and "Use it now" / "Cancel". The main window
// shows it above the results and Settings above the catalogue.
import { formatBytes, formatCount, plural } from "../format";
import type { ModelSwitch } from "../ipc";
import { button, h, icon, setChildren } from "./dom";

/** What the bar's buttons ask for. */
export interface SwitchActions {
  /** Switch to the new model now, before it has caught up. */
  finish(): void;
  /** Stop the switch (also dismisses a failed one). */
  cancel(): void;
}

/** The headline and detail of a switch, in words (`paused`: indexing is paused). */
export function describeSwitch(s: ModelSwitch, paused = false): { text: string; detail: string } {
  const uses = s.fromTitle ? `Search uses ${s.fromTitle} until then.` : "Search keeps working meanwhile.";
  const meanwhile = paused && s.phase === "embedding" ? `Paused with indexing. ${uses}` : uses;
  switch (s.phase) {
    case "downloading": {
      const got = formatBytes(s.done);
      const amount = s.total !== null && s.total > 0 ? `${got} of ${formatBytes(Math.max(s.total, s.done))}` : got;
      return { text: `Downloading ${s.title}: ${amount}`, detail: meanwhile };
    }
    case "loading":
      return { text: `Loading ${s.title}…`, detail: meanwhile };
    case "embedding":
      return {
        text: `Switching to ${s.title}: ${formatCount(s.done)} of ${plural(s.total, "photo", "photos")}`,
        detail: meanwhile,
      };
    case "error":
      return { text: `Could not switch to ${s.title}`, detail: s.message };
  }
}

/** How much of the bar is filled, 0–100, or null when unknown (an indeterminate bar). */
export function switchPercent(s: ModelSwitch): number | null {
  const part = (done: number, total: number): number => (total > 0 ? Math.min(100, Math.max(0, (done / total) * 100)) : 0);
  switch (s.phase) {
    case "downloading":
      return s.total !== null && s.total > 0 ? part(s.done, s.total) : null;
    case "embedding":
      return part(s.done, s.total);
    case "loading":
      return null;
    case "error":
      return 0;
  }
}

/** A switch bar (`data-testid` given, `data-phase` the switch's phase). */
export class SwitchBar {
  readonly element: HTMLElement;
  private readonly text: HTMLElement;
  private readonly detail: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly fill: HTMLElement;
  private readonly actions: HTMLElement;
  private readonly useNow: HTMLButtonElement;
  private readonly stop: HTMLButtonElement;
  private readonly announce: HTMLElement;
  private readonly glyph: HTMLElement;
  private announced = "";
  private glyphKind = "";

  constructor(actions: SwitchActions, testid: string, compact = false) {
    this.text = h("p", { class: "switchbar-text" });
    this.detail = h("p", { class: "switchbar-detail" });
    this.fill = h("div", { class: "bar-fill" });
    this.bar = h("div", { class: "bar switchbar-bar", attrs: { role: "progressbar", "aria-label": "Model switch", "aria-valuemin": 0, "aria-valuemax": 100 } }, this.fill);
    this.useNow = button("Use it now", () => actions.finish(), {
      testid: "switch-finish",
      title: "Search with the new model now; photos it has not seen yet are found as it reaches them",
    });
    this.stop = button("Cancel", () => actions.cancel(), { variant: "quiet", testid: "switch-cancel" });
    this.actions = h("div", { class: "switchbar-actions" }, this.useNow, this.stop);
    // Progress changes every second; only phase changes are read out.
    this.announce = h("span", { class: "visually-hidden", attrs: { "aria-live": "polite" } });
    this.glyph = h("span", { class: "switchbar-glyph", attrs: { "aria-hidden": "true" } });
    this.element = h(
      "section",
      { class: compact ? "switchbar switchbar-compact" : "switchbar", testid, hidden: true, attrs: { "aria-label": "Model switch" } },
      this.glyph,
      h("div", { class: "switchbar-body" }, this.text, this.bar, this.detail),
      this.actions,
      this.announce,
    );
  }

  /** Shows `s`, or hides the bar when no switch is under way; `paused`: indexing is paused. */
  render(s: ModelSwitch | null, paused = false): void {
    this.element.hidden = s === null;
    if (s === null) {
      this.announced = "";
      return;
    }
    const { text, detail } = describeSwitch(s, paused);
    this.element.dataset.phase = s.phase;
    this.element.classList.toggle("switchbar-error", s.phase === "error");
    this.text.textContent = text;
    this.detail.textContent = detail;
    this.detail.title = detail;
    const pct = switchPercent(s);
    this.bar.hidden = s.phase === "error";
    this.bar.classList.toggle("bar-indeterminate", pct === null);
    this.fill.style.width = `${pct ?? 0}%`;
    if (pct === null) this.bar.removeAttribute("aria-valuenow");
    else this.bar.setAttribute("aria-valuenow", String(Math.round(pct)));
    this.useNow.hidden = s.phase !== "embedding";
    this.stop.textContent = s.phase === "error" ? "Dismiss" : "Cancel";
    this.stop.setAttribute("aria-label", s.phase === "error" ? "Dismiss" : `Cancel switching to ${s.title}`);
    const glyph = s.phase === "error" ? "warning" : s.phase === "embedding" && paused ? "pause" : "spinner";
    if (glyph !== this.glyphKind) {
      // Replaced only when it changes, so the spinner's animation runs smoothly.
      this.glyphKind = glyph;
      setChildren(this.glyph, glyph === "spinner" ? h("span", { class: "spinner" }) : icon(glyph));
    }
    const phaseLine = s.phase === "error" ? `${text}. ${detail}` : s.phase === "embedding" ? `Switching to ${s.title}` : text.split(":")[0] ?? text;
    if (phaseLine !== this.announced) {
      this.announced = phaseLine;
      this.announce.textContent = phaseLine;
    }
  }
}
