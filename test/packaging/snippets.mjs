// The runnable snippets of a README or docs page: each code block preceded by `<!-- test: NAME -->`
// (invisible on npm and GitHub), by NAME. Tests write them to files as they are and run them.
import { readFileSync } from 'node:fs';

/** NAME -> code of every `<!-- test: NAME -->` block in `file`; throws if there is none. */
export function snippets(file) {
  const text = readFileSync(file, 'utf8');
  const out = {};
  const re = /<!-- test: ([^\s]+) -->\n```[^\n]*\n([\s\S]*?)\n```/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (out[m[1]] !== undefined) throw new Error(`${file}: two snippets named ${m[1]}`);
    out[m[1]] = `${m[2]}\n`;
  }
  if (Object.keys(out).length === 0) throw new Error(`${file}: no <!-- test: NAME --> snippet`);
  return out;
}
