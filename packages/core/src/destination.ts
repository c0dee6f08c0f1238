// Where lines go: a file descriptor (stdout by default) written with non-blocking synchronous
// writes, a bounded queue that counts what it drops, and flushes on every way a process ends,
// with one deadline so that a reader that never reads cannot hold the exit.

import { fstatSync, writeSync } from 'node:fs';

/** Anything that takes finished lines. */
export interface LineSink {
  /** Takes one line, ending in `\n`. Never throws. */
  write(line: string): void;
}

/** A sink that can be flushed and reports lost lines. */
export interface Destination extends LineSink {
  /** Writes everything queued, waiting for a slow reader at most `deadlineMs`. Never throws. */
  flushSync(deadlineMs?: number): void;
  /** Lines dropped so far because the queue was full or the reader was gone. */
  readonly dropped: number;
}

/** Options of `createFdDestination` / `stdoutDestination`. */
export interface DestinationOptions {
  /**
   * The file descriptor to write to. Pipes and sockets on fd 1 and 2 are made non-blocking (as
   * Node does for `process.stdout`); any other fd is written the way it was opened.
   * @default 1 (stdout)
   */
  fd?: number;
  /**
   * Write each line before `write` returns (AWS Lambda, tests, scripts that end abruptly). When the
   * reader is stuck, one line waits up to `exitDeadlineMs`; after that the destination queues (as
   * in the default mode) until the reader has caught up, so a stuck reader costs one wait, not one per line.
   * @default false
   */
  sync?: boolean;
  /**
   * Most characters held for a slow reader; past it, lines are dropped and counted, and the count
   * is written as a `warn` record with `droppedLines` once the reader catches up.
   * @default 16_777_216 (16 Mi characters)
   */
  maxBufferChars?: number;
  /**
   * Longest wait for the reader when the process ends (the loop running dry, `process.exit()`, an
   * uncaught exception or unhandled rejection, SIGTERM/SIGINT), counted once for the whole exit.
   * What is still queued after it is dropped and reported on stderr.
   * @default 3000
   */
  exitDeadlineMs?: number;
  /**
   * Flush on process exit, fatal exceptions and SIGTERM/SIGINT.
   * @default true
   */
  handleExit?: boolean;
}

/** Writes the record that reports dropped lines; set by the logger that owns the destination. */
export type DropReporter = (dropped: number) => string;

const DEFAULT_MAX_BUFFER_CHARS = 16 * 1024 * 1024;
const DEFAULT_EXIT_DEADLINE_MS = 3000;
/** Characters joined into one `write(2)`: about one default Linux pipe buffer (64 KiB). */
const CHUNK_CHARS = 64 * 1024;
const RETRY_MS = 10;
const NEWLINE = 0x0a;
/** errno codes after which the fd will never take a line again. */
const GONE_CODES = new Set(['EPIPE', 'EBADF', 'ECONNRESET', 'ENOTCONN', 'EINVAL', 'ESHUTDOWN']);
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** A size or time option: negative is 0; NaN or absent keeps `fallback` (a NaN wait would never end). */
function limit(value: number | undefined, fallback: number): number {
  return value === undefined || Number.isNaN(value) ? fallback : Math.max(0, value);
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** Lines (whole or partly unwritten) in a chunk's unwritten rest: every line ends in `\n`. */
function countLines(buffer: Buffer): number {
  let count = 0;
  for (let at = buffer.indexOf(NEWLINE); at !== -1; at = buffer.indexOf(NEWLINE, at + 1)) count++;
  return count;
}

/** A drop report waiting in the queue: not an app line, so never counted as a dropped line itself. */
interface QueuedReport {
  readonly text: string;
  /** The drops it reports; they count as unreported again if the report itself is lost. */
  readonly count: number;
}

type QueueItem = string | QueuedReport;

/** A drop report inside the chunk being written: where its bytes end. */
interface ChunkReport {
  readonly end: number;
  readonly count: number;
}

/** Writes a note for the operator on stderr; stdout is the thing that failed. Never throws. */
function noteOnStderr(text: string): void {
  try {
    writeSync(2, `loglane: ${text}\n`);
  } catch {
    // stderr is gone or full too; nothing else can be done.
  }
}

/**
 * A destination on a file descriptor. Lines are queued and written in batches on the next turn of
 * the event loop with `fs.writeSync`, which on a non-blocking pipe returns EAGAIN instead of
 * blocking: the service never waits for a slow reader, and nothing is ever in flight in the
 * thread pool, so an exit-time flush knows exactly what is left to write.
 */
export class FdDestination implements Destination {
  private readonly fd: number;
  private sync = false;
  private maxChars = DEFAULT_MAX_BUFFER_CHARS;
  private exitDeadlineMs = DEFAULT_EXIT_DEADLINE_MS;
  /** Queued lines are `queue[first…]`; the array is compacted as it drains. */
  private queue: QueueItem[] = [];
  private first = 0;
  private queuedChars = 0;
  /** Drop reports among the queued items (at most one waits at a time). */
  private queuedReports = 0;
  /** The chunk being written; the kernel may take it in parts. */
  private chunk: Buffer | undefined;
  /** Bytes of `chunk` written so far. */
  private chunkWritten = 0;
  /** The drop reports inside `chunk`, which are not app lines. */
  private chunkReports: ChunkReport[] = [];
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** The fd failed for good (EPIPE, EBADF, …): lines are counted and dropped. */
  private gone = false;
  /** A sync write ran out of time: queue like the default mode until the reader catches up. */
  private stalled = false;
  /** The process is ending: nothing runs after this turn, so writes are synchronous. */
  private ending = false;
  /** The last exit flush ran: a line that cannot be written now never will be. */
  private finalFlushed = false;
  /** The exit flush gave up on the reader: later lines are dropped. */
  private closed = false;
  private dropsNoted = false;
  /** `performance.now()` by which the exit flush gives up; one deadline for all exit paths. */
  private exitBy: number | undefined;
  /** errno of the last failed write that was noted on stderr, so a failing disk does not flood it. */
  private lastFailure: string | undefined;
  private droppedCount = 0;
  private unreported = 0;
  private reporter: DropReporter | undefined;

  constructor(options: DestinationOptions = {}) {
    this.fd = options.fd ?? 1;
    this.configure(options);
    if (this.fd === 1 || this.fd === 2) prepareStdio(this.fd);
    if (options.handleExit !== false) joinExitHooks(this);
  }

  /**
   * Changes the options given (others keep their value). `stdoutDestination` calls it when a logger
   * passes options for the shared stdout destination.
   */
  configure(options: Omit<DestinationOptions, 'fd'>): void {
    if (options.sync !== undefined) this.sync = options.sync;
    this.maxChars = limit(options.maxBufferChars, this.maxChars);
    this.exitDeadlineMs = limit(options.exitDeadlineMs, this.exitDeadlineMs);
    if (options.handleExit === false) leaveExitHooks(this);
    else if (options.handleExit === true) joinExitHooks(this);
  }

  get dropped(): number {
    return this.droppedCount;
  }

  /** Sets how dropped lines are reported in the stream; the first logger on a destination sets it. */
  setDropReporter(reporter: DropReporter): void {
    this.reporter ??= reporter;
  }

  write(line: string): void {
    if (this.gone || this.closed || this.queuedChars + line.length > this.maxChars) {
      this.drop(1);
      return;
    }
    this.queue.push(line);
    this.queuedChars += line.length;
    if (this.ending) {
      // An exit listener logging after ours: no later turn will write it.
      if (!this.flushUntil(this.exitBy ?? performance.now()) && this.finalFlushed) this.abandon();
      return;
    }
    if (this.sync && !this.stalled) {
      if (this.flushUntil(performance.now() + this.exitDeadlineMs)) return;
      this.stalled = true;
    }
    this.schedule();
  }

  flushSync(deadlineMs?: number): void {
    this.flushUntil(performance.now() + limit(deadlineMs, this.exitDeadlineMs));
  }

  /**
   * The event loop ran dry (`beforeExit`): write what is queued within the exit deadline. The app
   * may still schedule more work, so this does not end anything; a deadline that ran out stays spent.
   */
  idleFlush(): void {
    this.exitBy ??= performance.now() + this.exitDeadlineMs;
    if (this.flushUntil(this.exitBy)) this.exitBy = undefined;
  }

  /**
   * The process is ending: write what is queued within what is left of the exit deadline. `final`
   * (the `exit` event, a signal about to be re-raised) drops what is still queued after it and
   * says so on stderr.
   */
  endFlush(final: boolean): void {
    this.ending = true;
    this.exitBy ??= performance.now() + this.exitDeadlineMs;
    const drained = this.flushUntil(this.exitBy);
    if (!final) return;
    this.finalFlushed = true;
    if (drained) this.noteDrops(0);
    else this.abandon();
  }

  /** Drops what is still queued and every later line, with a note on stderr. */
  private abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.noteDrops(this.discardQueued());
  }

  /**
   * At exit, says on stderr how many lines were lost in all, when some of them were never reported
   * in the stream (the reader was stuck or gone). `left` of them were still queued at exit.
   */
  private noteDrops(left: number): void {
    if (this.unreported === 0 || this.dropsNoted) return;
    this.dropsNoted = true;
    noteOnStderr(
      left > 0
        ? `${this.droppedCount} log lines were dropped in all, ${left} of them still queued at exit (the reader of fd ${this.fd} did not take them within ${this.exitDeadlineMs} ms)`
        : `${this.droppedCount} log lines were dropped in all (the reader of fd ${this.fd} was too slow or gone)`,
    );
  }

  private drop(lines: number): void {
    this.droppedCount += lines;
    this.unreported += lines;
  }

  /** Empties the queue and the unwritten chunk, counts their app lines as dropped, returns that count. */
  private discardQueued(): number {
    let lines = this.queue.length - this.first - this.queuedReports;
    if (this.queuedReports > 0) {
      for (let i = this.first; i < this.queue.length; i++) {
        const item = this.queue[i] as QueueItem;
        if (typeof item !== 'string') this.unreported += item.count;
      }
    }
    this.queue = [];
    this.first = 0;
    this.queuedChars = 0;
    this.queuedReports = 0;
    lines += this.discardChunk();
    this.drop(lines);
    return lines;
  }

  /** Forgets the unwritten rest of the chunk; returns how many app lines it held (whole or in part). */
  private discardChunk(): number {
    const chunk = this.chunk;
    if (chunk === undefined) return 0;
    let lines = countLines(chunk.subarray(this.chunkWritten));
    for (const report of this.chunkReports) {
      if (report.end <= this.chunkWritten) continue;
      lines--;
      this.unreported += report.count;
    }
    this.chunk = undefined;
    this.chunkWritten = 0;
    this.chunkReports = [];
    return lines;
  }

  private schedule(): void {
    if (this.scheduled || this.retryTimer !== undefined) return;
    this.scheduled = true;
    setImmediate(this.onTurn);
  }

  private readonly onTurn = (): void => {
    this.scheduled = false;
    this.retryTimer = undefined;
    if (!this.writeAvailable()) {
      // The reader is behind: try again soon, without keeping the process alive for it
      // (beforeExit/exit flush what is left).
      this.retryTimer = setTimeout(this.onTurn, RETRY_MS);
      this.retryTimer.unref();
    }
  };

  /** Writes until the queue is empty (true) or `until` (a `performance.now()` time) has passed (false). */
  private flushUntil(until: number): boolean {
    for (;;) {
      if (this.writeAvailable()) return true;
      const left = until - performance.now();
      if (left <= 0) return false;
      sleepMs(Math.min(5, Math.max(1, left)));
    }
  }

  /**
   * Writes until the queue is empty (true) or the fd would block (false). A reader that is gone
   * (EPIPE, EBADF) turns the destination off: its lines are counted as dropped, the app runs on.
   */
  private writeAvailable(): boolean {
    if (this.gone) return true;
    for (;;) {
      let chunk = this.chunk;
      if (chunk === undefined) {
        if (this.unreported > 0 && this.queuedReports === 0 && this.reporter) this.queueDropReport(this.reporter);
        if (this.first === this.queue.length) {
          this.stalled = false;
          return true;
        }
        chunk = this.takeChunk();
      }
      let written: number;
      try {
        written = writeSync(this.fd, chunk, this.chunkWritten, chunk.length - this.chunkWritten);
      } catch (err) {
        const code = errorCode(err);
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
        this.fail(code ?? String(err));
        if (this.gone) return true;
        continue;
      }
      this.lastFailure = undefined;
      this.chunkWritten += written;
      if (this.chunkWritten >= chunk.length) {
        this.chunk = undefined;
        this.chunkWritten = 0;
        this.chunkReports = [];
      }
    }
  }

  /** A write failed with something other than EAGAIN: the chunk is lost; a gone reader turns us off. */
  private fail(code: string): void {
    const lines = this.discardChunk();
    this.drop(lines);
    if (!GONE_CODES.has(code)) {
      if (this.lastFailure !== code) noteOnStderr(`writing to fd ${this.fd} failed (${code}): ${lines} log lines were dropped`);
      this.lastFailure = code;
      return;
    }
    this.gone = true;
    const queued = this.discardQueued();
    noteOnStderr(`writing to fd ${this.fd} failed (${code}): its reader is gone; ${lines + queued} queued log lines and all later ones are dropped`);
  }

  /**
   * Queues the report of the drops so far after the lines already queued, so timestamps stay in
   * order. A reporter that throws is asked again later: a report must never break writing.
   */
  private queueDropReport(reporter: DropReporter): void {
    const count = this.unreported;
    let text: string;
    try {
      text = reporter(count);
    } catch {
      return;
    }
    this.unreported = 0;
    this.queue.push({ text, count });
    this.queuedReports++;
    this.queuedChars += text.length;
  }

  /** Takes queued items up to about `CHUNK_CHARS` (at least one) into `chunk`. */
  private takeChunk(): Buffer {
    const queue = this.queue;
    const start = this.first;
    let end = start;
    let chars = 0;
    let reports = 0;
    while (end < queue.length && (end === start || chars < CHUNK_CHARS)) {
      const item = queue[end] as QueueItem;
      if (typeof item === 'string') chars += item.length;
      else {
        chars += item.text.length;
        reports++;
      }
      end++;
    }
    let text: string;
    const chunkReports: ChunkReport[] = [];
    if (reports === 0) {
      text = end - start === 1 ? (queue[start] as string) : (queue.slice(start, end) as string[]).join('');
    } else {
      // Rare: find where each report ends, in bytes, so the lines around it can be counted.
      const parts: string[] = [];
      let bytes = 0;
      for (let i = start; i < end; i++) {
        const item = queue[i] as QueueItem;
        const part = typeof item === 'string' ? item : item.text;
        parts.push(part);
        bytes += Buffer.byteLength(part);
        if (typeof item !== 'string') chunkReports.push({ end: bytes, count: item.count });
      }
      text = parts.join('');
      this.queuedReports -= reports;
    }
    this.queuedChars -= chars;
    if (end === queue.length) {
      this.queue = [];
      this.first = 0;
    } else if (end > 4096 && end * 2 > queue.length) {
      this.queue = queue.slice(end);
      this.first = 0;
    } else {
      for (let i = start; i < end; i++) queue[i] = '';
      this.first = end;
    }
    const chunk = Buffer.from(text);
    this.chunk = chunk;
    this.chunkWritten = 0;
    this.chunkReports = chunkReports;
    return chunk;
  }
}

const preparedFds = new Set<number>();
/**
 * Node makes a pipe or socket on stdout/stderr non-blocking when `process.stdout`/`process.stderr`
 * is first used; do it now so our writes get EAGAIN instead of blocking the event loop. A reader
 * that goes away must not crash the app through an EPIPE `error` on that stream either (the app's
 * own `console.log` writes through it).
 */
function prepareStdio(fd: 1 | 2): void {
  if (preparedFds.has(fd)) return;
  preparedFds.add(fd);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFIFO() && !stat.isSocket()) return;
    const stream = fd === 1 ? process.stdout : process.stderr;
    stream.on('error', (err: unknown) => {
      if (errorCode(err) !== 'EPIPE') throw err;
    });
  } catch {
    // The fd is closed: writes fail with EBADF and are counted as dropped.
  }
}

/** What the process-wide exit hooks call; kept small so both builds (CJS and ESM) can share the hooks. */
interface ExitMember {
  idleFlush(): void;
  endFlush(final: boolean): void;
}

interface ExitHooks {
  readonly members: Set<ExitMember>;
}

const HOOKS_KEY = Symbol.for('@loglane/core/exit-hooks@1');
type HooksHolder = { [HOOKS_KEY]?: ExitHooks };
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

function eachMember(hooks: ExitHooks, call: (member: ExitMember) => void): void {
  for (const member of hooks.members) {
    try {
      call(member);
    } catch {
      // One destination failing must not keep the others from flushing.
    }
  }
}

/** Whether the exception being reported will end the process (no handler or capture callback keeps it alive). */
function exceptionIsFatal(): boolean {
  return process.listenerCount('uncaughtException') === 0 && !process.hasUncaughtExceptionCaptureCallback();
}

/**
 * Installs the process hooks once per process (shared by every destination and both builds), so a
 * signal is re-raised by exactly one listener:
 * - `beforeExit` (the loop ran dry): flush within the exit deadline;
 * - `exit` (`process.exit()`, the end of the loop, a fatal exception): flush what is left of the
 *   deadline, then drop the rest with a note on stderr. Lines logged by later `exit` listeners are
 *   written synchronously;
 * - `uncaughtExceptionMonitor`: start the exit flush only when the exception is fatal; an app that
 *   handles `uncaughtException` runs on and keeps its queue;
 * - SIGTERM/SIGINT: when no other listener handles the signal, flush, drop the rest, and re-raise it
 *   so the process ends the way it would have; when the app handles it, do nothing (its shutdown
 *   runs, and `exit` flushes). Our listener is prepended so that it sees the app's `once` listeners.
 */
function installExitHooks(): ExitHooks {
  const holder = globalThis as HooksHolder;
  const existing = holder[HOOKS_KEY];
  if (existing) return existing;
  const hooks: ExitHooks = { members: new Set() };
  holder[HOOKS_KEY] = hooks;
  process.on('beforeExit', () => eachMember(hooks, (m) => m.idleFlush()));
  process.on('exit', () => eachMember(hooks, (m) => m.endFlush(true)));
  process.on('uncaughtExceptionMonitor', () => {
    if (exceptionIsFatal()) eachMember(hooks, (m) => m.endFlush(false));
  });
  for (const signal of SIGNALS) {
    const onSignal = (): void => {
      if (process.listeners(signal).some((listener) => listener !== onSignal)) return;
      eachMember(hooks, (m) => m.endFlush(true));
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.prependListener(signal, onSignal);
  }
  return hooks;
}

function joinExitHooks(member: ExitMember): void {
  installExitHooks().members.add(member);
}

function leaveExitHooks(member: ExitMember): void {
  (globalThis as HooksHolder)[HOOKS_KEY]?.members.delete(member);
}

const SHARED_KEY = Symbol.for('@loglane/core/stdout@1');
type SharedHolder = { [SHARED_KEY]?: FdDestination };

/**
 * The process-wide stdout destination: every logger writing to stdout shares it (across both
 * builds), so their lines never interleave mid-line and exit hooks are installed once. Options
 * passed later change it for everyone: of each option, the last value given wins.
 */
export function stdoutDestination(options: Omit<DestinationOptions, 'fd'> = {}): FdDestination {
  const holder = globalThis as SharedHolder;
  const existing = holder[SHARED_KEY];
  if (existing) {
    existing.configure(options);
    return existing;
  }
  const created = new FdDestination({ ...options, fd: 1 });
  holder[SHARED_KEY] = created;
  return created;
}

/** A destination on any file descriptor (a file you opened, stderr). */
export function createFdDestination(options: DestinationOptions = {}): FdDestination {
  return new FdDestination(options);
}

const CAPTURE_KEY = Symbol.for('@loglane/core/capture@1');
type CaptureHolder = { [CAPTURE_KEY]?: LineSink };

/**
 * Sends the lines of every loglane logger in this process to `sink` instead of their destination,
 * until called again with `undefined`. Used by `@loglane/core/testing`; shared by both builds.
 */
export function setCaptureSink(sink: LineSink | undefined): void {
  (globalThis as CaptureHolder)[CAPTURE_KEY] = sink;
}

/** The active capture sink, if a test installed one. */
export function getCaptureSink(): LineSink | undefined {
  return (globalThis as CaptureHolder)[CAPTURE_KEY];
}
