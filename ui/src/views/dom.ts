// A tiny element builder. Text goes through textContent, never innerHTML, and styles
// through element.style, never a style attribute (a strict CSP forbids those).

type Child = Node | string | null | undefined | false;

/** Attributes and properties for `h`. */
export interface Props {
  class?: string;
  testid?: string;
  text?: string;
  /** Attributes set with setAttribute (aria-*, role, type, …). */
  attrs?: Record<string, string | number | boolean | null | undefined>;
  /** Event listeners. */
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
  hidden?: boolean;
}

/** Creates an element. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.testid) el.dataset.testid = props.testid;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.hidden) el.hidden = true;
  if (props.attrs) {
    for (const [name, value] of Object.entries(props.attrs)) {
      if (value === null || value === undefined || value === false) continue;
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  if (props.on) {
    for (const [type, listener] of Object.entries(props.on)) {
      el.addEventListener(type, listener as EventListener);
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}

/** Replaces an element's children. */
export function setChildren(el: Element, ...children: Child[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}

/** A button (type="button" so it never submits a form by accident). */
export function button(
  label: string | Node,
  onClick: (event: MouseEvent) => void,
  props: Props & { title?: string; variant?: "primary" | "quiet" | "danger" | "icon" } = {},
): HTMLButtonElement {
  const classes = ["btn", props.variant ? `btn-${props.variant}` : "", props.class ?? ""].filter(Boolean).join(" ");
  const attrs = { type: "button", title: props.title, ...props.attrs };
  const el = h("button", { ...props, class: classes, attrs });
  el.append(label);
  el.addEventListener("click", onClick);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

// 24×24 stroke icons (drawn for Glimpse; simple geometric paths).
const ICONS = {
  search: "M11 4a7 7 0 1 0 0 14a7 7 0 1 0 0-14zM16.5 16.5L21 21",
  folderPlus: "M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2zM12 10v6M9 13h6",
  folder: "M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z",
  close: "M6 6l12 12M18 6L6 18",
  trash: "M4 7h16M10 11v6M14 11v6M6 7l1 12a2 2 0 0 0 2 2h6a2 2 0 0 0 2-2l1-12M9 7V4h6v3",
  pause: "M9 5v14M15 5v14",
  play: "M7 5l12 7l-12 7z",
  settings:
    "M12 9a3 3 0 1 0 0 6a3 3 0 1 0 0-6zM19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3a1.7 1.7 0 0 0-1 1.5V21a2 2 0 0 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5a1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8a1.7 1.7 0 0 0-1.5-1H3a2 2 0 0 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1a1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 0 1 4 0v.1a1.7 1.7 0 0 0 1 1.5a1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 0 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z",
  sidebar: "M4 5h16v14H4zM9 5v14",
  chevronLeft: "M15 5l-7 7l7 7",
  chevronRight: "M9 5l7 7l-7 7",
  open: "M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5",
  copy: "M9 9h10v10H9zM5 15V5h10",
  similar: "M4 4h7v7H4zM13 13h7v7h-7zM13 4h7v7h-7M4 13h7v7H4",
  download: "M12 4v11M7 10l5 5l5-5M5 20h14",
  image: "M4 5h16v14H4zM4 16l5-5l4 4l3-3l4 4M15 9a1 1 0 1 0 0 .1",
  warning: "M12 3l10 18H2zM12 10v5M12 18v.5",
  info: "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18zM12 11v6M12 7.5v.5",
  sparkle: "M12 3l2 6l6 2l-6 2l-2 6l-2-6l-6-2l6-2z",
  plus: "M12 5v14M5 12h14",
  calendar: "M5 6h14v14H5zM5 10h14M9 4v4M15 4v4",
  camera: "M4 8h3l2-2.5h6L17 8h3v11H4zM12 10.5a3 3 0 1 0 0 6a3 3 0 1 0 0-6z",
  orientation: "M8 4h8v16H8z",
  text: "M5 6h14M12 6v13M9 19h6",
  sort: "M7 4v16M4 17l3 3l3-3M17 20V4M14 7l3-3l3 3",
} as const;

/** Names of the built-in icons. */
export type IconName = keyof typeof ICONS;

/** An inline SVG icon, hidden from assistive tech (the control carries the label). */
export function icon(name: IconName, className = "icon"): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", className);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

/** An icon followed by a text label. */
export function iconLabel(name: IconName, label: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  frag.append(icon(name), h("span", { text: label }));
  return frag;
}

/** Whether keyboard focus is in a text field (global shortcuts then stay away). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "range", "button", "submit"].includes(target.type);
  }
  return false;
}

/** Ctrl on Windows/Linux, Cmd on macOS. */
export function isPrimaryModifier(event: KeyboardEvent): boolean {
  return event.ctrlKey || event.metaKey;
}
