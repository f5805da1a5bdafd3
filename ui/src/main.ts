// Entry point: the main window, or the quick-search window with `?view=quick`.
import { hasShell } from "./ipc";
import { h } from "./views/dom";
import { mountApp } from "./views/app";
import { mountQuick } from "./views/quick";

async function start(): Promise<void> {
  const params = new URLSearchParams(window.location.search);
  const root = document.getElementById("app");
  if (!root) return;
  const shell = hasShell();
  if (!shell && import.meta.env.DEV) {
    // `npm run dev` in a plain browser has no shell behind it: stand one in so the UI can
    // be looked at. This branch and the module it loads are not in the production bundle.
    const { installDevBackend } = await import("./ipc/devmock");
    installDevBackend(params);
  } else if (!shell) {
    root.replaceChildren(
      h("p", { class: "no-shell", text: "This page is part of the Glimpse app. Open Glimpse to use it." }),
    );
    return;
  }
  if (params.get("view") === "quick") {
    document.documentElement.classList.add("is-quick");
    mountQuick(root);
  } else {
    mountApp(root, { e2e: params.get("e2e") === "1", query: params.get("q") ?? undefined });
  }
  if (!shell && import.meta.env.DEV) {
    const { runDevScript } = await import("./ipc/devmock");
    runDevScript(params);
  }
}

void start();
