// The HTTP options users bring from pino-http and nestjs-pino, on plain node:http servers: request
// fields (`fields`, setFields, setRequestFields), `responseLevel`, `generateTraceId`,
// `requestIdHeader`; and createLogger's unknown-option report, level names and version discovery.

import { mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setFields } from './context.js';
import { type HttpLoggingOptions, createHttpLogging } from './http.js';
import { setRequestFields } from './http-fields.js';
import { type LoglaneLogger, type LoglaneOptions, createLogger } from './logger.js';
import { entryPackageVersion } from './package-version.js';
import { checkRecord } from './schema.js';
import { KNOWN_OPTIONS } from './unknown-options.js';

type RecordOf = Record<string, unknown>;
type Handler = (req: IncomingMessage, res: ServerResponse, logger: LoglaneLogger) => void;

afterEach(() => {
  vi.unstubAllEnvs();
});

function collect(options: LoglaneOptions = {}): { logger: LoglaneLogger; records: () => RecordOf[] } {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (l) => lines.push(l) }, logUncaught: false, label: 'api', ...options });
  return {
    logger,
    records: () =>
      lines.map((line) => {
        const record = JSON.parse(line) as RecordOf;
        expect(checkRecord(record)).toEqual([]);
        return record;
      }),
  };
}

function serve(handler: Handler, options: HttpLoggingOptions = {}, loggerOptions: LoglaneOptions = {}) {
  const { logger, records } = collect(loggerOptions);
  const http = createHttpLogging({ logger, ...options });
  const server = createServer((req, res) => http.handle(req, res, () => handler(req, res, logger)));
  const settled = async (count: number): Promise<RecordOf[]> => {
    for (let i = 0; i < 200 && records().filter((r) => r.context === 'HttpResponse').length < count; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    return records();
  };
  return { server, settled, records };
}

describe('request fields over HTTP', () => {
  it('the fields option is on every record of the request, HttpRequest included; setFields adds to it', async () => {
    const h = serve(
      (req, res, logger) => {
        setFields({ plan: 'pro' });
        logger.info('handling');
        res.end('ok');
      },
      { fields: (req) => ({ tenantId: String(req.headers['x-tenant-id'] ?? 'none') }) },
    );
    await request(h.server).get('/a').set('x-tenant-id', 't-1');
    const [req, app, res] = await h.settled(1);
    expect(req).toMatchObject({ context: 'HttpRequest', tenantId: 't-1' });
    expect(req).not.toHaveProperty('plan');
    expect(app).toMatchObject({ message: 'handling', tenantId: 't-1', plan: 'pro' });
    expect(res).toMatchObject({ context: 'HttpResponse', tenantId: 't-1', plan: 'pro' });
  });

  it('setRequestFields reaches the request from the request object, even outside its async context', async () => {
    let later: (() => void) | undefined;
    const h = serve((req, res) => {
      // A callback queued by a library that lost the context: only the request object is at hand.
      later = () => {
        expect(setRequestFields(req, { orderId: 'o-9' })).toBe(true);
        res.end('ok');
      };
    });
    const pending = request(h.server).get('/a');
    const done = pending.then(() => undefined);
    for (let i = 0; i < 200 && later === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    setImmediate(() => later?.());
    await done;
    const records = await h.settled(1);
    expect(records.find((r) => r.context === 'HttpResponse')).toMatchObject({ orderId: 'o-9' });
    expect(setRequestFields({ headers: {} } as IncomingMessage, { a: 'b' })).toBe(false);
  });

  it('a throwing fields option is reported once and the request is still logged', async () => {
    const h = serve((_req, res) => res.end('ok'), {
      fields: () => {
        throw new Error('no tenant');
      },
    });
    await request(h.server).get('/a');
    await request(h.server).get('/b');
    const records = await h.settled(2);
    expect(records.filter((r) => r.context === 'HttpResponse')).toHaveLength(2);
    const warnings = records.filter((r) => r.context === 'loglane');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/the fields option threw \(no tenant\)/);
  });

  it('concurrent requests keep their own fields', async () => {
    const h = serve((req, res, logger) => {
      setFields({ who: String(req.url) });
      setTimeout(() => {
        logger.info('late');
        res.end('ok');
      }, 10);
    });
    await Promise.all(['/a', '/b', '/c', '/d'].map((path) => request(h.server).get(path)));
    const records = await h.settled(4);
    for (const record of records.filter((r) => r.context !== 'HttpRequest')) expect(record.who).toBe(record.originalUrl ?? record.who);
    const late = records.filter((r) => r.message === 'late');
    expect(late.map((r) => r.who).sort()).toEqual(['/a', '/b', '/c', '/d']);
    for (const res of records.filter((r) => r.context === 'HttpResponse')) expect(res.who).toBe(res.originalUrl);
  });
});

describe('responseLevel', () => {
  const handler: Handler = (req, res) => {
    res.statusCode = Number(req.url?.slice(1));
    res.end();
  };

  it('sets the level of HttpResponse from status, error and request, keeping loglane’s level when undefined', async () => {
    const seen: unknown[] = [];
    const h = serve(handler, {
      responseLevel: (status, error, req, defaultLevel) => {
        seen.push([status, error, typeof req.url, defaultLevel]);
        if (status === 404) return 'info';
        if (status === 200) return 'log';
        return undefined;
      },
    });
    for (const status of [200, 404, 500]) await request(h.server).get(`/${status}`);
    const levels = (await h.settled(3)).filter((r) => r.context === 'HttpResponse').map((r) => [r.statusCode, r.level]);
    expect(levels).toEqual([
      [200, 'info'],
      [404, 'info'],
      [500, 'error'],
    ]);
    expect(seen[1]).toEqual([404, undefined, 'string', 'warn']);
  });

  it('a throwing or invalid function falls back to the default level, reported once', async () => {
    const throwing = serve(handler, {
      responseLevel: () => {
        throw new Error('bad rule');
      },
    });
    const invalid = serve(handler, { responseLevel: () => 'loud' as 'info' });
    for (const h of [throwing, invalid]) {
      await request(h.server).get('/404');
      await request(h.server).get('/500');
      const records = await h.settled(2);
      expect(records.filter((r) => r.context === 'HttpResponse').map((r) => r.level)).toEqual(['warn', 'error']);
      expect(records.filter((r) => r.context === 'loglane')).toHaveLength(1);
    }
    expect(throwing.records().find((r) => r.context === 'loglane')?.message).toMatch(/responseLevel option threw \(bad rule\)/);
    expect(invalid.records().find((r) => r.context === 'loglane')?.message).toMatch(/returned "loud", not a level/);
  });
});

describe('traceId options', () => {
  const ok: Handler = (_req, res) => res.end('ok');
  const traceIdOf = async (h: ReturnType<typeof serve>, count: number): Promise<unknown[]> =>
    (await h.settled(count)).filter((r) => r.context === 'HttpResponse').map((r) => r.traceId);

  it('generateTraceId makes the traceId (and the x-trace-id header); a bad id gives a UUID, reported once', async () => {
    let n = 0;
    const h = serve(ok, { generateTraceId: (req) => `req-${++n}-${String(req.method)}` });
    const res = await request(h.server).get('/');
    expect(res.headers['x-trace-id']).toBe('req-1-GET');
    expect(await traceIdOf(h, 1)).toEqual(['req-1-GET']);

    const bad = serve(ok, { generateTraceId: () => 'bad id\r\nset-cookie: x' });
    await request(bad.server).get('/');
    await request(bad.server).get('/');
    const ids = await traceIdOf(bad, 2);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(bad.records().filter((r) => r.context === 'loglane')).toHaveLength(1);
  });

  it('requestIdHeader adopts a valid incoming id as traceId only; garbage and oversized ids are not adopted', async () => {
    const h = serve(ok, { requestIdHeader: 'x-request-id', traceHeaders: ['x-global-trace-id'] });
    const adopted = await request(h.server).get('/').set('x-request-id', 'lb-7f3a.42');
    expect(adopted.headers['x-trace-id']).toBe('lb-7f3a.42');
    await request(h.server).get('/').set('x-request-id', 'a'.repeat(129));
    await request(h.server).get('/').set('x-request-id', '<script>"x"</script>');
    await request(h.server).get('/');
    const records = (await h.settled(4)).filter((r) => r.context === 'HttpResponse');
    expect(records[0]).toMatchObject({ traceId: 'lb-7f3a.42' });
    // It names this hop only: globalTraceId is still new (x-request-id is not among traceHeaders here).
    expect(records[0]?.globalTraceId).not.toBe('lb-7f3a.42');
    for (const record of records.slice(1)) expect(record.traceId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('without the option an incoming x-request-id is never the traceId', async () => {
    const h = serve(ok);
    await request(h.server).get('/').set('x-request-id', 'lb-7f3a.42');
    const [id] = await traceIdOf(h, 1);
    expect(id).not.toBe('lb-7f3a.42');
  });
});

describe('createLogger options', () => {
  it('names options it does not know, with loglane’s equivalent, in one warn record', () => {
    const { records } = collect({
      genReqId: () => 'x',
      customProps: () => ({}),
      autoLogging: false,
      transport: { target: 'pino-pretty' },
      mystery: 1,
    } as LoglaneOptions);
    const warnings = records().filter((r) => r.context === 'loglane');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.level).toBe('warn');
    const message = String(warnings[0]?.message);
    expect(message).toContain('genReqId (loglane: generateTraceId');
    expect(message).toContain('customProps (loglane: fields: (req) => ({ … }), or setFields()');
    expect(message).toContain('autoLogging (loglane: ignore');
    expect(message).toContain('transport (loglane: destination');
    expect(message).toContain('mystery (not a loglane option)');
  });

  it('knows every option of createLogger and of the HTTP records (a new option must be added to KNOWN_OPTIONS)', () => {
    const membersOf = (file: string, name: string): string[] => {
      const source = readFileSync(join(__dirname, file), 'utf8');
      const start = source.indexOf(`export interface ${name} `);
      expect(start, name).toBeGreaterThan(-1);
      const body = source.slice(start, source.indexOf('\n}', start));
      return [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1] ?? '');
    };
    const members = [
      ...membersOf('logger.ts', 'LoglaneOptions'),
      ...membersOf('http.ts', 'HttpLoggingOptions'),
      ...membersOf('trace.ts', 'TraceOptions'),
    ];
    expect(members).toEqual(expect.arrayContaining(['label', 'ignore', 'fields', 'traceHeaders']));
    for (const member of members) expect(KNOWN_OPTIONS.has(member), member).toBe(true);
  });

  it('writes nothing about known options', () => {
    const { records } = collect({ label: 'x', level: 'info', redact: { keys: ['a'] } });
    expect(records()).toEqual([]);
  });

  it("takes pino's redact array as keys (reported), so its secrets stay hidden", () => {
    const { logger, records } = collect({ redact: ['req.headers.sessionRef', 'body.pin'] } as unknown as LoglaneOptions);
    logger.info('m', { sessionRef: 's-1', nested: { pin: 1234 } });
    const [warning, line] = records();
    expect(warning?.message).toMatch(/redact as an array/);
    expect(line?.sessionRef).toBe('[REDACTED]');
    expect(String(line?.nested)).not.toContain('1234');
  });

  it("accepts Nest's level names, in the option and in LOG_LEVEL", () => {
    expect(collect({ level: 'log' }).logger.level).toBe('info');
    expect(collect({ level: 'verbose' }).logger.level).toBe('verbose');
    vi.stubEnv('LOG_LEVEL', 'log');
    expect(collect().logger.level).toBe('info');
    vi.stubEnv('LOG_LEVEL', 'WARN');
    expect(collect().logger.level).toBe('warn');
    vi.stubEnv('LOG_LEVEL', 'loud');
    expect(collect().logger.level).toBe('info');
    const { logger } = collect();
    (logger as { level: unknown }).level = 'log';
    expect(logger.level).toBe('info');
    expect(() => collect({ level: 'trace' })).toThrow(/unknown level "trace"; use one of fatal, error, warn, info, debug, verbose \(or Nest's log/);
    // An option that is undefined (a config value not set) counts as not given.
    expect(collect({ level: undefined }).logger.level).toBe('info');
  });
});

describe('version discovery', () => {
  function app(files: Record<string, string>): string {
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'loglane-version-')));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  }

  it('reads the version of the package.json nearest the entry script (node dist/main.js)', () => {
    const root = app({
      'package.json': JSON.stringify({ name: 'orders-api', version: '1.4.2' }),
      'dist/package.json': JSON.stringify({ type: 'commonjs' }),
      'dist/main.js': '',
    });
    expect(entryPackageVersion(join(root, 'dist', 'main.js'))).toBe('1.4.2');
  });

  it('takes none from a tool in node_modules, a package without a version, a broken file, or no script', () => {
    const tool = app({ 'node_modules/vitest/package.json': JSON.stringify({ name: 'vitest', version: '9.9.9' }), 'node_modules/vitest/vitest.mjs': '' });
    expect(entryPackageVersion(join(tool, 'node_modules', 'vitest', 'vitest.mjs'))).toBeUndefined();
    const unversioned = app({ 'package.json': JSON.stringify({ name: 'a', version: '1.0.0' }), 'svc/package.json': JSON.stringify({ name: 'svc' }), 'svc/main.js': '' });
    expect(entryPackageVersion(join(unversioned, 'svc', 'main.js'))).toBeUndefined();
    const broken = app({ 'package.json': '{ not json', 'main.js': '' });
    expect(entryPackageVersion(join(broken, 'main.js'))).toBeUndefined();
    expect(entryPackageVersion(join(broken, 'missing.js'))).toBeUndefined();
    expect(entryPackageVersion(undefined)).toBeUndefined();
  });

  it('createLogger writes it when nothing else names the version', () => {
    const root = app({ 'package.json': JSON.stringify({ name: 'svc', version: '3.1.0' }), 'dist/main.js': '' });
    vi.stubEnv('npm_package_version', undefined);
    vi.stubEnv('LOGLANE_VERSION', undefined);
    const argv = process.argv;
    process.argv = [argv[0] ?? 'node', join(root, 'dist', 'main.js')];
    try {
      const { logger, records } = collect();
      logger.info('m');
      expect(records()[0]?.version).toBe('3.1.0');
      vi.stubEnv('LOGLANE_VERSION', '9.0.0');
      const env = collect();
      env.logger.info('m');
      expect(env.records()[0]?.version).toBe('9.0.0');
    } finally {
      process.argv = argv;
    }
  });
});
