// The log matchers as plain functions `(received, ...args) => { pass, message }`: the shape both
// jest's and vitest's `expect.extend` take, so one implementation serves both runners.

import { HTTP_REQUEST, HTTP_RESPONSE, checkRecord } from '../schema.js';
import { CAPTURED_LOGS, type CapturedLine, type CapturedLogs, describeViolations } from './capture.js';
import { type RecordPattern, closeness, formatMismatch, formatValue, isAsymmetricMatcher, matchesPattern } from './match.js';

/** What a matcher returns: jest's and vitest's `SyncExpectationResult`. */
export interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/** The part of jest's/vitest's matcher `this` the matchers read. */
export interface MatcherContext {
  isNot?: boolean;
}

/** What the matchers accept as `received`: a capture (or a filtered view of one), records, or raw lines. */
export type LogsLike = CapturedLogs | readonly object[] | readonly string[];

/** Expected ids of `toHaveConsistentTraceIds`. */
export interface TraceIdExpectation {
  /** Check only the records of this request (e.g. the `x-trace-id` response header). */
  traceId?: string;
  /** The `globalTraceId` they must all carry (e.g. the trace id of the `traceparent` you sent). */
  globalTraceId?: string;
}

/** How many of the nearest records a failure message shows. */
const NEAREST = 3;
/** How many matching records a message lists. */
const LISTED = 5;
const LINE_PREVIEW = 240;

function entriesOf(received: unknown, matcher: string): readonly CapturedLine[] {
  if (typeof received === 'object' && received !== null && CAPTURED_LOGS in received) {
    return (received as { [CAPTURED_LOGS]: readonly CapturedLine[] })[CAPTURED_LOGS];
  }
  if (Array.isArray(received)) {
    return received.map((item: unknown, index): CapturedLine => {
      if (typeof item === 'string') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(item);
        } catch {
          return { index, line: item, record: undefined, problems: ['line is not valid JSON'] };
        }
        const record = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as CapturedLine['record']) : undefined;
        return { index, line: item, record, problems: checkRecord(parsed) };
      }
      const record = typeof item === 'object' && item !== null ? (item as CapturedLine['record']) : undefined;
      return { index, line: `${JSON.stringify(item)}\n`, record, problems: checkRecord(item) };
    });
  }
  throw new TypeError(
    `@loglane/core/testing: ${matcher} expects a LogCapture (from captureLogs() or useLogCapture()), a filtered view of one, or an array of records or lines; received ${formatValue(received)}`,
  );
}

function checkPattern(pattern: unknown, matcher: string): RecordPattern {
  if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern) || isAsymmetricMatcher(pattern) || pattern instanceof RegExp) {
    throw new TypeError(`@loglane/core/testing: ${matcher} expects a partial record such as { context: 'HttpResponse', statusCode: 200 }; received ${formatValue(pattern)}`);
  }
  return pattern as RecordPattern;
}

function header(ctx: MatcherContext | void, matcher: string, args: string): string {
  return `expect(logs).${ctx?.isNot ? 'not.' : ''}${matcher}(${args})\n\n`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `#3 warn HttpResponse "POST /orders 400 2ms"`: how a message names a record. */
export function summarize(entry: CapturedLine): string {
  const r = entry.record;
  if (!r) return `#${entry.index} (not a JSON record)`;
  return `#${entry.index} ${String(r.level)} ${String(r.context)} ${formatValue(r.message)}`;
}

/** Fields the summary already shows, or that every record of a service has alike. */
const SUMMARY_FIELDS = new Set(['timestamp', 'level', 'context', 'message', 'label', 'version', 'traceId', 'globalTraceId']);

/** The rest of a record (the raw text for a line that is not one), cut to a readable length. */
function preview(entry: CapturedLine): string {
  let text: string;
  if (entry.record) {
    const rest = Object.entries(entry.record).filter(([k]) => !SUMMARY_FIELDS.has(k));
    text = rest.length === 0 ? '(no other fields)' : formatValue(Object.fromEntries(rest));
  } else {
    text = entry.line.trimEnd();
  }
  return text.length > LINE_PREVIEW ? `${text.slice(0, LINE_PREVIEW)}…` : text;
}

function listEntries(entries: readonly CapturedLine[]): string {
  const shown = entries.slice(0, LISTED).map((e) => `  ${summarize(e)}\n     ${preview(e)}`);
  if (entries.length > LISTED) shown.push(`  … and ${entries.length - LISTED} more`);
  return shown.join('\n');
}

/**
 * The records closest to `pattern`, ranked by the number of the pattern's fields they match (then by
 * fewer differences, then by position), each with the fields that differ and the line itself.
 */
export function describeNearest(
  entries: readonly CapturedLine[],
  pattern: RecordPattern,
  title: string,
  none = 'No records were captured. Is the capture started, and is the app logging through a loglane logger?',
): string {
  const candidates = entries.filter((e) => e.record !== undefined);
  if (candidates.length === 0) {
    return entries.length === 0 ? none : `None of the ${plural(entries.length, 'captured line')} is a JSON record.`;
  }
  const ranked = candidates
    .map((e) => ({ e, c: closeness(e.record, pattern) }))
    .sort((a, b) => b.c.matched - a.c.matched || a.c.mismatches.length - b.c.mismatches.length || a.e.index - b.e.index)
    .slice(0, NEAREST);
  const parts = ranked.map(({ e, c }) => {
    const diffs = c.mismatches.map((m) => `     ${formatMismatch(m)}`).join('\n');
    return `  ${summarize(e)} matches ${c.matched} of ${plural(c.total, 'field')}\n${diffs}\n     ${preview(e)}`;
  });
  return `${title}:\n${parts.join('\n')}`;
}

/**
 * Passes when at least one captured record matches `pattern` (a partial record: extra fields are
 * ignored, nested objects match partially, asymmetric matchers work; a JSON-encoded string field such
 * as `responseBody` matches an object or array pattern against its parsed value).
 */
export function toHaveLogged(this: MatcherContext | void, received: unknown, pattern: RecordPattern): MatcherResult {
  const entries = entriesOf(received, 'toHaveLogged');
  const want = checkPattern(pattern, 'toHaveLogged');
  const found = entries.filter((e) => e.record !== undefined && matchesPattern(e.record, want));
  const head = header(this, 'toHaveLogged', 'expected');
  const pass = found.length > 0;
  return {
    pass,
    message: pass
      ? () => `${head}Expected no record matching\n  ${formatValue(want)}\nbut found ${found.length}:\n${listEntries(found)}`
      : () =>
          `${head}Expected a record matching\n  ${formatValue(want)}\nbut none of the ${plural(entries.length, 'captured record')} matches.\n\n` +
          describeNearest(entries, want, 'Nearest records'),
  };
}

/** Passes when exactly `times` captured records match `pattern` (see `toHaveLogged` for matching). */
export function toHaveLoggedTimes(this: MatcherContext | void, received: unknown, pattern: RecordPattern, times: number): MatcherResult {
  const entries = entriesOf(received, 'toHaveLoggedTimes');
  const want = checkPattern(pattern, 'toHaveLoggedTimes');
  if (!Number.isInteger(times) || times < 0) {
    throw new TypeError(`@loglane/core/testing: toHaveLoggedTimes expects a count (an integer ≥ 0) as its second argument; received ${formatValue(times)}`);
  }
  const found = entries.filter((e) => e.record !== undefined && matchesPattern(e.record, want));
  const head = header(this, 'toHaveLoggedTimes', 'expected, times');
  const pass = found.length === times;
  return {
    pass,
    message: pass
      ? () => `${head}Expected a number of records other than ${times} matching\n  ${formatValue(want)}\nbut found exactly ${times}${times > 0 ? `:\n${listEntries(found)}` : '.'}`
      : () => {
          const got = `${head}Expected ${plural(times, 'record')} matching\n  ${formatValue(want)}\nbut found ${found.length}`;
          const listed = found.length > 0 ? `:\n${listEntries(found)}` : '.';
          const others = entries.filter((e) => !found.includes(e));
          const nearest = found.length < times ? `\n\n${describeNearest(others, want, 'Nearest of the other records')}` : '';
          return `${got}${listed}${nearest}`;
        },
  };
}

/**
 * Passes when the captured records contain, in this order, one record matching each pattern (other
 * records may come between them). Each pattern is matched after the record matched by the one before.
 */
export function toHaveLoggedInOrder(this: MatcherContext | void, received: unknown, patterns: readonly RecordPattern[]): MatcherResult {
  const entries = entriesOf(received, 'toHaveLoggedInOrder');
  if (!Array.isArray(patterns) || patterns.length === 0) {
    throw new TypeError(`@loglane/core/testing: toHaveLoggedInOrder expects a non-empty array of partial records; received ${formatValue(patterns)}`);
  }
  const wants = patterns.map((p) => checkPattern(p, 'toHaveLoggedInOrder'));
  const hits: CapturedLine[] = [];
  let after = -1;
  let failedAt = -1;
  for (let step = 0; step < wants.length; step++) {
    const want = wants[step] as RecordPattern;
    const hit = entries.find((e) => e.index > after && e.record !== undefined && matchesPattern(e.record, want));
    if (!hit) {
      failedAt = step;
      break;
    }
    hits.push(hit);
    after = hit.index;
  }
  const head = header(this, 'toHaveLoggedInOrder', '[...expected]');
  const pass = failedAt === -1;
  const steps = (): string =>
    wants
      .map((w, i) => {
        const mark = i < hits.length ? `matched ${summarize(hits[i] as CapturedLine)}` : i === failedAt ? 'NOT FOUND' : 'not reached';
        return `  ${i + 1}. ${formatValue(w)}\n     ${mark}`;
      })
      .join('\n');
  return {
    pass,
    message: pass
      ? () => `${head}Expected the records not to be logged in this order, but they were:\n${steps()}`
      : () => {
          const want = wants[failedAt] as RecordPattern;
          const where = after === -1 ? 'among the captured records' : `after #${after}`;
          const earlier = entries.filter((e) => e.index <= after && e.record !== undefined && matchesPattern(e.record, want));
          const outOfOrder = earlier.length > 0 ? `\nStep ${failedAt + 1} matches only earlier records (out of order):\n${listEntries(earlier)}\n` : '';
          const rest = entries.filter((e) => e.index > after);
          return (
            `${head}Expected records matching these patterns, in this order:\n${steps()}\n\n` +
            `No record ${where} matches step ${failedAt + 1}.\n${outOfOrder}\n` +
            describeNearest(rest, want, `Nearest records ${where}`, `There are no records ${where}.`)
          );
        },
  };
}

function traceExpectation(expected: unknown): TraceIdExpectation {
  if (expected === undefined) return {};
  if (typeof expected === 'string') return { traceId: expected };
  if (typeof expected === 'object' && expected !== null && !Array.isArray(expected)) return expected as TraceIdExpectation;
  throw new TypeError(`@loglane/core/testing: toHaveConsistentTraceIds expects nothing, a traceId, or { traceId, globalTraceId }; received ${formatValue(expected)}`);
}

/**
 * Passes when every request in the capture (or the one whose `traceId` is given) carries its ids:
 * every HTTP record has a `traceId` and a `globalTraceId`; all records sharing a `traceId` (the
 * HttpRequest/HttpResponse pair and the app lines written while handling it) carry one and the same
 * `globalTraceId` (the one given, if any); and a request with HTTP records has exactly one of each.
 */
export function toHaveConsistentTraceIds(this: MatcherContext | void, received: unknown, expected?: string | TraceIdExpectation): MatcherResult {
  const entries = entriesOf(received, 'toHaveConsistentTraceIds');
  const want = traceExpectation(expected);
  const problems: string[] = [];
  const groups = new Map<string, CapturedLine[]>();
  for (const e of entries) {
    const r = e.record;
    if (!r) continue;
    const isHttp = r.context === HTTP_REQUEST || r.context === HTTP_RESPONSE;
    if (typeof r.traceId !== 'string') {
      if (isHttp && want.traceId === undefined) problems.push(`${summarize(e)} has no traceId`);
      continue;
    }
    if (want.traceId !== undefined && r.traceId !== want.traceId) continue;
    const group = groups.get(r.traceId) ?? [];
    group.push(e);
    groups.set(r.traceId, group);
  }
  if (groups.size === 0) {
    problems.push(
      want.traceId !== undefined
        ? `no captured record has traceId ${formatValue(want.traceId)}`
        : `none of the ${plural(entries.length, 'captured record')} carries a traceId`,
    );
  }
  for (const [traceId, group] of groups) {
    const byGlobal = new Map<string, number[]>();
    for (const e of group) {
      const g = e.record?.globalTraceId;
      if (typeof g !== 'string') problems.push(`${summarize(e)} (traceId ${formatValue(traceId)}) has no globalTraceId`);
      else byGlobal.set(g, [...(byGlobal.get(g) ?? []), e.index]);
    }
    if (byGlobal.size > 1) {
      const spread = [...byGlobal].map(([g, idx]) => `${formatValue(g)} on ${idx.map((i) => `#${i}`).join(', ')}`).join('; ');
      problems.push(`traceId ${formatValue(traceId)} has ${byGlobal.size} different globalTraceIds: ${spread}`);
    }
    if (want.globalTraceId !== undefined) {
      const wrong = [...byGlobal].filter(([g]) => g !== want.globalTraceId);
      if (wrong.length > 0) {
        const found = wrong.map(([g, idx]) => `${idx.map((i) => `#${i}`).join(', ')} ${idx.length === 1 ? 'has' : 'have'} ${formatValue(g)}`);
        problems.push(`traceId ${formatValue(traceId)}: expected globalTraceId ${formatValue(want.globalTraceId)}, but ${found.join('; ')}`);
      }
    }
    const requests = group.filter((e) => e.record?.context === HTTP_REQUEST);
    const responses = group.filter((e) => e.record?.context === HTTP_RESPONSE);
    if (requests.length + responses.length > 0) {
      if (requests.length !== 1) problems.push(`traceId ${formatValue(traceId)} has ${requests.length} HttpRequest records (expected 1)`);
      if (responses.length !== 1) problems.push(`traceId ${formatValue(traceId)} has ${responses.length} HttpResponse records (expected 1)`);
    }
  }
  const head = header(this, 'toHaveConsistentTraceIds', want.traceId !== undefined || want.globalTraceId !== undefined ? formatValue(want) : '');
  const pass = problems.length === 0;
  const scope = want.traceId !== undefined ? `request ${formatValue(want.traceId)}` : plural(groups.size, 'request or job', 'requests or jobs');
  return {
    pass,
    message: pass
      ? () => `${head}Expected records with inconsistent trace ids, but every record of the ${scope} carries its ids.`
      : () => {
          const bad = [...groups].filter(([id]) => problems.some((p) => p.includes(formatValue(id))));
          const detail = bad
            .slice(0, LISTED)
            .map(
              ([id, group]) =>
                `  traceId ${formatValue(id)}:\n${group.map((e) => `    ${summarize(e)} globalTraceId=${formatValue(e.record?.globalTraceId)}`).join('\n')}`,
            )
            .join('\n');
          return `${head}Expected every record of the ${scope} to carry its ids, but:\n${problems.map((p) => `  - ${p}`).join('\n')}${detail ? `\n\nRecords by traceId:\n${detail}` : ''}`;
        },
  };
}

function jsonEscape(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** String values of a record, depth first, with JSON-encoded strings (bodies) decoded too. */
function stringLeaves(value: unknown, path: string, out: Array<[string, string]>, depth = 0): void {
  if (depth > 32) return;
  if (typeof value === 'string') {
    out.push([path, value]);
    const t = value.trimStart();
    if (depth < 30 && (t.startsWith('{') || t.startsWith('['))) {
      try {
        stringLeaves(JSON.parse(value) as unknown, path, out, depth + 1);
      } catch {
        // Not JSON text: the string itself was checked.
      }
    }
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) stringLeaves(v, path === '' ? k : `${path}.${k}`, out, depth + 1);
}

interface Finding {
  readonly entry: CapturedLine;
  readonly where: string;
}

function findValue(entry: CapturedLine, value: string | RegExp): Finding | undefined {
  const line = entry.line;
  const excerpt = (at: number, length: number): string => {
    const from = Math.max(0, at - 40);
    const to = Math.min(line.length, at + length + 40);
    return `${from > 0 ? '…' : ''}${line.slice(from, to).trimEnd()}${to < line.length - 1 ? '…' : ''}`;
  };
  if (typeof value === 'string') {
    // The raw text, and the value as JSON escapes it once (a field) and twice (inside a body).
    const once = jsonEscape(value);
    for (const form of new Set([value, once, jsonEscape(once)])) {
      const at = line.indexOf(form);
      if (at !== -1) return { entry, where: `at character ${at}: ${excerpt(at, form.length)}` };
    }
  } else {
    value.lastIndex = 0;
    const m = value.exec(line);
    if (m) return { entry, where: `at character ${m.index}: ${excerpt(m.index, m[0].length)}` };
  }
  // Escapes the encoder chose (\uXXXX) hide the raw text: look in the decoded field values too.
  const leaves: Array<[string, string]> = [];
  stringLeaves(entry.record, '', leaves);
  for (const [path, text] of leaves) {
    if (typeof value === 'string' ? text.includes(value) : ((value.lastIndex = 0), value.test(text))) {
      return { entry, where: `in field ${path} (once decoded): ${formatValue(text)}` };
    }
  }
  return undefined;
}

/**
 * Passes when no captured line contains `value` (a secret, a card number): checked against the raw
 * lines, also in the form JSON escapes it to (once for a field, twice inside a body), and against the
 * decoded values of every field. A RegExp is tested the same way.
 */
export function toHaveNoLineContaining(this: MatcherContext | void, received: unknown, value: string | RegExp): MatcherResult {
  const entries = entriesOf(received, 'toHaveNoLineContaining');
  if (!(value instanceof RegExp) && (typeof value !== 'string' || value.length === 0)) {
    throw new TypeError(`@loglane/core/testing: toHaveNoLineContaining expects a non-empty string or a RegExp; received ${formatValue(value)}`);
  }
  const findings: Finding[] = [];
  for (const e of entries) {
    const f = findValue(e, value);
    if (f) findings.push(f);
  }
  const head = header(this, 'toHaveNoLineContaining', formatValue(value));
  const pass = findings.length === 0;
  return {
    pass,
    message: pass
      ? () => `${head}Expected a captured line to contain ${formatValue(value)}, but none of the ${plural(entries.length, 'line')} does.`
      : () => {
          const shown = findings.slice(0, LISTED).map((f) => `  ${summarize(f.entry)}\n     ${f.where}`);
          if (findings.length > LISTED) shown.push(`  … and ${findings.length - LISTED} more`);
          return `${head}Expected no captured line to contain ${formatValue(value)}, but ${plural(findings.length, 'line')} ${findings.length === 1 ? 'does' : 'do'}:\n${shown.join('\n')}`;
        },
  };
}

/** Passes when every captured line keeps the record contract (one line of JSON, every field of its one type). */
export function toHaveValidRecords(this: MatcherContext | void, received: unknown): MatcherResult {
  const entries = entriesOf(received, 'toHaveValidRecords');
  const bad = entries.filter((e) => e.problems.length > 0);
  const head = header(this, 'toHaveValidRecords', '');
  const pass = bad.length === 0;
  return {
    pass,
    message: pass
      ? () => `${head}Expected a line that breaks the record contract, but all ${plural(entries.length, 'line')} keep it.`
      : () => `${head}${describeViolations(bad)}`,
  };
}

/** Every matcher, for `expect.extend(loglaneMatchers)` (jest, vitest, or any runner with the same API). */
export const loglaneMatchers = {
  toHaveLogged,
  toHaveLoggedTimes,
  toHaveLoggedInOrder,
  toHaveConsistentTraceIds,
  toHaveNoLineContaining,
  toHaveValidRecords,
};

/**
 * The matchers' types, for augmenting a runner's `expect` (`R` is what an assertion returns).
 * `@loglane/core/testing/jest` and `@loglane/core/testing/vitest` already do it.
 */
export interface LoglaneMatchers<R = unknown> {
  /** At least one record matches the partial record (nested partials, RegExps, asymmetric matchers). */
  toHaveLogged(expected: RecordPattern): R;
  /** Exactly `times` records match the partial record. */
  toHaveLoggedTimes(expected: RecordPattern, times: number): R;
  /** One record matches each partial record, in this order (others may come between). */
  toHaveLoggedInOrder(expected: readonly RecordPattern[]): R;
  /** Every record of each request (or of the one given) carries its traceId and one same globalTraceId. */
  toHaveConsistentTraceIds(expected?: string | TraceIdExpectation): R;
  /** No raw line (nor any decoded field value) contains `value`. */
  toHaveNoLineContaining(value: string | RegExp): R;
  /** Every line keeps the record contract. */
  toHaveValidRecords(): R;
}
