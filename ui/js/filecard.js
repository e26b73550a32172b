// File messages drawn as cards: a download link with the original name and
// size, and for images an inline thumbnail that opens the full picture. Where
// the page cannot download by itself (the desktop app), the page passes an
// `onSave` that takes over the link's click.

import { el } from "./dom.js";
import { formatBytes, staticUrl } from "./format.js";

// Only types the server serves inline (server-core files.rs INLINE_IMAGES);
// anything else downloads, so a thumbnail of it would be a broken image.
const INLINE = /^image\/(png|jpeg|gif|webp|avif|bmp)$/i;

export function isImage(msg) {
  if (typeof msg.mime_type === "string" && msg.mime_type) return INLINE.test(msg.mime_type);
  return /\.(png|jpe?g|gif|webp|avif|bmp)$/i.test(msg.file_path ?? "");
}

/**
 * @param {object} msg a message with file_path
 * @param {(url: string, name: string) => void} onView called when a thumbnail is clicked
 * @param {((url: string, name: string) => void) | null} onSave saves a non-image
 *   file instead of following the link; null keeps the plain download link
 */
export function fileCard(msg, onView, onSave = null) {
  const url = staticUrl(msg.file_path);
  const name = msg.file_name || String(msg.file_path ?? "file").split("/").pop();
  if (!url) return el("p", { className: "msg-text file-missing", text: `${name} (unavailable)` });

  const image = isImage(msg);
  const extension = /\.([A-Za-z0-9]{1,5})$/.exec(name)?.[1].toUpperCase() ?? "FILE";
  const preview = image
    ? el("img", { className: "file-thumb", attrs: { src: url, alt: name, loading: "lazy", decoding: "async" } })
    : el("span", { className: "file-icon", text: extension, attrs: { "aria-hidden": "true" } });
  const size = formatBytes(msg.file_size);
  const card = el("a", {
    className: image ? "file-card image" : "file-card",
    attrs: { href: url, download: name, title: image ? `View ${name}` : `Download ${name}` },
  },
  preview,
  el("span", { className: "file-info" },
    el("span", { className: "file-name", text: name }),
    el("span", { className: "file-size", text: size })));
  if (image) {
    // A plain click views; modified clicks (new tab, save) keep the link's meaning.
    card.addEventListener("click", (e) => {
      if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      onView(url, name);
    });
  } else if (onSave) {
    card.addEventListener("click", (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      onSave(url, name);
    });
  }
  return card;
}
