// Message text to DOM nodes: web addresses become links, and a small subset
// of Markdown is drawn: **bold** / __bold__, *italics* / _italics_,
// ~~strikethrough~~, `inline code`, ``` code blocks ```, > quotes, and
// - / * / 1. lists.
//
// Safety comes from what this module cannot do: every piece of text becomes
// a text node or an attribute set through the DOM, never HTML; the only
// attribute taken from the text is a link's href, and only after the URL
// parser says it is http: or https:. There is no [label](url) syntax, so a
// link always shows where it goes. Whatever does not parse is shown as the
// characters that were typed. Nothing is fetched: no previews, no images.
//
// A message without any of this renders as one paragraph whose textContent
// is the message, newlines and blank lines included (the bubble keeps them
// with white-space: pre-wrap).
//
// Mentions: given a `mention(name)` function, an `@name` token it accepts
// becomes a span (class "mention", and "self" when it names the reader);
// the server decides who a message mentions (docs/protocol.md, Mentions),
// so only the names the caller vouches for are marked. Tokens are found as
// the server finds them: no letter, digit or "_" right before the "@", the
// characters usernames hold after it, and a trailing "." or "-" left out
// when the name without it is the one mentioned.

import { el } from "./dom.js";

const FENCE = /^ {0,3}(`{3,})[^`]*$/; // the info string after the fence is ignored
const QUOTE = /^ {0,3}> ?(.*)$/;
const BULLET = /^ {0,3}[-*] +(\S.*)$/;
const NUMBERED = /^ {0,3}(\d{1,9})[.)] +(\S.*)$/;
// Deeper nesting is text: a message of 5,000 ">" or "*" must not become a
// DOM 5,000 levels deep.
const MAX_QUOTE_DEPTH = 3;
const MAX_INLINE_DEPTH = 6;

const MENTION_BEFORE = /[\p{L}\p{N}_]/u;
const MENTION_NAME = /[A-Za-z0-9_.-]+/y; // sticky: read in place, not from a copy of the rest

const WORD = /[\p{L}\p{N}]/u;
const SPACE = /\s/u;
// Where a bare address may start: the start of the text, after white space,
// or after an opening bracket, quote or emphasis mark.
const BEFORE_URL = /[\s([{"'*_~<]/u;
const URL_START = /^(?:https?:\/\/|www\.)/i;
const URL_STOP = /[\s<>"`\p{Cc}]/u;
// Punctuation that ends a sentence around an address rather than the address.
const URL_TRAILING = /[.,:;!?'*_~]/;

/**
 * The nodes for a message's text, as a DocumentFragment.
 * @param {object} [o]
 * @param {(name: string) => "self"|"other"|null} [o.mention] whether `@name`
 *   (as typed, any case) is a mention drawn as one, and of whom
 */
export function renderMarkup(text, { mention = null } = {}) {
  const fragment = document.createDocumentFragment();
  fragment.append(...blocks(String(text ?? "").split(/\r\n|\r|\n/), 0, mention));
  return fragment;
}

// --- blocks: line by line ----------------------------------------------------

function blocks(lines, depth, mention) {
  const out = [];
  let text = []; // lines of the paragraph being gathered
  const endParagraph = () => {
    // Blank lines at its edges are the gaps around blocks; inside it they stay.
    while (text.length && !text[0].trim()) text.shift();
    while (text.length && !text.at(-1).trim()) text.pop();
    if (text.length) out.push(el("p", {}, inline(text.join("\n"), 0, mention)));
    text = [];
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (fence) {
      const close = closingFence(lines, i + 1, fence[1].length);
      if (close >= 0) {
        endParagraph();
        out.push(el("pre", {}, el("code", { text: lines.slice(i + 1, close).join("\n") })));
        i = close + 1;
        continue;
      }
    }
    if (depth < MAX_QUOTE_DEPTH && QUOTE.test(line)) {
      const start = i;
      const quoted = [];
      for (let m; i < lines.length && (m = QUOTE.exec(lines[i])); i += 1) quoted.push(m[1]);
      const inside = blocks(quoted, depth + 1, mention);
      if (inside.length) {
        endParagraph();
        out.push(el("blockquote", {}, inside));
      } else {
        text.push(...lines.slice(start, i)); // only ">" marks: nothing to quote
      }
      continue;
    }
    const item = listItem(line);
    if (item) {
      endParagraph();
      const items = [];
      for (let next = item; next && next.ordered === item.ordered; next = listItem(lines[i])) {
        items.push(el("li", {}, inline(next.text, 0, mention)));
        i += 1;
      }
      const start = item.ordered && item.start !== 1 ? item.start : null;
      out.push(el(item.ordered ? "ol" : "ul", { attrs: { start } }, items));
      continue;
    }
    text.push(line);
    i += 1;
  }
  endParagraph();
  return out;
}

/** The index of the line closing a fence of `length` backticks, or -1. */
function closingFence(lines, from, length) {
  for (let i = from; i < lines.length; i += 1) {
    const m = /^ {0,3}(`{3,})\s*$/.exec(lines[i]);
    if (m && m[1].length >= length) return i;
  }
  return -1;
}

function listItem(line) {
  if (line === undefined) return null;
  const bullet = BULLET.exec(line);
  if (bullet) return { ordered: false, text: bullet[1] };
  const numbered = NUMBERED.exec(line);
  if (numbered) return { ordered: true, start: Number(numbered[1]), text: numbered[2] };
  return null;
}

// --- inline: code, links, emphasis ---------------------------------------------

const EMPHASIS = {
  "*": ["em", "strong", "strong em"],
  "_": ["em", "strong", "strong em"],
  "~": [null, "s", null],
};

/**
 * The nodes for a run of text. Code spans and links are atomic (nothing
 * inside them is markup); emphasis needs a closing mark of the same kind
 * and length, not touching a letter or digit on the outside (so snake_case
 * and 2*3*4 stay text) nor white space on the inside.
 */
function inline(text, depth, mention) {
  const out = [];
  let plain = "";
  const push = (node) => {
    if (plain) out.push(plain);
    plain = "";
    out.push(node);
  };
  const scan = new Scanner(text);
  let i = 0;
  while (i < text.length) {
    const code = scan.codeAt(i);
    if (code) {
      push(el("code", { text: code.content }));
      i = code.end;
      continue;
    }
    const link = scan.urlAt(i);
    if (link) {
      push(el("a", { text: link.text, attrs: { href: link.href, target: "_blank", rel: "noopener noreferrer" } }));
      i = link.end;
      continue;
    }
    const named = mention ? mentionAt(text, i, mention) : null;
    if (named) {
      push(el("span", { className: named.self ? "mention self" : "mention", text: named.text }));
      i += named.text.length;
      continue;
    }
    const c = text[i];
    if (c === "`" || c in EMPHASIS) {
      const run = runLength(text, i);
      const emphasis = depth < MAX_INLINE_DEPTH && c in EMPHASIS ? scan.emphasisAt(i, run) : null;
      if (emphasis) {
        const tags = EMPHASIS[c][run - 1].split(" ");
        let node = null;
        for (const tag of tags.reverse()) node = el(tag, {}, node ?? inline(text.slice(i + run, emphasis), depth + 1, mention));
        push(node);
        i = emphasis + run;
      } else {
        plain += text.slice(i, i + run); // an unmatched run stays text, whole
        i += run;
      }
      continue;
    }
    plain += c;
    i += 1;
  }
  if (plain) out.push(plain);
  return out;
}

/** A mention token at i that `mention` accepts: { text: "@name", self }, or null. */
function mentionAt(text, i, mention) {
  if (text[i] !== "@" || (i > 0 && MENTION_BEFORE.test(text[i - 1]))) return null;
  MENTION_NAME.lastIndex = i + 1;
  const name = MENTION_NAME.exec(text)?.[0];
  if (!name) return null;
  for (const candidate of [name, name.replace(/[.-]+$/, "")]) {
    const who = candidate && mention(candidate);
    if (who) return { text: `@${candidate}`, self: who === "self" };
  }
  return null;
}

function runLength(text, i) {
  let end = i;
  while (text[end] === text[i]) end += 1;
  return end - i;
}

/**
 * Finds code spans, links and closing emphasis marks in one run of text.
 * A search that found nothing is remembered, so text full of unmatched
 * marks costs linear time rather than quadratic.
 */
class Scanner {
  #text;
  #noClose = new Map(); // "`3" or "*1": searched from this index on and found nothing

  constructor(text) {
    this.#text = text;
  }

  /** A code span starting at i: { content, end }, or null. */
  codeAt(i) {
    const text = this.#text;
    if (text[i] !== "`" || text[i - 1] === "`") return null;
    const run = runLength(text, i);
    const key = `\`${run}`;
    if (this.#noClose.get(key) <= i) return null;
    for (let j = text.indexOf("`", i + run); j >= 0; j = text.indexOf("`", j)) {
      const closing = runLength(text, j);
      if (closing === run) {
        let content = text.slice(i + run, j);
        // One space either side lets a span start or end with a backtick.
        if (/^ .*[^ ].* $/s.test(content)) content = content.slice(1, -1);
        return { content, end: j + run };
      }
      j += closing;
    }
    this.#noClose.set(key, i);
    return null;
  }

  /** A bare web address starting at i: { text, href, end }, or null. */
  urlAt(i) {
    const text = this.#text;
    if (i > 0 && !BEFORE_URL.test(text[i - 1])) return null;
    if (!URL_START.test(text.slice(i, i + 8))) return null;
    let end = i;
    while (end < text.length && !URL_STOP.test(text[end])) end += 1;
    let raw = text.slice(i, end);
    for (;;) {
      const last = raw.at(-1);
      const unbalanced = (open, close) => last === close && count(raw, open) < count(raw, close);
      if (URL_TRAILING.test(last) || unbalanced("(", ")") || unbalanced("[", "]")) raw = raw.slice(0, -1);
      else break;
    }
    const www = /^www\./i.test(raw);
    if (!WORD.test(raw.replace(URL_START, "").charAt(0))) return null; // no host: "http://" or "www."
    let url;
    try {
      // A bare www. address gets https, which every public site speaks now.
      url = new URL(www ? `https://${raw}` : raw);
    } catch {
      return null;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    return { text: raw, href: url.href, end: i + raw.length };
  }

  /** The index of the mark closing emphasis opened by `run` marks at i, or null. */
  emphasisAt(i, run) {
    const text = this.#text;
    const mark = text[i];
    if (!EMPHASIS[mark][run - 1]) return null;
    const after = text[i + run];
    if (after === undefined || SPACE.test(after) || (i > 0 && WORD.test(text[i - 1]))) return null;
    const key = `${mark}${run}`;
    if (this.#noClose.get(key) <= i) return null;
    let j = i + run;
    while (j < text.length) {
      // Marks inside code or an address do not count.
      const atomic = this.codeAt(j) ?? this.urlAt(j);
      if (atomic) {
        j = atomic.end;
        continue;
      }
      if (text[j] !== mark) {
        j += 1;
        continue;
      }
      const closing = runLength(text, j);
      const next = text[j + closing];
      if (closing === run && j > i + run && !SPACE.test(text[j - 1]) && (next === undefined || !WORD.test(next))) {
        return j;
      }
      j += closing;
    }
    this.#noClose.set(key, i);
    return null;
  }
}

function count(text, char) {
  let n = 0;
  for (const c of text) if (c === char) n += 1;
  return n;
}
