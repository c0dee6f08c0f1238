// Where lines go: a file descriptor (stdout by default) written with non-blocking synchronous
// writes, a bounded queue that counts what it drops, and flushes on every way a process ends,
// with a deadline so that a reader that never reads cannot hold the exit.

import { writeSync, fstatSync } from 'node:fs';

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
   * The file descriptor to write to.
   * @default 1 (stdout)
   */
  fd?: number;
  /**
   * Write each line before `write` returns (tests, AWS Lambda, scripts that exit abruptly).
   * A full pipe then blocks the caller up to `exitDeadlineMs` instead of queueing.
   * @default false
   */
  sync?: boolean;
  /**
   * Most characters held for a slow reader; past it, lines are dropped and counted.
   * @default 16_777_216 (16 Mi characters)
   */
  maxBufferChars?: number;
  /**
   * Longest wait for the reader when the process ends (normal exit, `process.exit()`, a fatal
   * exception, SIGTERM/SIGINT). What is still queued after it is reported on stderr and dropped.
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

const CHUNK_CHARS = 64 * 1024;
const RETRY_MS = 10;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/**
 * A destination on a file descriptor. Lines are queued and written in batches on the next turn of
 * the event loop with `fs.writeSync`, which on a non-blocking pipe returns EAGAIN instead of
 * blocking: the service never waits for a slow reader, and nothing is ever in flight in the
 * thread pool, so an exit-time flush knows exactly what is left to write.
 */
export class FdDestination implements Destination {
  private readonly fd: number;
  private readonly sync: boolean;
  private readonly maxChars: number;
  private readonly exitDeadlineMs: number;
  private queue: string[] = [];
  private queuedChars = 0;
  /** The unwritten rest of a chunk the kernel took only part of. */
  private head: Buffer | undefined;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private gone = false;
  private droppedCount = 0;
  private unreported = 0;
  private reporter: DropReporter | undefined;

  constructor(options: DestinationOptions = {}) {
    this.fd = options.fd ?? 1;
    this.sync = options.sync ?? false;
    this.maxChars = options.maxBufferChars ?? 16 * 1024 * 1024;
    this.exitDeadlineMs = options.exitDeadlineMs ?? 3000;
    if (this.fd === 1) makeStdoutNonBlocking();
    if (options.handleExit !== false) installExitHooks(this);
  }

  get dropped(): number {
    return this.droppedCount;
  }

  /** Sets how dropped lines are reported in the stream; the first logger on a destination sets it. */
  setDropReporter(reporter: DropReporter): void {
    this.reporter ??= reporter;
  }

  write(line: string): void {
    if (this.gone || this.queuedChars + line.length > this.maxChars) {
      this.droppedCount++;
      this.unreported++;
      return;
    }
    this.queue.push(line);
    this.queuedChars += line.length;
    if (this.sync) this.flushSync(this.exitDeadlineMs);
    else if (!this.scheduled && this.retryTimer === undefined) {
      this.scheduled = true;
      setImmediate(this.onTurn);
    }
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

  flushSync(deadlineMs: number = this.exitDeadlineMs): void {
    const until = Date.now() + deadlineMs;
    while (!this.writeAvailable()) {
      if (Date.now() >= until) return;
      sleepMs(Math.min(5, Math.max(1, until - Date.now())));
    }
  }

  /** Lines still queued at exit are dropped; says so on stderr, since stdout is what failed. */
  abandon(): void {
    const left = this.queue.length + (this.head ? 1 : 0);
    if (left === 0) return;
    this.droppedCount += left;
    this.queue = [];
    this.queuedChars = 0;
    this.head = undefined;
    try {
      writeSync(2, `loglane: dropped ${left} log lines at exit: the reader of fd ${this.fd} did not take them within ${this.exitDeadlineMs} ms\n`);
    } catch {
      // stderr is gone too; nothing else can be done.
    }
  }

  /**
   * Writes until the queue is empty (true) or the fd would block (false). A reader that is gone
   * (EPIPE, EBADF) turns the destination off: its lines are counted as dropped, the app runs on.
   */
  private writeAvailable(): boolean {
    for (;;) {
      if (this.head === undefined) {
        if (this.unreported > 0 && this.reporter) this.enqueueDropReport();
        if (this.queue.length === 0) return true;
        this.head = Buffer.from(this.takeChunk());
      }
      try {
        const written = writeSync(this.fd, this.head);
        this.head = written < this.head.length ? this.head.subarray(written) : undefined;
      } catch (err) {
        const code = errorCode(err);
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
        this.gone = true;
        this.droppedCount += this.queue.length + 1;
        this.queue = [];
        this.queuedChars = 0;
        this.head = undefined;
        return true;
      }
    }
  }

  private takeChunk(): string {
    let chars = 0;
    let count = 0;
    while (count < this.queue.length && (count === 0 || chars < CHUNK_CHARS)) {
      chars += (this.queue[count] as string).length;
      count++;
    }
    const chunk = count === this.queue.length ? this.queue : this.queue.slice(0, count);
    this.queue = count === this.queue.length ? [] : this.queue.slice(count);
    this.queuedChars -= chars;
    return chunk.length === 1 ? (chunk[0] as string) : chunk.join('');
  }

  private enqueueDropReport(): void {
    const count = this.unreported;
    this.unreported = 0;
    const line = (this.reporter as DropReporter)(count);
    this.queue.push(line);
    this.queuedChars += line.length;
  }
}

let stdoutPrepared = false;
/**
 * Node sets a pipe or socket on stdout to non-blocking when `process.stdout` is first used; do it
 * now so our writes to fd 1 get EAGAIN instead of blocking. A reader that goes away must not crash
 * the app through an EPIPE `error` on process.stdout either.
 */
function makeStdoutNonBlocking(): void {
  if (stdoutPrepared) return;
  stdoutPrepared = true;
  try {
    const stat = fstatSync(1);
    if (stat.isFIFO() || stat.isSocket()) {
      process.stdout.on('error', (err: unknown) => {
        if (errorCode(err) !== 'EPIPE') throw err;
      });
    }
  } catch {
    // fd 1 closed: writes will fail with EBADF and be counted as dropped.
  }
}

const exitHooked = new WeakSet<FdDestination>();
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Flushes on every way out: the loop running dry (beforeExit), `process.exit()` (exit), an uncaught
 * exception or unhandled rejection (uncaughtExceptionMonitor, which does not change Node's own
 * handling), SIGTERM and SIGINT. A signal we catch is re-raised when nobody else listens, so the
 * process still ends the way it would have.
 */
function installExitHooks(destination: FdDestination): void {
  if (exitHooked.has(destination)) return;
  exitHooked.add(destination);
  const flushThenAbandon = (): void => {
    destination.flushSync();
    destination.abandon();
  };
  process.on('beforeExit', () => destination.flushSync());
  process.on('exit', flushThenAbandon);
  process.on('uncaughtExceptionMonitor', flushThenAbandon);
  for (const signal of SIGNALS) {
    const onSignal = (): void => {
      destination.flushSync();
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

const SHARED_KEY = Symbol.for('@loglane/core/stdout@1');
type SharedHolder = { [SHARED_KEY]?: FdDestination };

/**
 * The process-wide stdout destination: every logger writing to stdout shares it, so their lines
 * are never interleaved mid-line and exit hooks are installed once. Options apply when it is made.
 */
export function stdoutDestination(options: Omit<DestinationOptions, 'fd'> = {}): FdDestination {
  const holder = globalThis as SharedHolder;
  return (holder[SHARED_KEY] ??= new FdDestination({ ...options, fd: 1 }));
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
