// The fd writer: a bounded queue of lines written to a file descriptor with non-blocking synchronous
// writes, which drops (and counts, and says why) only what the fd cannot take.

import { fstatSync, writeSync } from 'node:fs';
import type { Destination, DestinationOptions, DropReporter } from './destination.js';

const DEFAULT_MAX_BUFFER_CHARS = 16 * 1024 * 1024;
const DEFAULT_EXIT_DEADLINE_MS = 3000;
/** Characters joined into one `write(2)`: about one default Linux pipe buffer (64 KiB). */
const CHUNK_CHARS = 64 * 1024;
/**
 * Queued characters past which `write` writes what the fd takes at once instead of waiting for the
 * next turn: a synchronous loop logging to a fast sink must not fill the queue (issue #8, defect 1).
 */
const WRITE_THROUGH_CHARS = 4 * CHUNK_CHARS;
/**
 * Characters logged between two write-throughs to an fd that was full: an eighth of a pipe buffer,
 * so a reader that empties the pipe between two of them is offered more than is logged (with one
 * retry per 64 Ki characters the queue could only stay level, and grew, then dropped, whenever the
 * reader was a little late). A retry that finds the fd still full is one failed `write(2)` per
 * about 20 lines.
 */
const BLOCKED_RETRY_CHARS = 8 * 1024;
const RETRY_MS = 10;
/** How often a failing fd (ENOSPC, EFBIG, EIO) is tried again; until then lines are dropped at once. */
const PROBE_MS = 1000;
const NEWLINE = 0x0a;
const TERMINATOR = Buffer.from('\n');
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
function countLines(rest: Buffer | string): number {
  let count = 0;
  if (typeof rest === 'string') {
    for (let at = rest.indexOf('\n'); at !== -1; at = rest.indexOf('\n', at + 1)) count++;
  } else {
    for (let at = rest.indexOf(NEWLINE); at !== -1; at = rest.indexOf(NEWLINE, at + 1)) count++;
  }
  return count;
}

/** Unreported drops by cause, in words ("writing to fd 1 failed (EFBIG)"). */
type Causes = Map<string, number>;

function addCauses(into: Causes, from: Causes): void {
  for (const [cause, count] of from) into.set(cause, (into.get(cause) ?? 0) + count);
}

function describeCauses(causes: Causes): string {
  return [...causes].map(([cause, count]) => (causes.size === 1 ? cause : `${count} because ${cause}`)).join('; ');
}

/** A drop report waiting in the queue: not an app line, so never counted as a dropped line itself. */
interface QueuedReport {
  readonly text: string;
  /** The drops it reports; they count as unreported again if the report itself is lost. */
  readonly causes: Causes;
}

type QueueItem = string | QueuedReport;

/** A drop report inside the chunk being written: where its bytes end. */
interface ChunkReport {
  readonly end: number;
  readonly causes: Causes;
}

/** Writes a note for the operator on stderr; stdout is the thing that failed. Never throws. */
export function noteOnStderr(text: string): void {
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
 * thread pool, so an exit-time flush knows exactly what is left to write. When the queue grows past
 * `WRITE_THROUGH_CHARS` within one turn, `write` writes what the fd takes right away.
 *
 * Exit hooks are not joined here: `createFdDestination` and the shared stdout destination (process.ts)
 * do that.
 */
export class FdDestination implements Destination {
  readonly fd: number;
  private sync = false;
  private maxChars = DEFAULT_MAX_BUFFER_CHARS;
  private writeThroughChars = WRITE_THROUGH_CHARS;
  private exitDeadlineMs = DEFAULT_EXIT_DEADLINE_MS;
  /** Queued lines are `queue[first…]`; the array is compacted as it drains. */
  private queue: QueueItem[] = [];
  private first = 0;
  /** Characters queued, the chunk being written included (it counts against `maxChars` until written). */
  private queuedChars = 0;
  /** Characters of `chunk`. */
  private chunkChars = 0;
  /** Drop reports among the queued items (at most one waits at a time). */
  private queuedReports = 0;
  /**
   * The chunk being written: the joined text, written as a string (no Buffer made per chunk); once the
   * kernel has taken only part of it, its bytes, of which `chunkWritten` are written.
   */
  private chunk: Buffer | string | undefined;
  /** Bytes of `chunk` written so far. */
  private chunkWritten = 0;
  /** The drop reports inside `chunk`, which are not app lines. */
  private chunkReports: ChunkReport[] = [];
  /**
   * A failed write left half a line in the stream: a `\n` goes out before anything else, so the
   * next line is never glued onto it (issue #8, defect 4).
   */
  private halfLine = false;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** The last write-through found the fd full: ask it again only after `BLOCKED_RETRY_CHARS` more were logged. */
  private blocked = false;
  /** Characters logged since the write-through last found the fd full. */
  private offeredSinceBlocked = 0;
  /** The fd failed for good (EPIPE, EBADF, …): lines are counted and dropped. */
  private gone: string | undefined;
  /**
   * errno of a write error that is not "reader gone" (ENOSPC, EFBIG, EIO): lines are dropped at once
   * until a retry every `PROBE_MS` finds the fd writable again. A persistent error is a dead sink,
   * never a busy loop (issue #8, defect 16).
   */
  private failing: string | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  /** errno codes already noted on stderr: one note per kind of failure, not one per line. */
  private readonly notedFailures = new Set<string>();
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
  private droppedCount = 0;
  private unreported = 0;
  private unreportedCauses: Causes = new Map();
  private reporter: DropReporter | undefined;

  constructor(options: Omit<DestinationOptions, 'handleExit'> = {}) {
    this.fd = options.fd ?? 1;
    this.configure(options);
    if (this.fd === 1 || this.fd === 2) prepareStdio(this.fd);
  }

  /** Changes the options given (others keep their value). Only process.ts calls it for the shared stdout. */
  configure(options: Pick<DestinationOptions, 'sync' | 'maxBufferChars' | 'exitDeadlineMs'>): void {
    if (options.sync !== undefined) this.sync = options.sync;
    this.maxChars = limit(options.maxBufferChars, this.maxChars);
    this.writeThroughChars = Math.min(WRITE_THROUGH_CHARS, Math.floor(this.maxChars / 2));
    this.exitDeadlineMs = limit(options.exitDeadlineMs, this.exitDeadlineMs);
  }

  get dropped(): number {
    return this.droppedCount;
  }

  /** Sets how dropped lines are reported in the stream; the first logger on a destination sets it. */
  setDropReporter(reporter: DropReporter): void {
    this.reporter ??= reporter;
  }

  write(line: string): void {
    this.push(line, this.sync);
  }

  /** Writes `line` before returning, as in `sync` mode, whatever this destination's own mode is. */
  writeNow(line: string): void {
    this.push(line, true);
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

  private push(line: string, sync: boolean): void {
    if (this.gone !== undefined || this.closed || this.failing !== undefined) {
      this.drop(1, this.whyNotWritable());
      return;
    }
    if (this.queuedChars + line.length > this.writeThroughChars && !this.ending) {
      this.writeThrough(line.length);
      if (this.gone !== undefined || this.failing !== undefined) {
        this.drop(1, this.whyNotWritable());
        return;
      }
    }
    if (this.queuedChars + line.length > this.maxChars) {
      this.drop(1, `the reader of fd ${this.fd} was too slow (the queue of ${this.maxChars} characters was full)`);
      return;
    }
    this.queue.push(line);
    this.queuedChars += line.length;
    if (this.ending) {
      // An exit listener logging after ours: no later turn will write it.
      if (!this.flushUntil(this.exitBy ?? performance.now()) && this.finalFlushed) this.abandon();
      return;
    }
    if (sync && !this.stalled) {
      if (this.flushUntil(performance.now() + this.exitDeadlineMs)) return;
      this.stalled = true;
    }
    this.schedule();
  }

  /**
   * The queue grew past `writeThroughChars` within one turn: write what the fd takes now. When the
   * fd was full the last time, it is asked again only after another `BLOCKED_RETRY_CHARS` were logged, so a
   * blocked reader costs one EAGAIN per 8 Ki characters, not one per line.
   */
  private writeThrough(chars: number): void {
    if (this.blocked) {
      this.offeredSinceBlocked += chars;
      if (this.offeredSinceBlocked < BLOCKED_RETRY_CHARS) return;
    }
    this.offeredSinceBlocked = 0;
    this.blocked = !this.writeAvailable();
  }

  private whyNotWritable(): string {
    if (this.gone !== undefined) return `writing to fd ${this.fd} failed (${this.gone}): its reader is gone`;
    if (this.failing !== undefined) return `writing to fd ${this.fd} failed (${this.failing})`;
    return `the process was ending and the reader of fd ${this.fd} did not take them within ${this.exitDeadlineMs} ms`;
  }

  /** Drops what is still queued and every later line, with a note on stderr. */
  private abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.noteDrops(this.discardQueued(this.whyNotWritable()));
  }

  /**
   * At exit, says on stderr how many lines were lost in all, when some of them were never reported
   * in the stream (the reader was stuck or gone, or the fd failed). `left` of them were still queued at exit.
   */
  private noteDrops(left: number): void {
    if (this.unreported === 0 || this.dropsNoted) return;
    this.dropsNoted = true;
    noteOnStderr(
      left > 0
        ? `${this.droppedCount} log lines were dropped in all, ${left} of them still queued at exit (the reader of fd ${this.fd} did not take them within ${this.exitDeadlineMs} ms)`
        : `${this.droppedCount} log lines were dropped in all (${describeCauses(this.unreportedCauses)})`,
    );
  }

  private drop(lines: number, cause: string): void {
    if (lines <= 0) return;
    this.droppedCount += lines;
    this.unreported += lines;
    this.unreportedCauses.set(cause, (this.unreportedCauses.get(cause) ?? 0) + lines);
  }

  /** A drop report that will not be written: its drops are unreported again. */
  private unreport(causes: Causes): void {
    for (const count of causes.values()) this.unreported += count;
    addCauses(this.unreportedCauses, causes);
  }

  /** Empties the queue and the unwritten chunk, counts their app lines as dropped, returns that count. */
  private discardQueued(cause: string): number {
    let lines = this.queue.length - this.first - this.queuedReports;
    if (this.queuedReports > 0) {
      for (let i = this.first; i < this.queue.length; i++) {
        const item = this.queue[i] as QueueItem;
        if (typeof item !== 'string') this.unreport(item.causes);
      }
    }
    this.queue = [];
    this.first = 0;
    this.queuedChars = this.chunkChars;
    this.queuedReports = 0;
    lines += this.discardChunk();
    this.drop(lines, cause);
    return lines;
  }

  /**
   * Forgets the unwritten rest of the chunk; returns how many app lines it held (whole or in part).
   * A line the fd took only part of is marked, so that a `\n` ends it before the next line.
   */
  private discardChunk(): number {
    const chunk = this.chunk;
    if (chunk === undefined) return 0;
    if (typeof chunk !== 'string' && this.chunkWritten > 0 && chunk[this.chunkWritten - 1] !== NEWLINE) this.halfLine = true;
    let lines = countLines(typeof chunk === 'string' ? chunk : chunk.subarray(this.chunkWritten));
    for (const report of this.chunkReports) {
      if (report.end <= this.chunkWritten) continue;
      lines--;
      this.unreport(report.causes);
    }
    this.chunk = undefined;
    this.chunkWritten = 0;
    this.chunkReports = [];
    this.queuedChars -= this.chunkChars;
    this.chunkChars = 0;
    return lines;
  }

  private schedule(): void {
    if (this.scheduled || this.retryTimer !== undefined || this.probeTimer !== undefined) return;
    this.scheduled = true;
    setImmediate(this.onTurn);
  }

  private readonly onTurn = (): void => {
    this.scheduled = false;
    this.retryTimer = undefined;
    const drained = this.writeAvailable();
    this.blocked = !drained;
    if (!drained) {
      // The reader is behind: try again soon, without keeping the process alive for it
      // (beforeExit/exit flush what is left).
      this.retryTimer = setTimeout(this.onTurn, RETRY_MS);
      this.retryTimer.unref();
    }
  };

  /** A failing fd is tried again: lines are queued again, and the drop report is the first thing written. */
  private readonly onProbe = (): void => {
    this.probeTimer = undefined;
    this.failing = undefined;
    if (this.unreported > 0 || this.halfLine) this.schedule();
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
   * Writes until the queue is empty (true) or the fd would block (false). A write error drops what
   * was queued (counted, with its errno) and returns true: there is nothing left to wait for.
   */
  private writeAvailable(): boolean {
    if (this.gone !== undefined || this.failing !== undefined) return true;
    for (;;) {
      let chunk = this.chunk;
      if (chunk === undefined) {
        if (this.halfLine) {
          const done = this.writeTerminator();
          if (done === undefined) return true;
          if (!done) return false;
          continue;
        }
        if (this.unreported > 0 && this.queuedReports === 0 && this.reporter) this.queueDropReport(this.reporter);
        if (this.first === this.queue.length) {
          this.stalled = false;
          return true;
        }
        chunk = this.takeChunk();
      }
      let written: number;
      try {
        written =
          typeof chunk === 'string' ? writeSync(this.fd, chunk) : writeSync(this.fd, chunk, this.chunkWritten, chunk.length - this.chunkWritten);
      } catch (err) {
        const code = errorCode(err) ?? String(err);
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
        this.fail(code);
        return true;
      }
      // No progress without an error: treat it as a full fd, never as a reason to spin.
      if (written <= 0) return false;
      if (typeof chunk === 'string') {
        if (written < chunk.length * 3 && written < Buffer.byteLength(chunk)) {
          // The kernel took part of it: keep the bytes, to write the rest from where it stopped.
          this.chunk = Buffer.from(chunk);
          this.chunkWritten = written;
          continue;
        }
        this.endChunk();
        continue;
      }
      this.chunkWritten += written;
      if (this.chunkWritten >= chunk.length) this.endChunk();
    }
  }

  /** The whole chunk was written. */
  private endChunk(): void {
    this.chunk = undefined;
    this.chunkWritten = 0;
    this.chunkReports = [];
    this.queuedChars -= this.chunkChars;
    this.chunkChars = 0;
  }

  /** Ends the half line a failed write left: true when written, false when the fd is full, undefined when it failed. */
  private writeTerminator(): boolean | undefined {
    try {
      if (writeSync(this.fd, TERMINATOR, 0, 1) !== 1) return false;
    } catch (err) {
      const code = errorCode(err) ?? String(err);
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
      this.fail(code);
      return undefined;
    }
    this.halfLine = false;
    return true;
  }

  /**
   * A write failed with something other than EAGAIN: the chunk and the queue are dropped and counted
   * with the errno. A gone reader (EPIPE, EBADF) turns the destination off; any other error (ENOSPC,
   * EFBIG, EIO) drops lines at once until a retry `PROBE_MS` later finds the fd writable again.
   */
  private fail(code: string): void {
    const inChunk = this.discardChunk();
    if (GONE_CODES.has(code)) {
      this.gone = code;
      const cause = this.whyNotWritable();
      this.drop(inChunk, cause);
      const queued = this.discardQueued(cause);
      noteOnStderr(`writing to fd ${this.fd} failed (${code}): its reader is gone; ${inChunk + queued} queued log lines and all later ones are dropped`);
      return;
    }
    this.failing = code;
    const cause = this.whyNotWritable();
    this.drop(inChunk, cause);
    const queued = this.discardQueued(cause);
    if (!this.notedFailures.has(code)) {
      this.notedFailures.add(code);
      noteOnStderr(
        `writing to fd ${this.fd} failed (${code}): ${inChunk + queued} log lines were dropped; later lines are dropped and counted until the fd takes writes again (tried every ${PROBE_MS} ms)`,
      );
    }
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    this.probeTimer = setTimeout(this.onProbe, PROBE_MS);
    this.probeTimer.unref();
  }

  /**
   * Queues the report of the drops so far after the lines already queued, so timestamps stay in
   * order. A reporter that throws is asked again later: a report must never break writing.
   */
  private queueDropReport(reporter: DropReporter): void {
    const count = this.unreported;
    const causes = this.unreportedCauses;
    let text: string;
    try {
      text = reporter(count, describeCauses(causes));
    } catch {
      return;
    }
    this.unreported = 0;
    this.unreportedCauses = new Map();
    this.queue.push({ text, causes });
    this.queuedReports++;
    this.queuedChars += text.length;
  }

  /** Takes queued items up to about `CHUNK_CHARS` (at least one) into `chunk`. */
  private takeChunk(): string {
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
        if (typeof item !== 'string') chunkReports.push({ end: bytes, causes: item.causes });
      }
      text = parts.join('');
      this.queuedReports -= reports;
    }
    this.chunkChars = chars;
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
    this.chunk = text;
    this.chunkWritten = 0;
    this.chunkReports = chunkReports;
    return text;
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
