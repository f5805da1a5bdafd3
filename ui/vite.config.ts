/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// Tauri serves the built files itself; the dev server is only for `npm run dev`
// (Tauri's `devUrl`) and must stay on a fixed port so the shell can find it.
export default defineConfig({
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    host: "127.0.0.1",
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The webviews Tauri v2 runs on: WebView2 (Chromium) on Windows, WKWebView on
    // macOS and WebKitGTK on Linux.
    target: ["es2021", "chrome105", "safari15"],
    // One small entry chunk: nothing to preload, and no inline polyfill script that
    // a strict CSP would have to allow.
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    sourcemap: false,
    reportCompressedSize: true,
  },
  test: {
    environment: "happy-dom",
    include: ["test/**/*.test.ts"],
    restoreMocks: true,
    // The stylesheets' own test reads them (`?raw`); nothing else imports CSS.
    css: { include: [/\/src\/styles(\/[\w-]+)?\.css/] },
  },
});
