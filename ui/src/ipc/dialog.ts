// Native dialogs (tauri-plugin-dialog).
import { open } from "@tauri-apps/plugin-dialog";
import { toGlimpseError } from "./error";

/** Asks for one or more folders; `[]` when the user cancels. */
export async function chooseFolders(title: string): Promise<string[]> {
  try {
    const picked = await open({ directory: true, multiple: true, title });
    if (picked === null) return [];
    return Array.isArray(picked) ? picked : [picked];
  } catch (error) {
    throw toGlimpseError(error);
  }
}

/** Asks for one folder; `null` when the user cancels. */
export async function chooseFolder(title: string): Promise<string | null> {
  try {
    const picked = await open({ directory: true, multiple: false, title });
    return typeof picked === "string" ? picked : null;
  } catch (error) {
    throw toGlimpseError(error);
  }
}
