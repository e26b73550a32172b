// Small DOM helpers. Everything a user typed reaches the page through
// textContent or attributes set here, never through HTML parsing.

import { avatarUrl, DEFAULT_AVATAR } from "./format.js";

/** The element with this id; throws so a page/script mismatch fails loudly. */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the page`);
  return node;
}

/**
 * Build an element.
 *   el("a", { className: "x", text: "hi", attrs: { href }, dataset: { id: 1 }, on: { click } }, child, ...)
 * Attribute values of null, undefined or false are skipped; true sets an empty attribute.
 * Children may be nodes, strings (added as text), or null/false (skipped).
 */
export function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  const { className, text, attrs, dataset, on } = options;
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const [key, value] of Object.entries(dataset ?? {})) node.dataset[key] = String(value);
  for (const [type, handler] of Object.entries(on ?? {})) node.addEventListener(type, handler);
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * A person's name in a list to choose from: the name shown and, beside a
 * display name, "@username" (people.js nameOf, handleOf).
 */
export function personName(name, handle) {
  return el("span", { className: "person-name" },
    name, handle ? el("span", { className: "person-handle", text: ` ${handle}` }) : null);
}

/** Point an <img> at a user's picture, falling back to the default avatar
 *  if the file is gone (deleted upload, server moved). */
export function setAvatar(img, profilePic) {
  const url = avatarUrl(profilePic);
  img.onerror = url === DEFAULT_AVATAR ? null : () => {
    img.onerror = null;
    img.src = DEFAULT_AVATAR;
  };
  img.src = url;
}

/** Show text in a status element for a while. Repeated calls restart the clock. */
export function flash(node, text, ms = 4000) {
  clearTimeout(node._flashTimer);
  node.textContent = text;
  node.hidden = false;
  node._flashTimer = setTimeout(() => {
    node.hidden = true;
    node.textContent = "";
  }, ms);
}

/** Show or hide a form's inline message element. */
export function showMessage(node, text) {
  node.textContent = text ?? "";
  node.hidden = !text;
}

/**
 * Put text on the clipboard. The Clipboard API exists only in secure
 * contexts, and a LAN server is usually plain http on an address, so there
 * the older copy command does it from a short-lived, off-screen textarea.
 */
export async function copyText(text) {
  if (navigator.clipboard?.writeText) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const focused = document.activeElement;
  const area = el("textarea", { className: "visually-hidden", attrs: { readonly: true, "aria-hidden": "true" } });
  area.value = text;
  document.body.append(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  if (focused instanceof HTMLElement) focused.focus({ preventScroll: true });
  if (!copied) throw new Error("The browser refused to copy.");
}
