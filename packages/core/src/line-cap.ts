// Fits an encoded record under the line cap by re-cutting what was encoded, in the contract's cut
// order (bodies, headers, stack, error message, user agent, URL, message; metadata values alongside):
// values are never walked or redacted again, the line stays valid JSON, and it says `truncated`.

import type { TraceContext } from './context.js';
import type { Redactor } from './redact.js';
import type { RecordDraft } from './record-draft.js';
import type { DetailFields } from './schema.js';
import { CUT_MARKER, cutString, redactAndCut, stringOf } from './serialize.js';

export const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/** Per-field character limits; `ranks` is indexed by a field's `cut` rank (bodies 0 … message 6), `meta` applies to each metadata value. */
export interface LineCapBudget {
  readonly ranks: readonly number[];
  readonly meta: number;
}

/** A value on the line the cap may cut further: its span in `body` and its redacted text. */
export interface CuttableValue {
  readonly start: number;
  readonly end: number;
  /** Redacted text of the value (a string, or JSON text), without the cut marker. */
  readonly text: string;
  /** `text` is already the start of a longer value. */
  readonly cut: boolean;
  /** Cut rank of the field (schema.ts); `-1` for a metadata value. */
  readonly rank: number;
}

/**
 * A record encoded once: its JSON text without the closing brace, the values that may be cut, and
 * what the last-resort line is made from.
 */
export interface EncodedLine {
  body: string;
  /** The values the cap may cut, in line order; `undefined` when there is none. */
  cuts: CuttableValue[] | undefined;
  truncated: boolean;
  readonly timestamp: string;
  readonly draft: Pick<RecordDraft, 'level' | 'context'>;
  /** The library fields, error fields included. */
  readonly fields: DetailFields | undefined;
  readonly trace: TraceContext | undefined;
  /** The redacted message text, uncut (the last-resort line cuts it). */
  message: string;
  /** The redacted URL text of an HTTP record, uncut. */
  originalUrl: string | undefined;
}

// Ever tighter limits, tried in turn when a line is over its cap: bodies first, then stacks, then the rest.
const SHRINK_STEPS: readonly LineCapBudget[] = [
  { ranks: [1024, 1024, NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT], meta: NO_LIMIT },
  { ranks: [128, 128, 4096, NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT], meta: 2048 },
  { ranks: [64, 64, 1024, 1024, 256, 1024, 2048], meta: 256 },
  { ranks: [0, 0, 256, 256, 64, 256, 256], meta: 32 },
];
/** The least each rank (and, last, metadata) is cut to: a value no longer than this is never cut. */
const SMALLEST_LIMITS: readonly number[] = [
  ...Array.from({ length: 7 }, (_, rank) => Math.min(...SHRINK_STEPS.map((step) => step.ranks[rank] ?? NO_LIMIT))),
  Math.min(...SHRINK_STEPS.map((step) => step.meta)),
];

/** Whether the line cap may ever cut a value of this length at this rank (`-1`: metadata). */
export function mayCut(rank: number, length: number): boolean {
  return length > (SMALLEST_LIMITS[rank < 0 ? 7 : rank] ?? 0);
}

/** Character limits of the last-resort line, tried in turn until it fits (JSON escapes can make a character 6 bytes). */
const MINIMAL_LIMITS = [256, 64, 16, 0] as const;

const SEPARATORS_ALL = /[\u0085\u2028\u2029]/g;
const escapeSeparator = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
/**
 * Whether a line holds a separator. Three `indexOf`s cost a fifth of one regex test: each is a fast
 * scan, and on a one-byte string V8 answers the two-byte searches without scanning.
 */
const hasSeparator = (line: string): boolean =>
  line.indexOf('\u0085') !== -1 || line.indexOf('\u2028') !== -1 || line.indexOf('\u2029') !== -1;
/** Escapes the separators `JSON.stringify` leaves raw; done before a line is measured, as `\u2028` is longer than the raw character. */
export const escapeSeparators = (line: string): string => (hasSeparator(line) ? line.replace(SEPARATORS_ALL, escapeSeparator) : line);

/** Whether a line is at most `maxLineBytes` bytes in UTF-8. */
export function fits(line: string, maxLineBytes: number): boolean {
  // A UTF-16 unit is at most 3 UTF-8 bytes: a line this short needs no byte count.
  return line.length * 3 <= maxLineBytes || Buffer.byteLength(line) <= maxLineBytes;
}

/**
 * The line (ending in `\n`) of an encoded record, cut to fit `maxLineBytes`. Under a record budget
 * (`maxRecordBytes`, below the cap) a record over it first has its bodies and headers cut until it fits.
 */
export function fitLine(
  encoded: EncodedLine,
  maxLineBytes: number,
  redactor: Redactor,
  label: string,
  version: string | undefined,
  maxRecordBytes: number = maxLineBytes,
): string {
  const line = escapeSeparators(encoded.truncated ? `${encoded.body},"truncated":true}\n` : `${encoded.body}}\n`);
  if (fits(line, maxRecordBytes)) return line;
  if (maxRecordBytes < maxLineBytes) {
    const budgeted = fitBudget(encoded, maxRecordBytes);
    if (budgeted !== undefined && fits(budgeted, maxLineBytes)) return budgeted;
  }
  if (fits(line, maxLineBytes)) return line;
  for (const budget of SHRINK_STEPS) {
    const cutLine = escapeSeparators(`${recut(encoded, budget)},"truncated":true}\n`);
    if (fits(cutLine, maxLineBytes)) return cutLine;
  }
  return minimal(encoded, maxLineBytes, redactor, label, version);
}

/** Limits tried in turn on bodies (rank 0) and then headers (rank 1) to bring a record under its budget. */
const BUDGET_STEPS: readonly LineCapBudget[] = [
  ...[2048, 1024, 512, 256, 128, 64, 0].map((limit) => ({ ranks: [limit, NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT], meta: NO_LIMIT })),
  ...[1024, 256, 0].map((limit) => ({ ranks: [0, limit, NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT], meta: NO_LIMIT })),
];

/**
 * The record with its bodies (then headers) cut as little as brings it under `budget`, or cut to
 * nothing when no cut does; `undefined` when it has neither to cut. Nothing else is cut for a budget.
 */
function fitBudget(encoded: EncodedLine, budget: number): string | undefined {
  if (encoded.cuts?.some((value) => value.rank <= 1) !== true) return undefined;
  let line: string | undefined;
  for (const step of BUDGET_STEPS) {
    line = escapeSeparators(`${recut(encoded, step)},"truncated":true}\n`);
    if (fits(line, budget)) return line;
  }
  return line;
}

/** The body with every cuttable value cut to its limit in `budget`, from its encoded text. */
function recut(encoded: EncodedLine, budget: LineCapBudget): string {
  const body = encoded.body;
  let out = '';
  let pos = 0;
  for (const value of encoded.cuts ?? []) {
    const limit = value.rank < 0 ? budget.meta : (budget.ranks[value.rank] ?? NO_LIMIT);
    if (value.text.length <= limit) continue;
    out += body.slice(pos, value.start) + JSON.stringify(cutString(value.text, limit) + CUT_MARKER);
    pos = value.end;
  }
  return pos === 0 ? body : out + body.slice(pos);
}

/**
 * Last resort when even tight limits do not fit: the fields every record has, and `truncated`. The
 * message and URL are cut from their redacted text, so no part of a credential survives the cut.
 */
function minimal(encoded: EncodedLine, maxLineBytes: number, redactor: Redactor, label: string, version: string | undefined): string {
  const { timestamp, trace, fields: http } = encoded;
  const { level, context } = encoded.draft;
  const message = encoded.message;
  const url = encoded.originalUrl;
  let line = '';
  for (const limit of MINIMAL_LIMITS) {
    const fields: Record<string, string> = {
      timestamp,
      level,
      context: cutString(context, limit),
      message: cutString(message, limit) + CUT_MARKER,
      label: cutString(label, limit),
    };
    if (version !== undefined) fields.version = cutString(version, limit);
    if (trace) {
      fields.traceId = cutString(trace.traceId, 128);
      fields.globalTraceId = cutString(trace.globalTraceId, 128);
    }
    // The fields an HTTP record cannot be without (see checkRecord) are kept, shortened.
    if (http?.method !== undefined) fields.method = redactAndCut(redactor, stringOf(http.method), limit);
    if (url !== undefined) fields.originalUrl = cutString(url, limit);
    let numbers = '';
    for (const name of ['statusCode', 'latencyMs'] as const) {
      const value = http?.[name];
      if (typeof value === 'number' && Number.isFinite(value)) numbers += `,"${name}":${Math.trunc(value)}`;
    }
    line = escapeSeparators(`${JSON.stringify(fields).slice(0, -1)}${numbers},"truncated":true}\n`);
    if (fits(line, maxLineBytes)) break;
  }
  return line;
}
