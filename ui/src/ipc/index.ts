// The only door to the Tauri shell: nothing outside src/ipc/ imports `@tauri-apps/*`.
export * from "./commands";
export * from "./dialog";
export * from "./error";
export * from "./events";
export * from "./thumbs";
export type * from "./types";

/** Whether the page runs inside the Tauri shell (its IPC bridge is present). */
export function hasShell(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}
