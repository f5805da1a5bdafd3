// The settings panel: launch at login and the thumbnail cache location go to the shell as
// they are; a refused save keeps the panel open with the shell's sentence.
import { afterEach, describe, expect, test } from "vitest";
import type { Settings } from "../src/ipc";
import { SettingsPanel } from "../src/views/settings";
import { mockShell, one, resetShell, settle, type Call, type Handler } from "./helpers";

let panel: SettingsPanel | null = null;

afterEach(() => {
  panel = null;
  document.body.replaceChildren();
  resetShell();
});

const stored: Settings = {
  modelSource: "hub:openai/clip-vit-base-patch32",
  nextModelSource: null,
  cpuThreads: 0,
  cpuLimit: 100,
  thumbnailDir: null,
  launchAtLogin: false,
  sensitivity: 0,
};

let sensitivityChanges = 0;

async function openPanel(handlers: Record<string, Handler> = {}): Promise<{ calls: Call[]; infos: string[] }> {
  const infos: string[] = [];
  sensitivityChanges = 0;
  const calls = mockShell({ getSettings: () => stored, setSettings: (args) => args.settings, ...handlers });
  panel = new SettingsPanel({
    onError: () => {},
    onInfo: (m) => infos.push(m),
    onSensitivity: () => sensitivityChanges++,
  });
  document.body.append(panel.element);
  await panel.open();
  return { calls, infos };
}

function slide(value: number): void {
  const slider = one<HTMLInputElement>("sensitivity");
  slider.value = String(value);
  slider.dispatchEvent(new Event("input", { bubbles: true }));
}

function save(): void {
  one<HTMLButtonElement>("settings-save").click();
}

describe("settings", () => {
  test("launch at login and a thumbnail folder are saved as chosen", async () => {
    const { calls, infos } = await openPanel();
    one<HTMLInputElement>("settings-launch").click();
    one<HTMLInputElement>("settings-thumbnail-dir").value = "  /mnt/big/glimpse-thumbs ";
    save();
    await settle(10);
    const saved = calls.find((c) => c.cmd === "setSettings")?.args.settings as Settings;
    expect(saved).toEqual({ ...stored, launchAtLogin: true, thumbnailDir: "/mnt/big/glimpse-thumbs" });
    expect(panel?.isOpen).toBe(false);
    expect(infos).toEqual(["Settings saved."]);
  });

  test("the processor share shows as stored and is saved as chosen", async () => {
    const { calls } = await openPanel({ getSettings: () => ({ ...stored, cpuLimit: 50 }) });
    const select = one<HTMLSelectElement>("settings-cpu-limit");
    expect(select.value).toBe("50");
    expect([...select.options].map((o) => o.value)).toEqual(["100", "75", "50", "25"]);
    select.value = "25";
    save();
    await settle(10);
    expect((calls.find((c) => c.cmd === "setSettings")?.args.settings as Settings).cpuLimit).toBe(25);
  });

  test("a hand-edited CPU limit outside the choices is shown, not lost", async () => {
    const { calls } = await openPanel({ getSettings: () => ({ ...stored, cpuLimit: 40 }) });
    expect(one<HTMLSelectElement>("settings-cpu-limit").value).toBe("40");
    save();
    await settle(10);
    expect((calls.find((c) => c.cmd === "setSettings")?.args.settings as Settings).cpuLimit).toBe(40);
  });

  test("an empty thumbnail folder means the default (null)", async () => {
    const { calls } = await openPanel({ getSettings: () => ({ ...stored, thumbnailDir: "/mnt/old" }) });
    expect(one<HTMLInputElement>("settings-thumbnail-dir").value).toBe("/mnt/old");
    one<HTMLInputElement>("settings-thumbnail-dir").value = "";
    save();
    await settle(10);
    expect((calls.find((c) => c.cmd === "setSettings")?.args.settings as Settings).thumbnailDir).toBeNull();
  });

  test("a refused folder keeps the panel open with the shell's sentence", async () => {
    await openPanel({
      setSettings: () => Promise.reject({ code: "invalid", message: "/home/me/a-file: this is a file, not a folder." }),
    });
    one<HTMLInputElement>("settings-thumbnail-dir").value = "/home/me/a-file";
    save();
    expect(one("settings-save").textContent, "the button says what takes time").toBe("Moving thumbnails…");
    await settle(10);
    expect(panel?.isOpen).toBe(true);
    expect(one("settings-message").hidden).toBe(false);
    expect(one("settings-message").textContent).toBe("/home/me/a-file: this is a file, not a folder.");
    expect(one("settings-save").textContent).toBe("Save");
  });

  test("match sensitivity: five positions, Looser to Stricter, saved and applied at once", async () => {
    const { calls } = await openPanel({ getSettings: () => ({ ...stored, sensitivity: 1 }) });
    const slider = one<HTMLInputElement>("sensitivity");
    expect([slider.min, slider.max, slider.step]).toEqual(["-2", "2", "1"]);
    expect(slider.value, "the stored position").toBe("1");
    expect(slider.getAttribute("aria-valuetext")).toBe("A little stricter");
    expect(one("settings").textContent).toContain("Where good matches end");
    // Editing another field and then moving the slider applies only the slider.
    one<HTMLInputElement>("settings-thumbnail-dir").value = "/mnt/elsewhere";
    slide(-2);
    await settle(10);
    const sent = calls.filter((c) => c.cmd === "setSettings").map((c) => c.args.settings as Settings);
    expect(sent).toEqual([{ ...stored, sensitivity: -2 }]);
    expect(one("sensitivity-value").textContent).toBe("Looser");
    expect(slider.getAttribute("aria-valuetext")).toBe("Looser");
    expect(sensitivityChanges, "the app searches again").toBe(1);
    expect(panel?.isOpen, "no Save needed").toBe(true);
    slide(2);
    await settle(10);
    expect((calls.filter((c) => c.cmd === "setSettings").at(-1)?.args.settings as Settings).sensitivity).toBe(2);
    expect(one("sensitivity-value").textContent).toBe("Stricter");
  });

  test("a refused sensitivity goes back to the stored position and says why", async () => {
    await openPanel({ setSettings: () => Promise.reject({ code: "io", message: "settings.json: write: disk full" }) });
    slide(1);
    await settle(10);
    expect(one<HTMLInputElement>("sensitivity").value).toBe("0");
    expect(one("settings-message").textContent).toBe("Settings.json: write: disk full.");
    expect(sensitivityChanges).toBe(0);
  });
});
