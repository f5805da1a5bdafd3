// Thumbnail URLs. Image bytes never travel over `invoke`: the `thumb` scheme serves them.
import { convertFileSrc } from "@tauri-apps/api/core";

/**
 * URL of a thumbnail. `convertFileSrc` gives `thumb://localhost/<id>`, or
 * `http://thumb.localhost/<id>` on Windows. `version` > 0 busts the webview's cache after
 * `glimpse://thumbnails-ready` announced a new thumbnail for that content.
 */
export function thumbUrl(contentId: number, version = 0): string {
  const url = convertFileSrc(String(contentId), "thumb");
  return version > 0 ? `${url}?v=${version}` : url;
}
