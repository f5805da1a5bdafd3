// The main window's one store.
import { expect, test } from "vitest";
import { Store, updateView, type AppState } from "../src/store";

test("an update replaces the named parts and tells listeners the state before it", () => {
  const store = new Store({ a: 1, b: { c: 2 } });
  const seen: [number, number][] = [];
  const stop = store.subscribe((state, previous) => seen.push([state.a, previous.a]));
  const b = store.state.b;
  store.update({ a: 3 });
  expect(store.state).toEqual({ a: 3, b: { c: 2 } });
  expect(store.state.b).toBe(b);
  stop();
  store.update({ a: 4 });
  expect(seen).toEqual([[3, 1]]);
});

test("the view state is replaced, not mutated", () => {
  const view = { sidebarOpen: true, tileSize: 160, draggingOut: null };
  const store = new Store({ library: {}, search: {}, view } as unknown as AppState);
  updateView(store, { sidebarOpen: false });
  expect(store.state.view).toEqual({ sidebarOpen: false, tileSize: 160, draggingOut: null });
  expect(view.sidebarOpen).toBe(true);
});
