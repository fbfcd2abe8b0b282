#!/usr/bin/env node
/**
 * Makes TypeDoc's markdown (api/, from the packages' TSDoc comments) safe for VitePress, whose
 * pages are Vue templates:
 *
 * - VitePress lets a line that starts with a tag (`<rank>`) open an HTML block, even inside a
 *   paragraph, so TSDoc text such as "magic `00 00 <type>\n<rank>`" becomes an unclosed
 *   element. Such lines are joined to the paragraph they continue.
 * - `{{ }}` in text would be Vue interpolation: every page is wrapped in `<div v-pre>`.
 *
 *   node scripts/api-postprocess.cjs [api-dir]
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const WRAP_OPEN = '<div v-pre>';

/** The fixed markdown of one page. Idempotent. */
function fixApiMarkdown(text) {
  if (text.startsWith(`${WRAP_OPEN}\n`)) return text;
  const out = [];
  let fence = null;
  for (const line of text.split('\n')) {
    const f = /^\s*(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (fence === null) fence = f[1];
      else if (line.trim().startsWith(fence)) fence = null;
      out.push(line);
      continue;
    }
    const prev = out.length ? out[out.length - 1] : '';
    const continuesParagraph = prev.trim() !== '' && !/^\s*(#|\||>|[-*+] |\d+\. |```|~~~)/.test(prev);
    if (fence === null && /^\s*</.test(line) && continuesParagraph) out[out.length - 1] = `${prev} ${line.trim()}`;
    else out.push(line);
  }
  return `${WRAP_OPEN}\n\n${out.join('\n').trimEnd()}\n\n</div>\n`;
}

function fixTree(dir) {
  let n = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) n += fixTree(p);
    else if (entry.name.endsWith('.md')) {
      const text = fs.readFileSync(p, 'utf8');
      const fixed = fixApiMarkdown(text);
      if (fixed !== text) fs.writeFileSync(p, fixed);
      n++;
    }
  }
  return n;
}

module.exports = { fixApiMarkdown };

if (require.main === module) {
  const dir = path.resolve(process.argv[2] || path.join(__dirname, '../api'));
  if (!fs.existsSync(dir)) {
    process.stderr.write(`api-postprocess: ${dir} does not exist; run typedoc first\n`);
    process.exit(1);
  }
  process.stdout.write(`api-postprocess: ${fixTree(dir)} pages\n`);
}
