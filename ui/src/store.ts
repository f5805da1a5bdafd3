// The main window's state in one place: what the shell says about the library, what the
// search box asked and got, and the window's own (panels, tile size, a drag under way).
// `Library` and `SearchController` keep their logic and report into it; the views read it
// and redraw when it changes.
import type { Hit } from "./ipc";
import type { LibraryState } from "./library";
import type { SearchState } from "./search";

/** The window's own state, beside what the shell and the search report. */
export interface ViewState {
  /** The folders panel is shown. */
  readonly sidebarOpen: boolean;
  /** Side of a thumbnail tile, in CSS pixels. */
  readonly tileSize: number;
  /** The result being dragged out of the window as a file, until the drag ends. */
  readonly draggingOut: Hit | null;
}

/** Everything the main window draws from. */
export interface AppState {
  readonly library: LibraryState;
  readonly search: SearchState;
  readonly view: ViewState;
}

/** Told of every change, with the state before it. */
export type Listener<S> = (state: S, previous: S) => void;

/** A state snapshot that is replaced, never mutated, and the listeners of its changes. */
export class Store<S extends object> {
  private current: S;
  private readonly listeners = new Set<Listener<S>>();

  constructor(initial: S) {
    this.current = initial;
  }

  /** The current snapshot. */
  get state(): S {
    return this.current;
  }

  /** Replaces the parts named in `patch` and tells every listener. */
  update(patch: Partial<S>): void {
    const previous = this.current;
    this.current = { ...previous, ...patch };
    for (const listener of [...this.listeners]) listener(this.current, previous);
  }

  /** Calls `listener` on every change. Returns the unsubscribe function. */
  subscribe(listener: Listener<S>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The main window's store. */
export type AppStore = Store<AppState>;

/** Replaces the parts of the view state named in `patch`. */
export function updateView(store: AppStore, patch: Partial<ViewState>): void {
  store.update({ view: { ...store.state.view, ...patch } });
}

/** A saved preference, if storage is available. */
export function loadPreference(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** Saves a preference; without storage it lasts the session. */
export function savePreference(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Storage can be unavailable; the preference is then per session.
  }
}
