// Runs the exit-behaviour fixtures as real child processes: core's TypeScript sources are compiled to
// CommonJS once per test file, and the child's stdout is a pipe this process reads late, never, or
// closes early, the way a slow or dead log shipper would.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = dirname(fileURLToPath(import.meta.url));
const coreRoot = join(here, '..', '..');
/** The fixture every test spawns; its first argument names the scenario. */
export const FIXTURE = join(here, 'fixtures', 'child.mjs');
const MARKER = '@fixture ';

/** A compiled copy of `packages/core/src` that a plain `node` can require. */
export interface CompiledCore {
  /** Path of the compiled `index.js`. */
  readonly entry: string;
  remove(): void;
}

/**
 * Compiles core's sources (not the tests) file by file to CommonJS. The copy lives under
 * `packages/core/node_modules/.cache`, so its `require('winston')` resolves to core's own
 * dependencies; it does not depend on `dist` being built or fresh.
 */
export function compileCore(): CompiledCore {
  const src = join(coreRoot, 'src');
  const cache = join(coreRoot, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const out = mkdtempSync(join(cache, 'loglane-exit-'));
  writeFileSync(join(out, 'package.json'), '{"type":"commonjs"}\n');
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        visit(path);
        continue;
      }
      if (!entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts') || entry.name.endsWith('.d.ts')) continue;
      const result = ts.transpileModule(readFileSync(path, 'utf8'), {
        fileName: path,
        compilerOptions: {
          module: ts.ModuleKind.CommonJS,
          target: ts.ScriptTarget.ES2022,
          esModuleInterop: true,
        },
      });
      const target = join(out, relative(src, path)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, result.outputText);
    }
  };
  visit(src);
  return { entry: join(out, 'index.js'), remove: () => rmSync(out, { recursive: true, force: true }) };
}

/** How the test reads the child's stdout. */
export type ReaderPlan =
  /** Reads from the start. */
  | { kind: 'now' }
  /** Holds the pipe full until `delayMs` after the child announced `marker`, then reads everything. */
  | { kind: 'late'; marker: string; delayMs: number }
  /** Never reads: the pipe and this side's stream buffer fill up and stay full. */
  | { kind: 'never' }
  /** Reads nothing while the child lives, then everything it left in the pipe. */
  | { kind: 'after-exit' }
  /** Reads the first line, then closes its end of the pipe (the child's next writes get EPIPE). */
  | { kind: 'close-after-first-line' };

export interface RunOptions {
  /** Scenario name understood by `fixtures/child.mjs`. */
  scenario: string;
  core: CompiledCore;
  reader: ReaderPlan;
  /** Extra environment for the child (record counts, destination options as JSON). */
  env?: Record<string, string>;
  /** Extra `node` flags, such as `--expose-gc`. */
  nodeArgs?: string[];
  /** Called when the child announces a marker on stderr. */
  onMarker?: (name: string, child: ChildProcess) => void;
  /** Called for every complete stdout line as it arrives. */
  onLine?: (line: string, child: ChildProcess) => void;
  /** The child is killed (and the test fails) after this long. */
  timeoutMs?: number;
  /**
   * An fd to give the child as its stdout (a file, /dev/null) instead of a pipe; `reader` is then
   * ignored and no lines are collected.
   */
  stdoutFd?: number | Writable;
  /** Keep every stdout line in `lines` (default); false only counts them through `onLine`. */
  keepLines?: boolean;
  /** Shell commands run before the child's `node` (such as `ulimit -S -f 64`), through `/bin/sh`. */
  shellPrefix?: string;
}

/** A marker the fixture wrote to stderr, with the parent's clock when it arrived. */
export interface Marker {
  readonly name: string;
  readonly data: Record<string, unknown>;
  readonly at: number;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Complete stdout lines (without their `\n`), in arrival order. */
  readonly lines: string[];
  /** `performance.now()` at which each line of `lines` arrived. */
  readonly lineTimes: number[];
  /** Bytes after the last `\n` (a line cut off mid-write). */
  readonly tail: string;
  /** stderr without the fixture's markers. */
  readonly stderr: string;
  readonly markers: Marker[];
  /** `performance.now()` when the child exited. */
  readonly exitedAt: number;
  /** Whether the timeout killed the child. */
  readonly timedOut: boolean;
}

/** Spawns the fixture, runs the reader plan, and resolves when the child has exited and its output is read. */
export function runFixture(options: RunOptions): Promise<RunResult> {
  const args = [...(options.nodeArgs ?? []), FIXTURE, options.scenario];
  const [command, commandArgs] =
    options.shellPrefix === undefined
      ? [process.execPath, args]
      : ['/bin/sh', ['-c', `${options.shellPrefix}; exec "$0" "$@"`, process.execPath, ...args]];
  const child = spawn(command, commandArgs, {
    stdio: ['pipe', options.stdoutFd ?? 'pipe', 'pipe'],
    env: { ...process.env, ...options.env, LOGLANE_CORE: options.core.entry, NODE_OPTIONS: '' },
  });
  // With `stdoutFd` there is no pipe to read: an empty stream stands in for it.
  const stdout = child.stdout ?? new PassThrough().end();
  const stderrStream = child.stderr;
  if (!stderrStream) throw new Error('spawn gave no stderr pipe');
  const keepLines = options.keepLines ?? true;
  const lines: string[] = [];
  const lineTimes: number[] = [];
  const markers: Marker[] = [];
  let tail = '';
  let stderr = '';
  let stderrTail = '';
  let timedOut = false;
  const reader = options.reader;

  stdout.setEncoding('utf8');
  stdout.on('data', (chunk: string) => {
    const now = performance.now();
    const parts = (tail + chunk).split('\n');
    tail = parts.pop() ?? '';
    for (const line of parts) {
      if (keepLines) {
        lines.push(line);
        lineTimes.push(now);
      }
      options.onLine?.(line, child);
      if (reader.kind === 'close-after-first-line' && lines.length === 1) stdout.destroy();
    }
  });
  stdout.on('error', () => {
    // Closing our end early is the point of some tests.
  });
  if (reader.kind !== 'now' && reader.kind !== 'close-after-first-line') stdout.pause();

  stderrStream.setEncoding('utf8');
  stderrStream.on('data', (chunk: string) => {
    const parts = (stderrTail + chunk).split('\n');
    stderrTail = parts.pop() ?? '';
    for (const line of parts) {
      if (!line.startsWith(MARKER)) {
        stderr += `${line}\n`;
        continue;
      }
      const data = JSON.parse(line.slice(MARKER.length)) as Record<string, unknown>;
      const name = String(data.name);
      markers.push({ name, data, at: performance.now() });
      if (reader.kind === 'late' && name === reader.marker) setTimeout(() => stdout.resume(), reader.delayMs);
      options.onMarker?.(name, child);
    }
  });
  child.stdin?.on('error', () => {
    // The child may exit before reading what the test sent.
  });

  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 30_000);

  let exitedAt = 0;
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => {
      exitedAt = performance.now();
      clearTimeout(timer);
      // Read what is left in the pipe, unless the plan is never to read it.
      if (reader.kind === 'never') stdout.destroy();
      else if (!stdout.destroyed) stdout.resume();
    });
    // 'close' comes once the child has exited and both output pipes are closed.
    child.on('close', (code, signal) => {
      resolve({ code, signal, lines, lineTimes, tail, stderr: stderr + stderrTail, markers, exitedAt, timedOut });
    });
  });
}

/** The marker called `name`; throws when the fixture never wrote it. */
export function marker(result: RunResult, name: string): Marker {
  const found = result.markers.find((m) => m.name === name);
  if (!found) throw new Error(`fixture wrote no "${name}" marker; stderr:\n${result.stderr}`);
  return found;
}

/** Parses every line as JSON; throws naming the first line that is not a JSON object. */
export function parseLines(lines: readonly string[]): Record<string, unknown>[] {
  return lines.map((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`line ${i} is not JSON: ${line.slice(0, 200)}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`line ${i} is not a JSON object`);
    return value as Record<string, unknown>;
  });
}
