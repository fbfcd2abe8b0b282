import { TitokError } from '@titok/core';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Makes text from a file safe for a one-line message: control characters (newlines included)
 * become `\xNN` / `\uNNNN` escapes and the text is cut at `max` characters.
 */
export function oneLine(text: string, max = 1000): string {
  const s = text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Rewrites a TitokError's message in place to one line (names and JSON snippets come from files). */
export function toOneLine<E>(e: E): E {
  if (e instanceof TitokError) e.message = oneLine(e.message);
  return e;
}
