// Error banners and short confirmations. Errors are shown as the shell's sentence, never
// as a code; the same message twice is counted, not stacked.
import { errorMessage } from "../ipc/error";
import { button, h, icon } from "./dom";

/** How long a confirmation stays. Errors stay until dismissed. */
export const INFO_MS = 4000;
/** At most this many messages are visible. */
const MAX_VISIBLE = 4;

/** The toast region. */
export class Toasts {
  readonly element: HTMLElement;

  constructor() {
    this.element = h("div", { class: "toasts", attrs: { "aria-live": "polite" } });
  }

  /** Shows what went wrong. */
  error(error: unknown): void {
    this.show("error", errorMessage(error));
  }

  /** Shows a short confirmation. */
  info(message: string): void {
    this.show("info", message);
  }

  /** Removes every message. */
  clear(): void {
    this.element.replaceChildren();
  }

  private show(kind: "error" | "info", message: string): void {
    for (const existing of this.element.querySelectorAll<HTMLElement>(".toast")) {
      if (existing.dataset.kind === kind && existing.dataset.message === message) {
        const n = Number(existing.dataset.count ?? "1") + 1;
        existing.dataset.count = String(n);
        const badge = existing.querySelector(".toast-count");
        if (badge) badge.textContent = `×${n}`;
        this.element.append(existing);
        return;
      }
    }
    const toast = h(
      "div",
      {
        class: `toast toast-${kind}`,
        testid: kind === "error" ? "error-banner" : "toast",
        attrs: { role: kind === "error" ? "alert" : "status" },
      },
      icon(kind === "error" ? "warning" : "info"),
      h("p", { class: "toast-message", text: message }),
      h("span", { class: "toast-count" }),
      button(icon("close"), () => toast.remove(), { variant: "icon", attrs: { "aria-label": "Dismiss" } }),
    );
    toast.dataset.kind = kind;
    toast.dataset.message = message;
    this.element.append(toast);
    while (this.element.children.length > MAX_VISIBLE) this.element.firstElementChild?.remove();
    if (kind === "info") setTimeout(() => toast.remove(), INFO_MS);
  }
}
