// In-process capture of the lines every loglane logger writes: parsed, checked against the record
// contract as they arrive, filterable, and never sent to the real stdout while the capture runs.

import { AsyncLocalStorage } from 'node:async_hooks';
import type { LineSink } from '../destination.js';
import { getCaptureSink, setCaptureSink } from '../process.js';
import {
  type AppRecord,
  type BaseRecord,
  HTTP_REQUEST,
  HTTP_RESPONSE,
  type HttpRequestRecord,
  type HttpResponseRecord,
  checkRecord,
} from '../schema.js';
import { type RecordPattern, formatValue, matchesPattern } from './match.js';

/**
 * A parsed record as a capture gives it: the base fields, every HTTP field typed but optional (any
 * record may be read as HttpRequest or HttpResponse), and the app's own metadata keys as `unknown`.
 */
export type CapturedRecord = AppRecord &
  Partial<Omit<HttpRequestRecord, keyof BaseRecord>> &
  Partial<Omit<HttpResponseRecord, keyof BaseRecord>>;

/** One captured line. */
export interface CapturedLine {
  /** Position in the capture since it was last cleared, from 0; messages show it as `#index`. */
  readonly index: number;
  /** The line exactly as the logger wrote it, `\n` included. */
  readonly line: string;
  /** The parsed record; `undefined` when the line is not a JSON object. */
  readonly record: CapturedRecord | undefined;
  /** How the line breaks the record contract (empty when it keeps it). */
  readonly problems: readonly string[];
}

/** `HttpRequest`, `HttpResponse`, either of them (`http`), or an application line (`app`: any other context). */
export type RecordKind = typeof HTTP_REQUEST | typeof HTTP_RESPONSE | 'http' | 'app';

/** Options of `captureLogs` / `new LogCapture`. */
export interface CaptureOptions {
  /**
   * Check every line against the record contract as it arrives (`checkRecord`, one line, valid
   * JSON). Violations are kept in `violations`; `assertContract()` throws on them.
   * @default true
   */
  checkContract?: boolean;
}

/** Marks captured logs, so matchers recognise them whichever build (CJS or ESM) made them. */
export const CAPTURED_LOGS: unique symbol = Symbol.for('@loglane/core/captured-logs@1');

function kindOf(record: CapturedRecord): RecordKind {
  return record.context === HTTP_REQUEST || record.context === HTTP_RESPONSE ? record.context : 'app';
}

/** A read-only list of captured lines with filters; every filter returns a new (fixed) list. */
export class CapturedLogs implements Iterable<CapturedRecord> {
  readonly #fixed: readonly CapturedLine[];

  constructor(source: readonly CapturedLine[]) {
    this.#fixed = source;
  }

  /** The lines this list reads (a capture reads those of the isolated run the caller is in). */
  protected get source(): readonly CapturedLine[] {
    return this.#fixed;
  }

  /** The captured lines, with their index, raw text, parsed record and contract problems. */
  get [CAPTURED_LOGS](): readonly CapturedLine[] {
    return this.source;
  }

  /** The captured lines (raw text, `\n` included). */
  get lines(): string[] {
    return this.source.map((e) => e.line);
  }

  /** The parsed records (lines that are not JSON objects are left out). */
  get records(): CapturedRecord[] {
    const out: CapturedRecord[] = [];
    for (const e of this.source) if (e.record) out.push(e.record);
    return out;
  }

  /** Number of captured lines. */
  get length(): number {
    return this.source.length;
  }

  /** Every captured line that breaks the record contract. */
  get violations(): CapturedLine[] {
    return this.source.filter((e) => e.problems.length > 0);
  }

  [Symbol.iterator](): Iterator<CapturedRecord> {
    return this.records[Symbol.iterator]();
  }

  /** Records matching a partial record (nested partials, RegExps, asymmetric matchers) or a predicate. */
  where(filter: RecordPattern | ((record: CapturedRecord) => boolean)): CapturedLogs {
    const test = typeof filter === 'function' ? filter : (r: CapturedRecord) => matchesPattern(r, filter);
    return new CapturedLogs(this.source.filter((e) => e.record !== undefined && test(e.record)));
  }

  /** The records of one request or job: those whose `traceId` is `traceId`. */
  forTrace(traceId: string): CapturedLogs {
    return new CapturedLogs(this.source.filter((e) => e.record?.traceId === traceId));
  }

  /** Records of one kind: `HttpRequest`, `HttpResponse`, `http` (both) or `app` (every other context). */
  ofKind(kind: RecordKind): CapturedLogs {
    return new CapturedLogs(
      this.source.filter((e) => {
        if (!e.record) return false;
        const k = kindOf(e.record);
        return kind === 'http' ? k !== 'app' : k === kind;
      }),
    );
  }

  /** The distinct `traceId`s, in the order they first appear: one per request or job. */
  traceIds(): string[] {
    const seen = new Set<string>();
    for (const e of this.source) {
      const id = e.record?.traceId;
      if (typeof id === 'string') seen.add(id);
    }
    return [...seen];
  }

  /** The first record matching `pattern`, if any. */
  find(pattern: RecordPattern): CapturedRecord | undefined {
    return this.source.find((e) => e.record !== undefined && matchesPattern(e.record, pattern))?.record;
  }

  /** Throws an error listing every captured line that breaks the record contract. */
  assertContract(): void {
    const bad = this.violations;
    if (bad.length > 0) throw new Error(describeViolations(bad));
  }
}

/** The message of a contract failure: each bad line with its problems. */
export function describeViolations(bad: readonly CapturedLine[]): string {
  const head = `@loglane/core/testing: ${bad.length} captured ${bad.length === 1 ? 'line breaks' : 'lines break'} the record contract (docs/record-schema.md):`;
  const body = bad.slice(0, 10).map((e) => {
    const text = e.line.length > 300 ? `${e.line.slice(0, 300)}…` : e.line.trimEnd();
    return `  #${e.index} ${e.problems.join('; ')}\n     ${text}`;
  });
  if (bad.length > 10) body.push(`  … and ${bad.length - 10} more`);
  return [head, ...body].join('\n');
}

/** What is wrong with one line: its shape (one line of JSON) and then its fields. */
function inspectLine(line: string, check: boolean): { record: CapturedRecord | undefined; problems: string[] } {
  let parsed: unknown;
  let isJson = true;
  try {
    parsed = JSON.parse(line);
  } catch {
    isJson = false;
  }
  const record =
    isJson && typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as CapturedRecord) : undefined;
  if (!check) return { record, problems: [] };
  const problems: string[] = [];
  if (!line.endsWith('\n')) problems.push('line does not end in \\n');
  const body = line.endsWith('\n') ? line.slice(0, -1) : line;
  if (/[\n\r]/.test(body)) problems.push('line holds a raw line break (one record must be one line)');
  if (/[\u2028\u2029\u0085]/.test(body)) problems.push('line holds a raw U+2028/U+2029/U+0085 separator');
  if (!isJson) problems.push('line is not valid JSON');
  else problems.push(...checkRecord(parsed));
  return { record, problems };
}

/** The capture behind each capture sink, so that a restore can skip captures restored out of order. */
const OWNERS = new WeakMap<LineSink, LogCapture>();

interface Waiter {
  readonly pattern: RecordPattern;
  /** The lines the waiter was made on: a record must arrive in them. */
  readonly lines: CapturedLine[];
  readonly resolve: (record: CapturedRecord) => void;
}

/**
 * The isolated runs (`runIsolated`) the current async context is in: for each capture, the lines
 * of that run. A Map so that nested captures (a file's and a describe block's) each keep theirs.
 */
const isolatedRuns = new AsyncLocalStorage<ReadonlyMap<LogCapture, CapturedLine[]>>();

/**
 * Captures the lines of every loglane logger in the process (both the CommonJS and the ESM build,
 * loggers made before or after) while started. Lines go to the capture *instead of* their destination,
 * so nothing reaches stdout and a test runner's own output is never mixed with records.
 *
 * @example
 * const logs = captureLogs();
 * await request(app).get('/orders/1');
 * expect(logs.ofKind('HttpResponse').records[0]?.statusCode).toBe(200);
 * logs.restore();
 */
export class LogCapture extends CapturedLogs {
  /** Lines written outside any isolated run of this capture (or every line, when none is used). */
  private readonly entries: CapturedLine[];
  /** The lines of each isolated run in progress. */
  private readonly openRuns = new Set<CapturedLine[]>();
  private readonly check: boolean;
  private previous: LineSink | undefined;
  private active = false;
  private stopped = false;
  private waiters: Waiter[] = [];
  private readonly sink: LineSink = { write: (line) => this.take(line) };

  constructor(options: CaptureOptions = {}) {
    const entries: CapturedLine[] = [];
    super(entries);
    this.entries = entries;
    this.check = options.checkContract ?? true;
    OWNERS.set(this.sink, this);
  }

  /** The lines of the isolated run the caller is in, or the capture's own lines outside any. */
  protected override get source(): readonly CapturedLine[] {
    return this.current();
  }

  private current(): CapturedLine[] {
    return isolatedRuns.getStore()?.get(this) ?? this.entries;
  }

  /**
   * Runs `fn` (a test) with lines of its own, so that tests running at the same time
   * (`test.concurrent`) neither see nor clear each other's lines. Inside `fn` and everything it
   * starts (its async context), this capture reads, filters, checks and clears only the lines
   * written from that context, plus the lines written outside any isolated run while `fn` runs
   * (by a server started in `beforeAll`, say: that context belongs to no test). The runner
   * entries' `useLogCapture()` wrap every test in it (vitest ≥ 4.1's `aroundEach`; jest's
   * `test.concurrent`).
   */
  runIsolated<T>(fn: () => T): T {
    const lines: CapturedLine[] = [];
    const runs = new Map(isolatedRuns.getStore());
    runs.set(this, lines);
    this.openRuns.add(lines);
    let result: T;
    try {
      result = isolatedRuns.run(runs, fn);
    } catch (error) {
      this.openRuns.delete(lines);
      throw error;
    }
    if (result instanceof Promise) {
      return result.finally(() => this.openRuns.delete(lines)) as T;
    }
    this.openRuns.delete(lines);
    return result;
  }

  /** Whether lines are being captured now. */
  get capturing(): boolean {
    return this.active;
  }

  /**
   * Starts capturing (does nothing if already started). A capture started while another is active
   * takes over from it, and hands back to it on `restore()`.
   */
  start(): this {
    if (this.active) return this;
    this.previous = getCaptureSink();
    if (this.previous === this.sink) this.previous = undefined;
    this.active = true;
    this.stopped = false;
    setCaptureSink(this.sink);
    return this;
  }

  /**
   * Stops capturing: lines go to their destinations again (or to the capture that was active before
   * this one). The lines captured so far stay readable. Safe to call twice.
   */
  restore(): void {
    if (!this.active) return;
    this.active = false;
    this.stopped = true;
    // Restored out of order (a capture started after this one is still active): that one will hand
    // back past this one; until then, what still arrives here is passed on.
    if (getCaptureSink() === this.sink) setCaptureSink(this.handBackTo());
  }

  /** The sink this capture took over from, skipping captures that were restored since. */
  private handBackTo(): LineSink | undefined {
    let sink = this.previous;
    for (let owner = sink && OWNERS.get(sink); owner?.stopped; owner = sink && OWNERS.get(sink)) sink = owner.previous;
    return sink;
  }

  /**
   * Forgets every captured line and contract violation; indexes start again from 0. Inside an
   * isolated run, only that run's lines.
   */
  clear(): void {
    this.current().length = 0;
  }

  /**
   * Resolves with the first record (already captured or still to come) matching `pattern`; rejects
   * after `timeoutMs`. For records written after the response reached the client (aborted requests,
   * work finished in the background).
   * @param timeoutMs how long to wait, in milliseconds (default 2000)
   */
  waitFor(pattern: RecordPattern, timeoutMs = 2000): Promise<CapturedRecord> {
    const found = this.find(pattern);
    if (found) return Promise.resolve(found);
    const lines = this.current();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        pattern,
        lines,
        resolve: (record) => {
          clearTimeout(timer);
          resolve(record);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `@loglane/core/testing: no record matching ${formatValue(pattern)} within ${timeoutMs} ms (${lines.length} captured)` +
              ' — was the capture started before the request, and does the pattern match one of `logs.records`?',
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private take(line: string): void {
    if (this.stopped) {
      this.handBackTo()?.write(line);
      return;
    }
    const { record, problems } = inspectLine(line, this.check);
    // A line written inside an isolated run belongs to it alone; any other line to the capture
    // and to every run in progress (it may be theirs: a request to a server started outside them).
    const own = isolatedRuns.getStore()?.get(this);
    const targets = own ? [own] : [this.entries, ...this.openRuns];
    for (const lines of targets) lines.push({ index: lines.length, line, record, problems });
    if (record && this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => targets.includes(w.lines) && matchesPattern(record, w.pattern));
      if (ready.length > 0) {
        this.waiters = this.waiters.filter((w) => !ready.includes(w));
        for (const w of ready) w.resolve(record);
      }
    }
  }
}

/**
 * Starts capturing the records of every loglane logger in this process; call `restore()` when done.
 * See `LogCapture`.
 */
export function captureLogs(options: CaptureOptions = {}): LogCapture {
  return new LogCapture(options).start();
}
