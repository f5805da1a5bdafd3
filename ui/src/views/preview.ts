// The preview lightbox: a larger image, the photo's details, and actions. Keys: ←/→
// previous/next, Enter opens in the default app, Esc (or Space) closes.
import { baseName, formatBytes, formatDimensions, formatScore, formatTakenAt } from "../format";
import * as ipc from "../ipc";
import type { Hit, PhotoDetails } from "../ipc";
import { button, h, icon, iconLabel, isTyping } from "./dom";
import { rememberFocus, trapTab } from "./modal";

/** What the preview needs from the app. */
export interface PreviewHost {
  /** The results the preview steps through. */
  hits(): readonly Hit[];
  /** Keeps the grid's selection on the photo shown. */
  select(index: number): void;
  thumbUrl(contentId: number): string;
  findSimilar(hit: Hit): void;
  /** Adds the photo to the search as an example. */
  addToQuery(hit: Hit): void;
  onError(error: unknown): void;
  onInfo(message: string): void;
}

/** The preview overlay. */
export class Preview {
  readonly element: HTMLElement;
  private readonly dialog: HTMLElement;
  private readonly title: HTMLElement;
  private readonly position: HTMLElement;
  private readonly img: HTMLImageElement;
  private readonly stage: HTMLElement;
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private readonly details: HTMLDListElement;
  private readonly failure: HTMLElement;
  private index = -1;
  private hit: Hit | null = null;
  private detailsSeq = 0;
  private restoreFocus: (() => void) | null = null;

  constructor(private readonly host: PreviewHost) {
    this.title = h("h2", { class: "preview-title", attrs: { id: "preview-title" } });
    this.position = h("span", { class: "preview-position" });
    this.img = h("img", { class: "preview-img", attrs: { alt: "", decoding: "async", draggable: "false" } });
    this.img.addEventListener("load", () => this.stage.classList.remove("is-missing"));
    this.img.addEventListener("error", () => this.stage.classList.add("is-missing"));
    this.prev = button(icon("chevronLeft"), () => this.step(-1), {
      variant: "icon",
      class: "preview-nav preview-prev",
      attrs: { "aria-label": "Previous photo" },
      title: "Previous (←)",
    });
    this.next = button(icon("chevronRight"), () => this.step(1), {
      variant: "icon",
      class: "preview-nav preview-next",
      attrs: { "aria-label": "Next photo" },
      title: "Next (→)",
    });
    this.stage = h("div", { class: "preview-stage" }, this.img, this.prev, this.next);
    this.stage.addEventListener("dblclick", () => void this.open());
    this.details = h("dl", { class: "preview-details" });
    this.failure = h("p", { class: "preview-failure", hidden: true });

    const actions = h(
      "div",
      { class: "preview-actions" },
      button(iconLabel("open", "Open"), () => void this.open(), { variant: "primary", testid: "preview-open", title: "Open in the default app (Enter)" }),
      button(iconLabel("similar", "Find similar"), () => this.findSimilar(), { testid: "find-similar" }),
      button(iconLabel("plus", "Add to query"), () => this.addToQuery(), {
        testid: "add-to-query",
        title: "Search for photos like this one and what is typed",
      }),
      button(iconLabel("folder", "Show in folder"), () => void this.reveal(), { testid: "reveal" }),
      button(iconLabel("copy", "Copy path"), () => void this.copyPath(), { testid: "copy-path" }),
    );

    this.dialog = h(
      "div",
      {
        class: "preview",
        testid: "preview",
        attrs: { role: "dialog", "aria-modal": "true", "aria-labelledby": "preview-title", tabindex: "-1" },
      },
      h(
        "header",
        { class: "preview-head" },
        this.title,
        this.position,
        button(icon("close"), () => this.close(), {
          variant: "icon",
          testid: "preview-close",
          attrs: { "aria-label": "Close preview" },
          title: "Close (Esc)",
        }),
      ),
      h("div", { class: "preview-body" }, this.stage, h("aside", { class: "preview-info" }, this.details, this.failure, actions)),
    );
    this.element = h("div", { class: "overlay", hidden: true }, this.dialog);
    this.element.addEventListener("click", (event) => {
      if (event.target === this.element) this.close();
    });
    this.dialog.addEventListener("keydown", this.onKeyDown);
  }

  /** Whether the preview is showing. */
  get isOpen(): boolean {
    return !this.element.hidden;
  }

  /** The photo shown, if any. */
  get current(): Hit | null {
    return this.isOpen ? this.hit : null;
  }

  /** Shows result `index`. */
  show(index: number): void {
    const hit = this.host.hits()[index];
    if (!hit) return;
    if (!this.isOpen) {
      this.restoreFocus = rememberFocus();
      this.element.hidden = false;
      this.dialog.focus();
    }
    this.index = index;
    this.hit = hit;
    this.host.select(index);
    this.draw(hit, null);
    void this.loadDetails(hit);
  }

  /** Closes the preview and gives focus back. */
  close(): void {
    if (!this.isOpen) return;
    this.element.hidden = true;
    this.detailsSeq++;
    this.hit = null;
    const restore = this.restoreFocus;
    this.restoreFocus = null;
    restore?.();
  }

  /** The results changed: follow the photo if it is still there, else close. */
  hitsChanged(): void {
    if (!this.isOpen || !this.hit) return;
    const id = this.hit.photoId;
    const index = this.host.hits().findIndex((h) => h.photoId === id);
    if (index < 0) {
      this.close();
      return;
    }
    this.index = index;
    this.updatePosition();
  }

  /** A new thumbnail may exist for the photo shown. */
  refreshImage(): void {
    if (this.isOpen && this.hit) this.setImage(this.hit);
  }

  private step(delta: number): void {
    const count = this.host.hits().length;
    const next = this.index + delta;
    if (next >= 0 && next < count) this.show(next);
  }

  private readonly onKeyDown = (event: KeyboardEvent): void => {
    trapTab(this.dialog, event);
    if (event.defaultPrevented && event.key === "Tab") return;
    const onControl = event.target instanceof HTMLButtonElement || isTyping(event.target);
    switch (event.key) {
      case "Escape":
        event.preventDefault();
        event.stopPropagation();
        this.close();
        break;
      case "ArrowLeft":
        event.preventDefault();
        this.step(-1);
        break;
      case "ArrowRight":
        event.preventDefault();
        this.step(1);
        break;
      case "Enter":
        if (onControl) return; // a focused button handles its own Enter
        event.preventDefault();
        void this.open();
        break;
      case " ":
        if (onControl) return;
        event.preventDefault();
        this.close();
        break;
    }
  };

  private draw(hit: Hit, details: PhotoDetails | null): void {
    this.title.textContent = details?.name ?? hit.name;
    this.title.title = details?.path ?? hit.path;
    this.dialog.dataset.photoId = String(hit.photoId);
    this.dialog.dataset.path = hit.path;
    this.updatePosition();
    this.setImage(hit);
    this.img.alt = details?.name ?? hit.name;

    const rows: [string, string][] = [
      ["Folder", parentOf(details?.path ?? hit.path)],
      ["Size", details ? formatBytes(details.size) : ""],
      ["Dimensions", details ? formatDimensions(details.width, details.height) : ""],
      ["Format", details?.format ?? ""],
      ["Taken", details?.takenAt != null ? formatTakenAt(details.takenAt) : ""],
      ["Camera", details?.camera ?? ""],
      ["Match", formatScore(hit.score)],
      ["Also", hit.others.length > 0 ? hit.others.join(", ") : ""],
    ];
    this.details.replaceChildren(
      ...rows
        .filter(([, value]) => value !== "")
        .flatMap(([label, value]) => [
          h("dt", { text: label }),
          h("dd", { text: value, attrs: label === "Folder" ? { title: details?.path ?? hit.path } : {} }),
        ]),
    );
    this.failure.hidden = !details?.failure;
    this.failure.textContent = details?.failure ? `This photo could not be indexed: ${details.failure}` : "";
  }

  private setImage(hit: Hit): void {
    const src = this.host.thumbUrl(hit.contentId);
    if (this.img.getAttribute("src") !== src) {
      this.stage.classList.remove("is-missing");
      this.img.src = src;
    }
  }

  private updatePosition(): void {
    const count = this.host.hits().length;
    this.position.textContent = count > 1 ? `${this.index + 1} of ${count}` : "";
    this.prev.disabled = this.index <= 0;
    this.next.disabled = this.index >= count - 1;
  }

  private async loadDetails(hit: Hit): Promise<void> {
    const seq = ++this.detailsSeq;
    try {
      const details = await ipc.photoDetails(hit.photoId);
      // Stepping quickly: only the newest photo's details are drawn.
      if (seq === this.detailsSeq && this.hit === hit) this.draw(hit, details);
    } catch (error) {
      if (seq === this.detailsSeq) this.host.onError(error);
    }
  }

  private async open(): Promise<void> {
    if (!this.hit) return;
    try {
      await ipc.openPhoto(this.hit.photoId);
    } catch (error) {
      this.host.onError(error);
    }
  }

  private async reveal(): Promise<void> {
    if (!this.hit) return;
    try {
      await ipc.revealPhoto(this.hit.photoId);
    } catch (error) {
      this.host.onError(error);
    }
  }

  private findSimilar(): void {
    const hit = this.hit;
    if (!hit) return;
    this.close();
    this.host.findSimilar(hit);
  }

  private addToQuery(): void {
    const hit = this.hit;
    if (!hit) return;
    this.close();
    this.host.addToQuery(hit);
  }

  private async copyPath(): Promise<void> {
    if (!this.hit) return;
    const path = this.hit.path;
    if (await copyText(path)) this.host.onInfo(`Copied the path of ${baseName(path)}.`);
    else this.host.onError(new Error("The path could not be copied to the clipboard"));
  }
}

function parentOf(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return cut > 0 ? path.slice(0, cut) : path;
}

/** Writes text to the clipboard; falls back to a hidden textarea where the API is missing. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Some webviews refuse the async API; try the old way below.
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "visually-hidden";
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}
