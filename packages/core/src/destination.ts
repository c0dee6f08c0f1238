// What a destination is: the sink interfaces and their options. The fd writer is fd-destination.ts;
// the shared stdout destination, exit hooks and test capture live in process.ts.

/** Anything that takes finished lines. */
export interface LineSink {
  /** Takes one line, ending in `\n`. Never throws. */
  write(line: string): void;
}

/** A sink that can be flushed and reports lost lines. */
export interface Destination extends LineSink {
  /** Writes everything queued, waiting for a slow reader at most `deadlineMs`. Never throws. */
  flushSync(deadlineMs?: number): void;
  /** Lines dropped so far: the queue was full, the reader was gone, or the fd failed. */
  readonly dropped: number;
}

/** Options of `createFdDestination`. */
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
   * Most characters held for a reader that is not reading; past it, lines are dropped and counted,
   * and the count is written as a `warn` record with `droppedLines` once the reader catches up. A
   * reader that keeps up (a file, /dev/null, a fast pipe) never fills it: lines are written as soon
   * as the queue grows, not only once per turn of the event loop.
   * @default 16_777_216 (16 Mi characters)
   */
  maxBufferChars?: number;
  /**
   * Longest wait for the reader when the process ends (the loop running dry, `process.exit()`, an
   * uncaught exception or unhandled rejection, SIGTERM/SIGINT/SIGHUP), counted once for the whole exit.
   * What is still queued after it is dropped and reported on stderr.
   * @default 3000
   */
  exitDeadlineMs?: number;
  /**
   * Flush on process exit, fatal exceptions and SIGTERM/SIGINT/SIGHUP.
   * @default true
   */
  handleExit?: boolean;
}

/**
 * Writes the record that reports dropped lines; set by the logger that owns the destination.
 * `cause` says why in words, with the errno when a write failed ("writing to fd 1 failed (EFBIG)").
 */
export type DropReporter = (dropped: number, cause: string) => string;
