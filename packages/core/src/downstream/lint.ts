// The log linter behind `loglane check`: reads lines one at a time and reports what would break a
// table or an index downstream — a field with two types, keys that collide once lower-cased, lines
// over the cap, lines that are not one JSON object, records that break the contract.

import { checkRecord } from '../schema.js';
import { terminalSafe } from '../terminal-text.js';
import { valueKind } from './columns.js';
import type { ValueKind } from './columns.js';

/** What `lintLines` looks for. */
export type LintProblemKind = 'not-json-object' | 'over-cap' | 'type-conflict' | 'case-collision' | 'contract';

/** One problem, with how many lines show it and the first of them (1-based). */
export interface LintProblem {
  kind: LintProblemKind;
  /** Field path (`orderId`, `order.items` with nestedMeta), or '' for whole-line problems. */
  path: string;
  /** What is wrong, in words. */
  detail: string;
  /** Lines showing the problem. */
  count: number;
  /** The first line that shows it (1-based). */
  firstLine: number;
}

/** Result of `lintLines`. */
export interface LintReport {
  /** Lines read (blank lines included). */
  lines: number;
  /** Lines that were one JSON object. */
  records: number;
  /** Problems, in the order they were first seen. Empty when the lines are fit to load. */
  problems: LintProblem[];
}

/** Options of `lintLines` and `loglane check`. */
export interface LintOptions {
  /** A line longer than this many UTF-8 bytes (newline not counted) is reported. @default 15360 (the library's cap) */
  maxLineBytes?: number;
  /** Called every `progressEvery` lines with the count so far (the CLI's progress line). @default none */
  onProgress?: (lines: number) => void;
  /** @default 10000 */
  progressEvery?: number;
}

/** The library's default line cap (`maxLineBytes` of `createLogger`), below Docker's 16 KiB split. */
export const DEFAULT_MAX_LINE_BYTES = 15360;

interface PathState {
  kinds: Map<Exclude<ValueKind, 'null'>, { count: number; firstLine: number }>;
}

/**
 * Reads lines (without their `\n`) from any async or sync iterable — a readline interface over
 * stdin, a file stream split into lines, an array — and reports every problem with its count and the
 * first line that shows it. Memory grows with the number of distinct field paths, not with lines.
 */
export async function lintLines(lines: AsyncIterable<string> | Iterable<string>, options: LintOptions = {}): Promise<LintReport> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const every = options.progressEvery ?? 10_000;
  const problems = new Map<string, LintProblem>();
  const note = (kind: LintProblemKind, path: string, detail: string, line: number): void => {
    const key = `${kind}\u0000${path}\u0000${detail}`;
    const known = problems.get(key);
    if (known) known.count++;
    else problems.set(key, { kind, path, detail, count: 1, firstLine: line });
  };
  const paths = new Map<string, PathState>();
  // Every spelling of a path once lower-cased: two spellings land in one Glue column / one ES field
  // for case-insensitive readers.
  const spellings = new Map<string, Map<string, { count: number; firstLine: number }>>();
  let lineNumber = 0;
  let records = 0;

  const visit = (object: Record<string, unknown>, prefix: string, line: number): void => {
    const lowerHere = new Map<string, string>();
    for (const [key, value] of Object.entries(object)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      const lower = path.toLowerCase();
      const twin = lowerHere.get(key.toLowerCase());
      if (twin !== undefined) note('case-collision', path, `"${twin}" and "${key}" are in one record and are the same key once lower-cased`, line);
      lowerHere.set(key.toLowerCase(), key);
      let seen = spellings.get(lower);
      if (!seen) spellings.set(lower, (seen = new Map()));
      const spelling = seen.get(path);
      if (spelling) spelling.count++;
      else seen.set(path, { count: 1, firstLine: line });
      const kind = valueKind(value);
      if (kind === 'null') continue;
      let state = paths.get(path);
      if (!state) paths.set(path, (state = { kinds: new Map() }));
      const k = state.kinds.get(kind);
      if (k) k.count++;
      else state.kinds.set(kind, { count: 1, firstLine: line });
      if (kind === 'object') visit(value as Record<string, unknown>, path, line);
    }
  };

  for await (const line of lines) {
    lineNumber++;
    if (options.onProgress && lineNumber % every === 0) options.onProgress(lineNumber);
    const bytes = Buffer.byteLength(line);
    if (bytes > maxLineBytes) note('over-cap', '', `longer than ${maxLineBytes} bytes`, lineNumber);
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      note('not-json-object', '', line.trim() === '' ? 'blank line' : 'not JSON', lineNumber);
      continue;
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      note('not-json-object', '', `a JSON ${valueKind(record)}, not an object`, lineNumber);
      continue;
    }
    records++;
    for (const problem of checkRecord(record)) note('contract', '', problem, lineNumber);
    visit(record as Record<string, unknown>, '', lineNumber);
  }

  for (const [lower, seen] of spellings) {
    if (seen.size < 2) continue;
    const [, ...others] = [...seen.values()];
    problems.set(`case-collision\u0000${lower}`, {
      kind: 'case-collision',
      path: lower,
      detail: `${[...seen.entries()].map(([p, k]) => `"${p}" (${k.count} line${k.count === 1 ? '' : 's'})`).join(' and ')} are one column once lower-cased`,
      count: others.reduce((n, k) => n + k.count, 0),
      firstLine: Math.min(...others.map((k) => k.firstLine)),
    });
  }
  for (const [path, state] of paths) {
    if (state.kinds.size < 2) continue;
    const kinds = [...state.kinds.entries()].sort((a, b) => a[1].firstLine - b[1].firstLine);
    const [, second] = kinds[1] ?? [];
    const minority = kinds.slice(1).reduce((n, [, k]) => n + k.count, 0);
    const detail = kinds.map(([kind, k]) => `${kind} on ${k.count} line${k.count === 1 ? '' : 's'} (first ${k.firstLine})`).join(', ');
    problems.set(`type-conflict\u0000${path}`, { kind: 'type-conflict', path, detail, count: minority, firstLine: second?.firstLine ?? 0 });
  }
  return { lines: lineNumber, records, problems: [...problems.values()].sort((a, b) => a.firstLine - b.firstLine) };
}

/**
 * The report as text for a terminal: one line per problem, then a summary line. Key paths come
 * from the lines checked: a control character in one is printed as an escape, never acted on.
 */
export function formatLintReport(report: LintReport): string {
  const out = report.problems.map(
    (p) =>
      `${p.kind.padEnd(16)} ${p.path === '' ? '' : `${terminalSafe(p.path)}: `}${terminalSafe(p.detail)} — ${p.count} line${p.count === 1 ? '' : 's'}, first on line ${p.firstLine}`,
  );
  out.push(
    report.problems.length === 0
      ? `ok: ${report.lines} lines, ${report.records} records, no problems`
      : `${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} in ${report.lines} lines (${report.records} records)`,
  );
  return `${out.join('\n')}\n`;
}
