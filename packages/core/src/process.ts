// Process-wide state, in one place: the settings the application gives `configureProcess`, the shared
// stdout destination, the exit and signal hooks, the uncaught-exception reporter, the test capture
// sink and the trace-context storage. Shared by the CommonJS and ESM builds through `Symbol.for` keys
// on globalThis; nothing else in core keeps state there (otel.ts only reads OpenTelemetry's own
// registry, testing/jest.ts Jest's globals).

import type { Destination, DestinationOptions, DropReporter, LineSink } from './destination.js';
import { FdDestination, noteOnStderr } from './fd-destination.js';

/**
 * Settings of the whole process, for the application to set once at startup with `configureProcess`.
 * A logger created by a library cannot change them.
 */
export interface ProcessOptions {
  /**
   * Write every stdout line before the logging call returns (AWS Lambda, scripts that end abruptly).
   * A single logger can ask for it too, for its own lines only: `createLogger({ destination: { sync: true } })`.
   * @default false
   */
  sync?: boolean;
  /**
   * Most characters the stdout queue holds for a reader that is not reading; past it, lines are
   * dropped, counted and reported.
   * @default 16_777_216 (16 Mi characters)
   */
  maxBufferChars?: number;
  /**
   * Longest wait for the stdout reader when the process ends, counted once for the whole exit.
   * Keep it well below the grace period before SIGKILL (Docker 10 s, Kubernetes 30 s).
   * @default 3000
   */
  exitDeadlineMs?: number;
  /**
   * Flush stdout on `beforeExit`, `exit`, a fatal exception and SIGTERM/SIGINT/SIGHUP. With `false`,
   * lines still queued when the process ends are lost unless you call `logger.flush()`.
   * @default true
   */
  handleExit?: boolean;
  /**
   * Write a `fatal` record for an uncaught exception or unhandled rejection that ends the process.
   * @default true
   */
  logUncaught?: boolean;
}

/** What the exit hooks call on each destination that flushes at exit. */
interface ExitMember {
  idleFlush(): void;
  endFlush(final: boolean): void;
}

/** Writes the fatal record; the first logger created with `logUncaught` on provides it. */
export type UncaughtReporter = (error: unknown, origin: NodeJS.UncaughtExceptionOrigin) => void;

interface ProcessState {
  /** The options `configureProcess` was called with, as JSON: a second call must say the same. */
  configuredAs: string | undefined;
  settings: {
    sync: boolean;
    maxBufferChars: number | undefined;
    exitDeadlineMs: number | undefined;
    handleExit: boolean;
    logUncaught: boolean;
  };
  stdout: FdDestination | undefined;
  /** The view of `stdout` a `{ sync: true }` logger writes through. */
  syncStdout: Destination | undefined;
  members: Set<ExitMember>;
  hooksInstalled: boolean;
  monitorInstalled: boolean;
  uncaughtReporter: UncaughtReporter | undefined;
  /** createLogger's destination options that are the application's to set were ignored, and this was said. */
  warnedAboutOptions: boolean;
}

const STATE_KEY = Symbol.for('@loglane/core/process@1');
// These two keys predate the state object and are read by other copies of loglane as they are.
const CAPTURE_KEY = Symbol.for('@loglane/core/capture@1');
const TRACE_STORAGE_KEY = Symbol.for('@loglane/core/trace-context@1');

interface Holder {
  [STATE_KEY]?: ProcessState;
  [CAPTURE_KEY]?: LineSink;
  [TRACE_STORAGE_KEY]?: unknown;
}
const holder = globalThis as Holder;

function state(): ProcessState {
  return (holder[STATE_KEY] ??= {
    configuredAs: undefined,
    settings: { sync: false, maxBufferChars: undefined, exitDeadlineMs: undefined, handleExit: true, logUncaught: true },
    stdout: undefined,
    syncStdout: undefined,
    members: new Set(),
    hooksInstalled: false,
    monitorInstalled: false,
    uncaughtReporter: undefined,
    warnedAboutOptions: false,
  });
}

/**
 * Sets the process-wide logging settings: the shared stdout destination, the exit flush and the
 * fatal record for an uncaught exception. Call it once, in the application's entry point, before or
 * after loggers are created (loggers already made by libraries follow the new settings too). Loggers
 * join these settings; they cannot change them.
 *
 * @throws TypeError when called again with different options: the settings are the application's,
 *   set once, and a second caller (a library) must not override them.
 * @example
 * configureProcess({ exitDeadlineMs: 5000 });
 * const logger = createLogger({ label: 'orders-api' });
 */
export function configureProcess(options: ProcessOptions = {}): void {
  const s = state();
  const asJson = JSON.stringify(options, Object.keys(options).sort());
  if (s.configuredAs !== undefined) {
    if (s.configuredAs === asJson) return;
    throw new TypeError(
      `@loglane/core: configureProcess was already called with ${s.configuredAs}; the process settings are set once, by the application (now given ${asJson})`,
    );
  }
  s.configuredAs = asJson;
  s.settings = {
    sync: options.sync ?? false,
    maxBufferChars: options.maxBufferChars,
    exitDeadlineMs: options.exitDeadlineMs,
    handleExit: options.handleExit ?? true,
    logUncaught: options.logUncaught ?? true,
  };
  const stdout = s.stdout;
  if (stdout) {
    stdout.configure({ sync: s.settings.sync, maxBufferChars: s.settings.maxBufferChars ?? 16 * 1024 * 1024, exitDeadlineMs: s.settings.exitDeadlineMs ?? 3000 });
    if (s.settings.handleExit) joinExitHooks(stdout);
    else s.members.delete(stdout);
  }
}

/**
 * The process-wide stdout destination: every logger writing to stdout shares it (across both
 * builds), so their lines never interleave mid-line and exit hooks are installed once. Its options
 * are the ones given to `configureProcess`.
 */
export function stdoutDestination(): FdDestination {
  const s = state();
  if (s.stdout) return s.stdout;
  const { sync, maxBufferChars, exitDeadlineMs, handleExit } = s.settings;
  const created = new FdDestination({ fd: 1, sync, maxBufferChars, exitDeadlineMs });
  s.stdout = created;
  if (handleExit) joinExitHooks(created);
  return created;
}

/**
 * The stdout destination for one logger, from its `destination` option. `sync: true` gives that
 * logger a view that writes its own lines before returning; the other options belong to the
 * application (`configureProcess`) and are ignored here, with one note on stderr per process.
 */
export function joinStdout(options: Omit<DestinationOptions, 'fd'> = {}): Destination {
  const shared = stdoutDestination();
  const s = state();
  const ignored = (['maxBufferChars', 'exitDeadlineMs', 'handleExit'] as const).filter((key) => options[key] !== undefined);
  if (ignored.length > 0 && !s.warnedAboutOptions) {
    s.warnedAboutOptions = true;
    noteOnStderr(
      `createLogger({ destination: { ${ignored.join(', ')} } }) is ignored: one logger cannot change the stdout of every other; the application sets it once with configureProcess({ ${ignored.join(', ')} })`,
    );
  }
  if (options.sync !== true) return shared;
  return (s.syncStdout ??= syncView(shared));
}

/** A view of the shared destination whose writes are synchronous; everything else is the shared one's. */
function syncView(shared: FdDestination): Destination & { setDropReporter(reporter: DropReporter): void } {
  return {
    write: (line) => shared.writeNow(line),
    flushSync: (deadlineMs) => shared.flushSync(deadlineMs),
    get dropped() {
      return shared.dropped;
    },
    setDropReporter: (reporter) => shared.setDropReporter(reporter),
  };
}

/** A destination on any file descriptor (a file you opened, stderr): its own queue and options. */
export function createFdDestination(options: DestinationOptions = {}): FdDestination {
  const destination = new FdDestination(options);
  if (options.handleExit !== false) joinExitHooks(destination);
  return destination;
}

/**
 * Sends the lines of every loglane logger in this process to `sink` instead of their destination,
 * until called again with `undefined`. Used by `@loglane/core/testing`; shared by both builds.
 */
export function setCaptureSink(sink: LineSink | undefined): void {
  holder[CAPTURE_KEY] = sink;
}

/** The active capture sink, if a test installed one. */
export function getCaptureSink(): LineSink | undefined {
  return holder[CAPTURE_KEY];
}

/**
 * The process's one trace-context storage, made by `create` the first time any copy of loglane asks
 * (the dual-package hazard: the ESM and CJS builds must see the same context). Only context.ts calls it.
 */
export function sharedTraceStorage<T>(create: () => T): T {
  return (holder[TRACE_STORAGE_KEY] ??= create()) as T;
}

/**
 * Makes `reporter` write the fatal record of an uncaught exception that ends the process, unless
 * one is set already or the application turned it off (`configureProcess({ logUncaught: false })`).
 */
export function setUncaughtReporter(reporter: UncaughtReporter): void {
  const s = state();
  s.uncaughtReporter ??= reporter;
  installMonitor(s);
}

function joinExitHooks(member: ExitMember): void {
  const s = state();
  s.members.add(member);
  installExitHooks(s);
}

function eachMember(s: ProcessState, call: (member: ExitMember) => void): void {
  for (const member of s.members) {
    try {
      call(member);
    } catch {
      // One destination failing must not keep the others from flushing.
    }
  }
}

/**
 * Whether the exception being reported ends the process: no `uncaughtException` listener and no
 * capture callback keeps it alive. An exception the app handles is the app's to log (issue #8, defect 5).
 */
function exceptionEndsProcess(): boolean {
  return process.listenerCount('uncaughtException') === 0 && !process.hasUncaughtExceptionCaptureCallback();
}

/**
 * `uncaughtExceptionMonitor` runs before Node decides, for every uncaught exception and (with the
 * default `--unhandled-rejections=throw`) every unhandled rejection. When it will end the process:
 * the fatal record, then the exit flush starts. When the app handles it: nothing.
 */
function installMonitor(s: ProcessState): void {
  if (s.monitorInstalled) return;
  s.monitorInstalled = true;
  // Prepended: the fatal record is queued and flushed before any monitor of the app's runs (one may exit).
  process.prependListener('uncaughtExceptionMonitor', (error, origin) => {
    if (!exceptionEndsProcess()) return;
    const reporter = s.uncaughtReporter;
    if (reporter && s.settings.logUncaught) {
      try {
        reporter(error, origin);
      } catch {
        // Logging a fatal error must never replace it with another.
      }
    }
    eachMember(s, (m) => m.endFlush(false));
  });
}

/** The signals after which the process ends by default; each is flushed, then re-raised when nobody else handles it. */
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * Installs the process hooks once per process (shared by every destination and both builds), so a
 * signal is re-raised by exactly one listener:
 * - `beforeExit` (the loop ran dry): flush within the exit deadline;
 * - `exit` (`process.exit()`, the end of the loop, a fatal exception): flush what is left of the
 *   deadline, then drop the rest with a note on stderr. Lines logged by later `exit` listeners are
 *   written synchronously;
 * - the uncaught-exception monitor (`installMonitor`);
 * - SIGTERM/SIGINT/SIGHUP: when no other listener handles the signal, flush, drop the rest, and
 *   re-raise it so the process ends the way it would have; when another listener does, flush within
 *   the deadline and leave the decision to it (the app's shutdown runs, and `exit` flushes).
 */
function installExitHooks(s: ProcessState): void {
  installMonitor(s);
  if (s.hooksInstalled) return;
  s.hooksInstalled = true;
  process.on('beforeExit', () => eachMember(s, (m) => m.idleFlush()));
  process.on('exit', () => eachMember(s, (m) => m.endFlush(true)));
  for (const signal of SIGNALS) installSignalHook(s, signal);
}

/**
 * "Does anybody else handle this signal?" must be answered as of the moment the signal arrived. A
 * `once` listener that ran before ours (`prependOnceListener`, or `once` registered before loglane
 * was loaded) has already been removed by Node when ours runs, so removals of the signal's listeners
 * within the current emit are counted as listeners too (issue #8, defect 8). Emit is synchronous and
 * the count is cleared on the next microtask, so only removals of this very emit count.
 */
function installSignalHook(s: ProcessState, signal: (typeof SIGNALS)[number]): void {
  let removedThisEmit = 0;
  const onSignal = (): void => {
    const others = process.listeners(signal).filter((listener) => listener !== onSignal).length + removedThisEmit;
    if (others > 0) {
      // Another listener decides. Flush within the exit deadline, then step aside for the rest of this
      // emit: a listener that re-raises the signal only when it is alone (signal-exit, loaded by execa,
      // tsx, write-file-atomic, …) must not take loglane for the app's handler, or each sees the other,
      // neither re-raises, and SIGTERM no longer ends the process. Back on the next microtask, unless
      // the process was ended by then.
      eachMember(s, (m) => m.idleFlush());
      process.removeListener(signal, onSignal);
      queueMicrotask(() => {
        if (!process.listeners(signal).includes(onSignal)) process.prependListener(signal, onSignal);
      });
      return;
    }
    eachMember(s, (m) => m.endFlush(true));
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  };
  process.on('removeListener', (event: string | symbol, listener: unknown) => {
    if (event !== signal || listener === onSignal) return;
    if (removedThisEmit++ === 0) queueMicrotask(() => (removedThisEmit = 0));
  });
  process.prependListener(signal, onSignal);
}
