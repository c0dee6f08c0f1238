// Requests die young: a request logged by loglane must not outlive its response through V8's
// young-generation GCs. Anything that does (a WeakMap entry keyed by the request, a closure per
// request stored where the young GC treats it as live) is copied, promoted to the old generation
// and freed only by a full GC; under load that cost more CPU than everything else loglane does
// (issue #9: scavenges of 20–28 ms keeping 30–50 MB, about 13 µs of GC per request).
//
// The server runs in a child process with `--trace-gc-nvp`; the bytes each young GC promoted while
// it answered 3,000 GET and POST requests are summed, for the bare app and with loglane. Measured
// on Node 24 only: there a bare Express app promotes next to nothing (about 30 B per request), so
// what loglane adds shows; Node 20 and 22 promote 7–8 KB per request of a bare app already, which
// hides it. scripts/test-all.mjs runs this file on Node 24.

import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain JavaScript fixture shared with the child process's server
import { sendRequests } from './fixtures/young-gc-client.mjs';

const pkg = resolve(__dirname, '..');
const major = Number(process.versions.node.split('.')[0]);
const WARMUP = 800;
const MEASURED = 3000;

/** Bytes promoted by young-generation GCs per request while the server answered `MEASURED` requests. */
async function promotedPerRequest(mode: 'bare' | 'loglane', express: 'express' | 'express4', options: object = {}): Promise<number> {
  const child = spawn(process.execPath, ['--trace-gc-nvp', join(__dirname, 'fixtures', 'young-gc.mjs'), mode, express, String(WARMUP), String(MEASURED)], {
    cwd: pkg,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, YOUNG_GC_OPTIONS: JSON.stringify(options) },
  });
  let measuring = false;
  let promoted = 0;
  let measured = 0;
  let sending: Promise<void> | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('PORT ')) sending = (sendRequests as (port: number, total: number) => Promise<void>)(Number(line.slice(5)), WARMUP + MEASURED);
    else if (line === 'MEASURE-START') measuring = true;
    else if (line.startsWith('MEASURE-END ')) {
      measuring = false;
      measured = Number(line.slice('MEASURE-END '.length));
    } else if (measuring && line.includes('gc=s ')) promoted += Number(/\bpromoted=(\d+)/.exec(line)?.[1] ?? 0);
  });
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  await sending;
  expect(code).toBe(0);
  expect(measured).toBe(MEASURED);
  return promoted / measured;
}

describe.skipIf(major < 24)('requests die young (Node 24)', () => {
  it.each(['express', 'express4'] as const)('a logged request is not promoted by young GCs (%s)', async (express) => {
    const bare = await promotedPerRequest('bare', express);
    // Bodies on, and HttpRequest waiting for the body parser on POST: the paths that held requests.
    const logged = await promotedPerRequest('loglane', express);
    // Above `info`, HttpRequest waits for the request's first record (a closure per request did that).
    const quiet = await promotedPerRequest('loglane', express, { level: 'error' });
    // Before the fix: 3,500–4,100 B per request for both; now about 50.
    expect(logged - bare).toBeLessThan(500);
    expect(quiet - bare).toBeLessThan(500);
  }, 60_000);
});
