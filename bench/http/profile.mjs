// One Express app of the in-process benchmark (bare, or with loglane and the given options) serving
// GET/POST pairs in a loop through the same in-memory connection, for a CPU or allocation profile:
//
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/http/profile.mjs '{}' 15000
//   node bench/core/top-functions.mjs /tmp/prof/*.cpuprofile 40
//   HEAP_PROFILE=/tmp/ignored.heapprofile node bench/http/profile.mjs '{"ignore":["/users","/users/*"]}' 10000
//
// The first argument is loglane's options as JSON (`{"bare":true}` for the app without logging),
// the second the number of requests. HEAP_PROFILE samples every allocation (also of objects the
// young-generation GC collected) and writes a profile that Chrome DevTools opens.
// PROFILE_CONCURRENCY=16 serves 16 requests per turn (the in-process harness's second operating
// point); PROFILE_VARIANT=nest-loglane (any variant of apps.mjs) profiles that app instead, on
// 127.0.0.1 but driven through the same in-memory connections:
//
//   PROFILE_CONCURRENCY=16 PROFILE_VARIANT=nest-pino node --cpu-prof bench/http/profile.mjs '{}' 60000
import { openSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expressApp, startServer } from './apps.mjs';
import { MemoryConnection, requestBytes } from './memory-socket.mjs';
import { HEADERS, REQUESTS } from './requests.mjs';
import { rootDir } from '../lib/report.mjs';

const options = JSON.parse(process.argv[2] ?? '{}');
const count = Number(process.argv[3] ?? 15000);
const packages = process.env.LOGLANE_PACKAGES ?? join(rootDir, 'packages');
const { loglane } = await import(pathToFileURL(join(packages, 'express', 'dist', 'esm', 'index.js')).href);
const { createFdDestination } = await import(pathToFileURL(join(packages, 'core', 'dist', 'esm', 'index.js')).href);
const fd = openSync('/dev/null', 'a');
const { bare, ...loglaneOptions } = options;
/** The Express app with loglane and the given options (or bare). */
const loglaneApp = () =>
  expressApp((a, express) => {
    if (bare) {
      a.use(express.json());
      return undefined;
    }
    const { middleware, errorHandler } = loglane({ label: 'bench-service', destination: createFdDestination({ fd }), ...loglaneOptions });
    a.use(middleware);
    a.use(express.json());
    return (after) => after.use(errorHandler);
  });
const { createServer } = await import('node:http');
const concurrency = Number(process.env.PROFILE_CONCURRENCY ?? 1);
const server = process.env.PROFILE_VARIANT ? await startServer(process.env.PROFILE_VARIANT) : createServer(await loglaneApp());
const connections = Array.from({ length: concurrency }, (_, i) => new MemoryConnection(server, i));
const bytes = REQUESTS.map((r) => requestBytes({ ...r, headers: r.headers ?? HEADERS }));
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

async function serve(n) {
  for (let i = 0; i < n; i += concurrency) {
    await Promise.all(connections.map((c, j) => c.send(bytes[(i + j) % bytes.length])));
    await nextTurn();
  }
}

await serve(2000); // warm-up
const session = process.env.HEAP_PROFILE ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
}
await serve(count);
if (process.env.PROFILE_VARIANT) server.close();
if (session) {
  const { profile } = await session.post('HeapProfiler.stopSampling');
  writeFileSync(process.env.HEAP_PROFILE, JSON.stringify(profile));
  let total = 0;
  (function walk(node) {
    total += node.selfSize;
    node.children.forEach(walk);
  })(profile.head);
  console.log(`${(total / count / 1024).toFixed(1)} KB allocated per request (sampled, harness included)`);
}
if (process.env.PROFILE_VARIANT) process.exit(0); // a listening Nest app would keep the process alive
