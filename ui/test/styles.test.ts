// The stylesheets: one per view, every colour from the shared tokens.
import { expect, test } from "vitest";

const sheets = import.meta.glob<string>("../src/styles/*.css", { query: "?raw", import: "default", eager: true });
const index = import.meta.glob<string>("../src/styles.css", { query: "?raw", import: "default", eager: true });

const name = (path: string): string => path.replace(/^.*\//, "");
const tokens = Object.entries(sheets).find(([path]) => name(path) === "tokens.css")?.[1] ?? "";
const defined = new Set([...tokens.matchAll(/(--[\w-]+)\s*:/g)].map((m) => m[1]));

test("styles.css imports every sheet, the tokens first", () => {
  const text = Object.values(index)[0] ?? "";
  const imported = [...text.matchAll(/@import "\.\/styles\/([\w-]+\.css)";/g)].map((m) => m[1]);
  expect(imported[0]).toBe("tokens.css");
  expect([...imported].sort()).toEqual(Object.keys(sheets).map(name).sort());
});

test("every custom property a view uses is a token", () => {
  for (const [path, text] of Object.entries(sheets)) {
    for (const [, property] of text.matchAll(/var\((--[\w-]+)/g)) {
      expect(defined.has(property), `${name(path)} uses ${property}, which tokens.css does not define`).toBe(true);
    }
  }
});

test("no view sheet has a colour of its own", () => {
  for (const [path, text] of Object.entries(sheets)) {
    if (name(path) === "tokens.css") continue;
    const literal = text.replace(/\/\*[\s\S]*?\*\//g, "").match(/#[0-9a-f]{3,8}\b|rgba?\(|hsla?\(/i);
    expect(literal?.[0], `${name(path)} has a colour literal; add a token to tokens.css`).toBeUndefined();
  }
});
