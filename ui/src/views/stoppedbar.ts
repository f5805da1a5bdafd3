// Indexing stopped for the whole library (a full disk, a thumbnail folder that went away):
// a bar above the results that says so, with the engine's reason, what to do, and Retry.
// Without it the app would only look idle while new photos silently stay unsearchable.
import { button, h, icon } from "./dom";

/** The advice for a stop's reason, in words a user can act on. */
export function stopAdvice(reason: string): string {
  const r = reason.toLowerCase();
  if (r.includes("no space left") || r.includes("disk is full") || r.includes("quota")) {
    return "The disk is full. Free some space, then retry. Search keeps working meanwhile.";
  }
  if (r.includes("not a directory") || r.includes("no such file") || r.includes("read-only") || r.includes("permission denied")) {
    return "The thumbnail folder cannot be written (a drive unplugged, a folder moved?). Put it back or choose another in Settings, then retry. Search keeps working meanwhile.";
  }
  return "Fix the cause, then retry. Search keeps working meanwhile.";
}

/** The stopped-indexing bar (`data-testid="stopped-banner"`). */
export class StoppedBar {
  readonly element: HTMLElement;
  private readonly advice: HTMLElement;
  private readonly reason: HTMLElement;
  private readonly retry: HTMLButtonElement;

  constructor(onRetry: () => void) {
    this.advice = h("p", { class: "switchbar-text", testid: "stopped-advice" });
    this.reason = h("p", { class: "switchbar-detail", testid: "stopped-reason" });
    this.retry = button("Retry", () => onRetry(), {
      testid: "stopped-retry",
      title: "Reopen the library and go on indexing",
    });
    this.element = h(
      "section",
      {
        class: "switchbar switchbar-error",
        testid: "stopped-banner",
        hidden: true,
        // Announced once when it appears: indexing stopping is news.
        attrs: { role: "alert", "aria-label": "Indexing stopped" },
      },
      h("span", { class: "switchbar-glyph", attrs: { "aria-hidden": "true" } }, icon("warning")),
      h("div", { class: "switchbar-body" }, this.advice, this.reason),
      h("div", { class: "switchbar-actions" }, this.retry),
    );
  }

  /** Shows why indexing stopped, or hides the bar (`null`); `retrying` disables Retry. */
  render(reason: string | null, retrying: boolean): void {
    this.element.hidden = reason === null;
    this.retry.disabled = retrying;
    this.retry.textContent = retrying ? "Retrying…" : "Retry";
    if (reason === null) return;
    const advice = `Indexing stopped. ${stopAdvice(reason)}`;
    if (this.advice.textContent !== advice) this.advice.textContent = advice;
    this.reason.textContent = reason;
    this.reason.title = reason;
  }
}
