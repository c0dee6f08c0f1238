// The downstream proof: a scripted day of traffic against the two Express examples and a fresh app,
// their stdout collected; then `loglane check` passes on it, every line validates against the
// generated JSON Schema, DuckDB loads it with the generated column spec (no type guessing), writes
// Parquet partitioned by dt, reads it back, and the SQL of docs/pipelines/queries.md answers what the
// script did.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALWAYS_PRESENT_BY_CONTEXT, ALWAYS_PRESENT_FIELDS, KIND_FIELD, TIME_FIELD } from '@loglane/core';
import { SLOW_DELAYS_MS, TRACED_GLOBAL_ID, WATCHED_USER, buildNestExample, scriptDay, send, startService } from './day.js';
import type { Scripted, Service } from './day.js';
import { extractQueries } from './queries.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cli = join(root, 'packages', 'core', 'dist', 'cjs', 'cli.js');
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

type Row = Record<string, DuckDBValue>;
type Rec = Record<string, unknown>;

let dir: string;
let dayFile: string;
let lines: string[] = [];
let records: Rec[] = [];
let script: Scripted[] = [];
let statuses: number[] = [];
let services: Service[] = [];
let exitCodes: (number | string | null)[] = [];
let db: DuckDBConnection;
let day: string;

/** The service's built dist/ must be there: the README test command builds before vitest. */
function requireBuilt(): void {
  for (const pkg of ['core', 'express', 'nest']) {
    if (!existsSync(join(root, 'packages', pkg, 'dist', 'cjs', 'index.js'))) {
      throw new Error(`packages/${pkg} is not built: run \`npx pnpm@10.34.9 run build\` first (the test command does)`);
    }
  }
}

async function loglane(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

async function query(sql: string, params: DuckDBValue[] = []): Promise<Row[]> {
  const prepared = await db.prepare(sql);
  params.forEach((value, i) => {
    if (typeof value === 'string') prepared.bindVarchar(i + 1, value);
    else throw new Error(`unsupported parameter ${String(value)}`);
  });
  const reader = await prepared.runAndReadAll();
  return reader.getRowObjectsJS() as Row[];
}

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(join(tmpdir(), 'loglane-downstream-'));
  buildNestExample();
  const inventory = await startService('inventory');
  const [orders, shop, users] = await Promise.all(
    (['orders', 'shop', 'users'] as const).map((name) => startService(name, { INVENTORY_URL: inventory.url })),
  );
  if (!orders || !shop || !users) throw new Error('a service did not start');
  services = [inventory, orders, shop, users];
  const urls: Record<Service['name'], string> = { inventory: inventory.url, orders: orders.url, shop: shop.url, users: users.url };
  script = scriptDay();
  statuses = new Array<number>(script.length).fill(0);
  // Eight clients at a time, in script order.
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = next++; i < script.length; i = next++) {
        const s = script[i] as Scripted;
        statuses[i] = await send(s, urls[s.service]);
      }
    }),
  );
  // The aborted requests' records are written when the server notices the client left.
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const s of services) s.child.kill('SIGTERM');
  exitCodes = await Promise.all(services.map((s) => s.exit));
  lines = services.flatMap((s) => s.lines);
  dayFile = join(dir, 'day.ndjson');
  writeFileSync(dayFile, lines.map((l) => `${l}\n`).join(''));
  records = lines.map((l) => JSON.parse(l) as Rec);
  day = String(records[0]?.[TIME_FIELD]).slice(0, 10);

  const spec = await loglane('schema', '--format', 'duckdb', '--from', dayFile);
  if (spec.code !== 0) throw new Error(`loglane schema failed: ${spec.stderr}`);
  writeFileSync(join(dir, 'columns.txt'), spec.stdout);
  const instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
  // The load of docs/pipelines/queries.md: the spec in a variable, then examples/pipelines/duckdb/load.sql
  // with its two relative paths pointed at this run's files.
  await db.run(`SET VARIABLE loglane_columns = ${spec.stdout.trim()}`);
  const load = readFileSync(join(root, 'examples', 'pipelines', 'duckdb', 'load.sql'), 'utf8')
    .replace("'day.ndjson'", `'${dayFile}'`)
    .replace("TO 'parquet'", `TO '${join(dir, 'parquet')}'`)
    .replace("'parquet/**/*.parquet'", `'${join(dir, 'parquet')}/**/*.parquet'`);
  for (const statement of load.split(/;\n/).map((s) => s.replace(/^--.*$/gm, '').trim()).filter(Boolean)) await db.run(statement);
}, 120_000);

afterAll(() => {
  for (const s of services) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every logged request of the day, the calls between services included. */
const logged = (): Scripted[] =>
  script.filter((s) => !s.unlogged).flatMap((s) => [s, ...(s.calls ?? []).map((c): Scripted => ({ ...c, path: '', user: undefined }))]);
const labelOf = (s: Scripted): string => services.find((x) => x.name === s.service)?.label ?? '';

describe('a scripted day of traffic', () => {
  it('got the statuses the script expects, and the services ended cleanly with nothing on stderr', () => {
    expect(statuses).toEqual(script.map((s) => (s.abort ? 499 : s.status)));
    // Express apps close and exit 0; Nest's shutdown hooks close the app, and may re-raise the signal.
    expect(exitCodes.slice(0, 3)).toEqual([0, 0, 0]);
    expect([0, 'SIGTERM']).toContain(exitCodes[3]);
    expect(services.map((s) => s.stderr)).toEqual(['', '', '', '']);
    expect(lines.length).toBeGreaterThan(500);
  });

  it('covers every record kind and path', () => {
    const contexts = new Set(records.map((r) => r[KIND_FIELD]));
    for (const kind of Object.keys(ALWAYS_PRESENT_BY_CONTEXT)) expect(contexts).toContain(kind);
    expect(records.some((r) => r.aborted === true && r.statusCode === 499)).toBe(true);
    expect(records.some((r) => r.aborted === true && r.statusCode === 499 && r.errorMessage === 'request aborted')).toBe(true);
    expect(records.some((r) => r.truncated === true)).toBe(true);
    expect(records.some((r) => typeof r.errorStack === 'string' && r.errorStack.includes('[cause]:'))).toBe(true);
    expect(records.some((r) => typeof r.originalUrl === 'string' && r.originalUrl.startsWith('/health'))).toBe(false);
    expect(new Set(records.map((r) => r.label))).toEqual(new Set(['inventory-api', 'orders-api', 'shop-api', 'nest-service']));
  });

  it('passes `loglane check`', async () => {
    const result = await loglane('check', dayFile);
    expect(result.stdout).toMatch(/^ok: \d+ lines/);
    expect(result.code).toBe(0);
  });

  it('validates line by line against the generated JSON Schema (ajv)', async () => {
    const schema = await loglane('schema', '--format', 'json-schema', '--from', dayFile);
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(schema.stdout) as object);
    const invalid = records.map((r, i) => (validate(r) ? undefined : { line: i + 1, errors: validate.errors })).filter(Boolean);
    expect(invalid).toEqual([]);
    // The schema is not a rubber stamp: a forged type and a non-ISO time fail it.
    expect(validate({ ...records[0], statusCode: '200' })).toBe(false);
    expect(validate({ ...records[0], [TIME_FIELD]: 'yesterday' })).toBe(false);
  });
});

describe('loaded into DuckDB with the generated column spec, through Parquet partitioned by dt', () => {
  it('keeps every line and writes one dt= partition per day', async () => {
    const rows = await query('SELECT dt, count(*) AS n FROM loglane_logs GROUP BY dt');
    expect(rows).toEqual([{ dt: day, n: BigInt(lines.length) }]);
    expect(existsSync(join(dir, 'parquet', `dt=${day}`))).toBe(true);
  });

  it('has no NULL in a column the record kind always has', async () => {
    for (const field of ALWAYS_PRESENT_FIELDS) {
      expect(await query(`SELECT count(*) AS n FROM loglane_logs WHERE "${field}" IS NULL`), field).toEqual([{ n: 0n }]);
    }
    for (const [context, fields] of Object.entries(ALWAYS_PRESENT_BY_CONTEXT)) {
      for (const field of fields) {
        const rows = await query(`SELECT count(*) AS n FROM loglane_logs WHERE ${KIND_FIELD} = ? AND "${field}" IS NULL`, [context]);
        expect(rows, `${context}.${field}`).toEqual([{ n: 0n }]);
      }
    }
  });

  it('typed the time, the integers and the app fields from the spec (not from guessing)', async () => {
    const rows = await query(`SELECT typeof("${TIME_FIELD}") AS t, typeof(statusCode) AS s, typeof(totalCents) AS c, typeof(express) AS e FROM loglane_logs LIMIT 1`);
    expect(rows).toEqual([{ t: 'TIMESTAMP', s: 'BIGINT', c: 'DOUBLE', e: 'BOOLEAN' }]);
  });
});

describe('the SQL of docs/pipelines/queries.md answers what the script did', () => {
  const queries = extractQueries(readFileSync(join(root, 'docs', 'pipelines', 'queries.md'), 'utf8'));
  const duck = (name: string): string => {
    const q = queries.find((x) => x.name === name && x.engines.includes('duckdb'));
    if (!q) throw new Error(`no duckdb query "${name}" in queries.md`);
    return q.sql;
  };

  it('has the Athena and DuckDB versions differ only where the page says (percentile functions)', () => {
    const athena = queries.find((q) => q.name === 'p95-latency' && q.engines.includes('athena'));
    expect(athena?.sql.replace('approx_percentile(', 'quantile_cont(')).toBe(duck('p95-latency'));
    for (const q of queries) if (q.name !== 'p95-latency') expect(q.engines).toEqual(['athena', 'duckdb']);
    expect(queries.map((q) => q.name)).toEqual(['requests-per-route', 'p95-latency', 'p95-latency', 'trace', 'errors', 'slowest', 'user-day']);
  });

  it('requests per route and status', async () => {
    const expected = new Map<string, number>();
    for (const s of logged()) {
      const key = `${labelOf(s)} ${s.method} ${s.route ?? '(no route)'} ${s.status}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const rows = await query(duck('requests-per-route'), [day]);
    const got = new Map(rows.map((r) => [`${String(r.label)} ${String(r.method)} ${String(r.route)} ${String(r.statusCode)}`, Number(r.requests)]));
    expect(got).toEqual(expected);
  });

  it('p95 latency per route equals the interpolated 95th percentile of the lines', async () => {
    const rows = await query(duck('p95-latency'), [day]);
    for (const row of rows) {
      const latencies = records
        .filter((r) => r[KIND_FIELD] === 'HttpResponse' && r.label === row.label && r.route === row.route)
        .map((r) => Number(r.latencyMs))
        .sort((a, b) => a - b);
      const at = 0.95 * (latencies.length - 1);
      const low = latencies[Math.floor(at)] ?? NaN;
      const high = latencies[Math.ceil(at)] ?? NaN;
      expect(Number(row.requests)).toBe(latencies.length);
      expect(Number(row.p95_ms)).toBeCloseTo(low + (high - low) * (at - Math.floor(at)), 6);
    }
    expect(rows.length).toBe(new Set(logged().filter((s) => s.route).map((s) => `${labelOf(s)} ${s.route}`)).size);
  });

  it('every record of one globalTraceId, from both services, in order', async () => {
    const rows = await query(duck('trace'), [day, TRACED_GLOBAL_ID]);
    const shop = rows.filter((r) => r.label === 'shop-api');
    const inventory = rows.filter((r) => r.label === 'inventory-api');
    expect(shop.map((r) => r.context)).toEqual(['HttpRequest', 'ShopService', 'HttpResponse']);
    expect(inventory.map((r) => r.context)).toEqual(['HttpRequest', 'HttpResponse']);
    expect(new Set(shop.map((r) => r.traceId)).size).toBe(1);
    expect(inventory[0]?.traceId).not.toBe(shop[0]?.traceId);
    // In time order, and the callee's records inside the caller's request.
    const times = rows.map((r) => String(r[TIME_FIELD]));
    expect([...times].sort()).toEqual(times);
    expect(String(inventory[0]?.[TIME_FIELD]) >= String(shop[0]?.[TIME_FIELD])).toBe(true);
    expect(String(inventory.at(-1)?.[TIME_FIELD]) <= String(shop.at(-1)?.[TIME_FIELD])).toBe(true);
  });

  it('the error rows, with their stacks', async () => {
    const rows = await query(duck('errors'), [day]);
    expect(rows.map((r) => `${String(r.label)} ${String(r.originalUrl)} ${String(r.statusCode)} ${String(r.errorMessage)}`).sort()).toEqual(
      [
        'nest-service /boom 500 the reports database is unreachable',
        'orders-api /api/orders/o-1001/invoice 500 invoice service is not configured',
        'shop-api /async-boom 500 checkout failed',
        'shop-api /boom 500 price table is corrupt',
      ].sort(),
    );
    for (const row of rows) expect(String(row.errorStack)).toMatch(/^Error: .*\n {4}at /);
    expect(String(rows.find((r) => r.originalUrl === '/async-boom')?.errorStack)).toContain('[cause]: Error: payment gateway timed out');
  });

  it('the slowest requests, with their request bodies', async () => {
    const rows = await query(duck('slowest'), [day]);
    const shown = rows.map((r) => `${String(r.originalUrl)} ${String(r.latencyMs)}ms ${String(r.requestBody)}`).join('\n');
    // What the lines say: the ten largest latencies, each with its request's body (by traceId).
    const responses = records.filter((r) => r[KIND_FIELD] === 'HttpResponse').sort((a, b) => Number(b.latencyMs) - Number(a.latencyMs));
    expect(rows.map((r) => Number(r.latencyMs)), shown).toEqual(responses.slice(0, 10).map((r) => Number(r.latencyMs)));
    const bodyOf = new Map(records.filter((r) => r[KIND_FIELD] === 'HttpRequest').map((r) => [r.traceId, r.requestBody]));
    // Rows tied with the tenth latency may be any of the tied requests: compare the ones above it.
    const tenth = Number(rows.at(-1)?.latencyMs);
    const pairs = (list: { latency: number; body: unknown }[]): string[] => list.filter((p) => p.latency > tenth).map((p) => `${p.latency} ${String(p.body ?? '')}`).sort();
    expect(pairs(rows.map((r) => ({ latency: Number(r.latencyMs), body: r.requestBody }))), shown).toEqual(
      pairs(responses.slice(0, 10).map((r) => ({ latency: Number(r.latencyMs), body: bodyOf.get(r.traceId) }))),
    );
    // What the script did: its slow reports are among them, slowest first, with their bodies.
    const reports = rows.filter((r) => String(r.requestBody).includes('"yearly"'));
    expect(reports.map((r) => JSON.parse(String(r.requestBody)) as unknown), shown).toEqual(SLOW_DELAYS_MS.map((delayMs) => ({ kind: 'yearly', delayMs })));
    reports.forEach((r, i) => expect(Number(r.latencyMs)).toBeGreaterThanOrEqual(SLOW_DELAYS_MS[i] ?? 0));
  });

  it("one user's actions in a day", async () => {
    const rows = await query(duck('user-day'), [day, WATCHED_USER]);
    const responses = rows.filter((r) => r.context === 'HttpResponse');
    expect(responses.length).toBe(logged().filter((s) => s.user === WATCHED_USER).length);
    expect(rows.some((r) => r.context === 'ShopService')).toBe(true);
  });
});
