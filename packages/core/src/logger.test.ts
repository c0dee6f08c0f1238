// createLogger: level gating that does no work, children, winston transports added by the app,
// the winston API, pretty output, and the options' defaults.

import { LEVEL, MESSAGE } from 'triple-beam';
import winston from 'winston';
import TransportStream from 'winston-transport';
import { prettyLine } from './pretty.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type LoglaneOptions, createLogger } from './logger.js';
import { LEVELS, type LogLevel, checkRecord } from './schema.js';
import { getTraceContext } from './context.js';
import { runWithTraceContext } from './trace.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

function capture(options: LoglaneOptions = {}): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (l) => lines.push(l) }, logUncaught: false, ...options });
  return { lines, logger };
}

const parse = (line: string | undefined): Record<string, unknown> => JSON.parse(line ?? '') as Record<string, unknown>;

/** An app transport that keeps what winston-transport hands to `log`. */
class Collector extends TransportStream {
  readonly infos: Record<string | symbol, unknown>[] = [];
  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    this.infos.push(info);
    next();
  }
}

describe('level gating', () => {
  it('writes levels at or above the logger level only', () => {
    const { lines, logger } = capture({ level: 'warn' });
    for (const level of LEVELS) logger[level](`at ${level}`);
    expect(lines.map((l) => parse(l).level)).toEqual(['fatal', 'error', 'warn']);
  });

  it('does no work for a disabled level: the metadata and the message are never read', () => {
    const { lines, logger } = capture({ level: 'info' });
    let reads = 0;
    const meta = {
      get expensive(): string {
        reads++;
        return 'x';
      },
    };
    const message = {
      toJSON(): string {
        reads++;
        return 'x';
      },
    };
    logger.debug(message, meta);
    logger.verbose(message, meta);
    logger.log('debug', message, meta);
    logger.child('C').debug(message, meta);
    logger.write({ level: 'verbose', context: 'c', message, meta });
    expect(reads).toBe(0);
    expect(lines).toEqual([]);
    logger.info(message, meta);
    expect(reads).toBe(2);
    expect(lines).toHaveLength(1);
  });

  it('shares one level between a logger and all its children', () => {
    const { lines, logger } = capture({ level: 'info' });
    const a = logger.child('A');
    const b = logger.child('B');
    a.level = 'debug';
    expect(logger.level).toBe('debug');
    expect(b.isLevelEnabled('debug')).toBe(true);
    b.debug('from b');
    logger.level = 'error';
    a.warn('dropped');
    expect(lines.map((l) => parse(l).context)).toEqual(['B']);
    expect(a.isLevelEnabled('warn')).toBe(false);
  });

  it('refuses an unknown level with a message that says how to fix it', () => {
    const { logger } = capture();
    expect(() => {
      logger.level = 'trace' as LogLevel;
    }).toThrow(/@loglane\/core: unknown level "trace"; use one of fatal, error, warn, info, debug, verbose/);
    expect(() => createLogger({ level: 'loud' as LogLevel, destination: { write: () => undefined } })).toThrow(/unknown level "loud"/);
  });

  it('takes LOG_LEVEL from the environment when it is a loglane level', () => {
    vi.stubEnv('LOG_LEVEL', 'debug');
    expect(capture().logger.level).toBe('debug');
    vi.stubEnv('LOG_LEVEL', 'nonsense');
    expect(capture().logger.level).toBe('info');
  });
});

describe('records', () => {
  it('refuses a level that is none in log() and write(): no text of the caller ever stands as the level', () => {
    const { lines, logger } = capture();
    expect(() => logger.log('info","forged":"x' as LogLevel, 'm')).toThrow(/unknown level/);
    expect(() => logger.log('notice' as LogLevel, 'm')).toThrow(/unknown level/);
    expect(() => logger.write({ level: 'trace' as LogLevel, context: 'c', message: 'm' })).toThrow(/unknown level/);
    expect(lines).toEqual([]);
    logger.log('LOG' as LogLevel, 'nest name');
    expect(parse(lines[0])).toMatchObject({ level: 'info', message: 'nest name' });
    expect(logger.isLevelEnabled('log' as LogLevel)).toBe(true);
    expect(logger.isLevelEnabled('notice' as LogLevel)).toBe(false);
  });

  it('writes a metadata key that is itself a credential redacted, and keeps two such keys apart', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZw';
    const { lines, logger } = capture();
    logger.info('query', { [jwt]: '1', [`${jwt}x`]: '2', 'Bearer abcdef1234567890': '3', page: '2' });
    expect(lines[0]).not.toContain('eyJzdWIi');
    expect(lines[0]).not.toContain('abcdef1234567890');
    const record = parse(lines[0]);
    expect(record.page).toBe('2');
    expect(Object.keys(record).filter((k) => k.includes('[REDACTED]'))).toHaveLength(3);
    expect(checkRecord(record)).toEqual([]);
  });

  it('stamps label, version and context, and children name their own context', () => {
    const { lines, logger } = capture({ label: 'orders-api', version: '1.4.2', context: 'Main' });
    logger.info('root');
    logger.child('OrderService').info('child', { orderId: 'o-17' });
    expect(parse(lines[0])).toMatchObject({ label: 'orders-api', version: '1.4.2', context: 'Main', message: 'root' });
    expect(parse(lines[1])).toMatchObject({ context: 'OrderService', orderId: 'o-17' });
  });

  it('takes label and version from the environment, and leaves version out when unknown', () => {
    vi.stubEnv('LOGLANE_LABEL', 'env-label');
    vi.stubEnv('LOGLANE_VERSION', '9.9.9');
    const { lines, logger } = capture();
    logger.info('x');
    expect(parse(lines[0])).toMatchObject({ label: 'env-label', version: '9.9.9', context: 'app' });
    vi.stubEnv('LOGLANE_VERSION', undefined);
    vi.stubEnv('npm_package_version', undefined);
    const other = capture();
    other.logger.info('x');
    expect(parse(other.lines[0])).not.toHaveProperty('version');
  });

  it('accepts an Error as the message or as the metadata', () => {
    const { lines, logger } = capture();
    logger.error(new Error('as message'), { orderId: 1 });
    logger.error('as meta', new TypeError('the cause'));
    expect(parse(lines[0])).toMatchObject({ message: 'as message', errorMessage: 'as message', orderId: 1 });
    expect(parse(lines[1])).toMatchObject({ message: 'as meta', errorType: 'TypeError', errorMessage: 'the cause' });
  });

  it('takes whatever a catch caught as the error: an Error, or a thrown string, number or null', () => {
    const { lines, logger } = capture();
    for (const thrown of [new RangeError('out of range'), 'plain string', 42, null]) {
      try {
        throw thrown;
      } catch (err) {
        logger.error('job failed', err);
      }
    }
    logger.fatal('fatal with a string', 'disk full');
    const records = lines.map(parse);
    expect(records[0]).toMatchObject({ message: 'job failed', errorType: 'RangeError', errorMessage: 'out of range' });
    expect(records[1]).toMatchObject({ errorType: 'string', errorMessage: 'plain string' });
    expect(records[2]).toMatchObject({ errorType: 'number', errorMessage: '42' });
    expect(records[3]).toMatchObject({ errorType: 'null', errorMessage: 'null' });
    expect(records[4]).toMatchObject({ level: 'fatal', errorType: 'string', errorMessage: 'disk full' });
    for (const record of records) expect(checkRecord(record)).toEqual([]);
  });

  it('clamps maxLineBytes to 1024 … 262144', () => {
    const small = capture({ maxLineBytes: 10 });
    small.logger.info('x'.repeat(800));
    small.logger.info('x'.repeat(5000));
    expect(parse(small.lines[0])).not.toHaveProperty('truncated');
    expect(parse(small.lines[1])).toHaveProperty('truncated', true);
    expect(Buffer.byteLength(small.lines[1] ?? '')).toBeLessThanOrEqual(1024);
    const big = capture({ maxLineBytes: 10_000_000 });
    big.logger.info('x'.repeat(200_000));
    big.logger.info('x'.repeat(300_000));
    expect(parse(big.lines[0])).not.toHaveProperty('truncated');
    expect(parse(big.lines[1])).toHaveProperty('truncated', true);
  });

  it('flush() on a plain sink does nothing and does not throw', () => {
    expect(() => capture().logger.flush(10)).not.toThrow();
  });
});

describe('winston transports added by the app', () => {
  it('receive every record with info[MESSAGE], level, message, context, trace ids and the metadata', () => {
    const { lines, logger } = capture();
    const collector = new Collector();
    logger.winston.add(collector);
    runWithTraceContext(() => logger.child('Billing').warn('card declined', { orderId: 'o-1', amount: 12 }), { globalTraceId: 'g-1' });
    logger.write({ level: 'info', context: 'HttpRequest', message: 'GET /', fields: { method: 'GET', originalUrl: '/' } });
    expect(collector.infos).toHaveLength(2);
    const [info, http] = collector.infos;
    expect(info?.[MESSAGE]).toBe(lines[0]?.slice(0, -1));
    expect(info?.[LEVEL]).toBe('warn');
    expect(info).toMatchObject({ level: 'warn', message: 'card declined', context: 'Billing', orderId: 'o-1', amount: 12, globalTraceId: 'g-1' });
    expect(typeof info?.traceId).toBe('string');
    expect(http?.[MESSAGE]).toBe(lines[1]?.slice(0, -1));
  });

  it('get the same record from the winston API, which goes through loglaneFormat', () => {
    const { lines, logger } = capture({ label: 'svc' });
    const collector = new Collector();
    logger.winston.add(collector);
    logger.winston.info('via winston', { orderId: 3 });
    logger.winston.log('warn', 'via log');
    logger.winston.debug('below the level');
    expect(lines).toHaveLength(2);
    const record = parse(lines[0]);
    expect(record).toMatchObject({ level: 'info', context: 'app', label: 'svc', message: 'via winston', orderId: 3 });
    expect(checkRecord(record)).toEqual([]);
    expect(collector.infos.map((i) => i[MESSAGE])).toEqual(lines.map((l) => l.slice(0, -1)));
  });

  it('honour their own level, and stop receiving once removed', () => {
    const { logger } = capture({ level: 'debug' });
    const errorsOnly = new Collector({ level: 'error' });
    logger.winston.add(errorsOnly);
    logger.info('no');
    logger.error('yes');
    logger.winston.remove(errorsOnly);
    logger.error('after remove');
    expect(errorsOnly.infos.map((i) => i.message)).toEqual(['yes']);
  });

  it('cannot break logging by throwing, nor be broken by metadata that throws', () => {
    const { lines, logger } = capture();
    const broken = new (class extends TransportStream {
      override log(): void {
        throw new Error('transport down');
      }
    })();
    const collector = new Collector();
    logger.winston.add(broken);
    logger.winston.add(collector);
    const meta = {
      ok: 1,
      get bad(): never {
        throw new Error('getter');
      },
    };
    expect(() => logger.info('still logged', meta)).not.toThrow();
    expect(parse(lines[0])).toMatchObject({ ok: 1, bad: '[Threw: getter]' });
    expect(collector.infos[0]).toMatchObject({ ok: 1, message: 'still logged' });
  });
});

describe('app transports receive the encoded record, never the caller\'s metadata (issue #8, defect 2)', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

  it('gets the redacted fields of the line, from the facade and from the winston API', () => {
    const { lines, logger } = capture();
    const collector = new Collector();
    logger.winston.add(collector);
    const meta = { user: 'ada', password: 'hunter2', authorization: `Bearer ${jwt}`, note: `token ${jwt}`, nested: { secret: 's3' } };
    logger.info('login', meta);
    logger.winston.info('login via winston', meta);
    expect(collector.infos).toHaveLength(2);
    for (const [i, info] of collector.infos.entries()) {
      const { [LEVEL]: level, [MESSAGE]: line, ...fields } = info;
      expect(line).toBe(lines[i]?.slice(0, -1));
      expect(level).toBe('info');
      // Exactly the line's fields: redacted, objects as their JSON text.
      expect(fields).toEqual(parse(lines[i]));
      const seen = JSON.stringify(fields);
      for (const secret of ['hunter2', 'eyJhbGciOiJIUzI1NiJ9', 's3']) expect(seen).not.toContain(secret);
    }
    expect(meta.password).toBe('hunter2');
  });

  it('gets every field of an HTTP record: status, method, ids, latency', () => {
    const { lines, logger } = capture();
    const collector = new Collector();
    logger.winston.add(collector);
    runWithTraceContext(
      () =>
        logger.write({
          level: 'info',
          context: 'HttpResponse',
          message: 'POST /login 201',
          fields: { method: 'POST', originalUrl: `/login?access_token=${jwt}`, statusCode: 201, latencyMs: 7, requestBody: { password: 'hunter2' } },
        }),
      { globalTraceId: 'g-http' },
    );
    const info = collector.infos[0];
    expect(info).toMatchObject({ context: 'HttpResponse', method: 'POST', statusCode: 201, latencyMs: 7, globalTraceId: 'g-http' });
    expect(typeof info?.traceId).toBe('string');
    expect(JSON.stringify(info)).not.toContain('hunter2');
    expect(JSON.stringify(info)).not.toContain(jwt);
    expect(info?.[MESSAGE]).toBe(lines[0]?.slice(0, -1));
  });

  it('keeps each transport\'s own format, on its own copy', () => {
    const { logger } = capture();
    const upper = new Collector({ format: winston.format((info) => ({ ...info, message: String(info.message).toUpperCase() }))() });
    const plain = new Collector();
    logger.winston.add(upper);
    logger.winston.add(plain);
    logger.warn('careful', { password: 'hunter2' });
    expect(upper.infos[0]).toMatchObject({ message: 'CAREFUL', password: '[REDACTED]' });
    expect(plain.infos[0]).toMatchObject({ message: 'careful', password: '[REDACTED]' });
  });
});

describe('the winston API writes like the facade', () => {
  it('runs the trace context\'s before-first-record hook, so a request\'s HttpRequest comes first', () => {
    const { lines, logger } = capture();
    runWithTraceContext(() => {
      const context = getTraceContext();
      if (context) context.beforeRecord = () => logger.write({ level: 'info', context: 'HttpRequest', message: 'GET /', fields: { method: 'GET', originalUrl: '/' } });
      logger.winston.info('first app line');
      logger.winston.info('second app line');
    });
    expect(lines.map((l) => parse(l).message)).toEqual(['GET /', 'first app line', 'second app line']);
  });

  it('keeps key names apart when a metadata getter logs a record of its own while the first is written', () => {
    const { lines, logger } = capture();
    logger.info('outer', {
      id: 1,
      get note(): string {
        logger.info('inner', { id: 'a', ID: 'b', Route: 'r' });
        return 'n';
      },
      Id: 2,
    });
    const [inner, outer] = lines;
    expect(inner?.endsWith(',"id":"a","meta_ID":"b","meta_Route":"r"}\n')).toBe(true);
    expect(outer?.endsWith(',"id":1,"note":"n","meta_Id":2}\n')).toBe(true);
  });

  it('pretty output shows the redacted record', () => {
    vi.stubEnv('NODE_ENV', 'development');
    const { lines, logger } = capture({ pretty: true });
    logger.info('login', { password: 'hunter2', note: 'Bearer abc.def.ghi' });
    logger.winston.info('login', { password: 'hunter2' });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toContain('hunter2');
      // eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC
      expect(line.replace(/\u001b\[[0-9;]*m/g, '')).toContain('password=[REDACTED]');
    }
    expect(lines[0]).not.toContain('abc.def.ghi');
  });
});

describe('one level for the logger and logger.winston (issue #8, defect 13)', () => {
  it('logger.winston.level = "debug" turns debug records on', () => {
    const { lines, logger } = capture({ level: 'info' });
    logger.winston.level = 'debug';
    expect(logger.level).toBe('debug');
    expect(logger.isLevelEnabled('debug')).toBe(true);
    logger.debug('now written');
    logger.child('Worker').debug('by children too');
    expect(lines.map((l) => parse(l).message)).toEqual(['now written', 'by children too']);
  });

  it('logger.level is what winston and its transports read', () => {
    const { lines, logger } = capture({ level: 'info' });
    const collector = new Collector();
    logger.winston.add(collector);
    logger.level = 'error';
    expect(logger.winston.level).toBe('error');
    logger.winston.warn('dropped');
    logger.warn('dropped too');
    logger.winston.error('kept');
    expect(lines.map((l) => parse(l).message)).toEqual(['kept']);
    expect(collector.infos.map((i) => i.message)).toEqual(['kept']);
  });

  it('refuses a level loglane does not have, from either side', () => {
    const { logger } = capture({ level: 'info' });
    expect(() => {
      logger.winston.level = 'silly';
    }).toThrow(/unknown level "silly"/);
    expect(() => {
      logger.level = 'loud' as LogLevel;
    }).toThrow(/unknown level "loud"/);
    expect(logger.level).toBe('info');
  });
});

describe('pretty output', () => {
  // eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC
  const ansi = /\u001b\[[0-9;]*m/g;

  it('writes one line per record, with breaks in the values escaped', () => {
    vi.stubEnv('NODE_ENV', 'development');
    const { lines, logger } = capture({ pretty: true });
    logger.child('UserService').info('line one\nline two', { note: 'a\r\nb\u2028c' });
    logger.error('failed', { err: new Error('boom') });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toMatch(/[\n\r\u2028\u2029\u0085]/);
    }
    const plain = (lines[0] ?? '').replace(ansi, '');
    expect(plain).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {4}\[UserService\] line one\\nline two note=a\\r\\nb\\u2028c\n$/);
    expect((lines[1] ?? '').replace(ansi, '')).toMatch(/ERROR {3}\[app\] failed errorType=Error errorMessage=boom at \S+logger\.test\.ts:\d+:\d+\)?\n$/);
  });

  it('shows control characters from the record escaped: a value cannot move the cursor, recolour or retitle the terminal', () => {
    vi.stubEnv('NODE_ENV', 'development');
    const { lines, logger } = capture({ pretty: true });
    // What a client could send as a user agent or a body field: erase the screen, cursor up and a
    // fake line, a window title, a C1 control sequence introducer, a backspace, DEL.
    const hostile = 'ua\u001b[2J\u001b[1A\u001b[32mINFO fake\u001b]0;pwned\u0007\u009b31m\b\u007f';
    logger.child('Ctx\u001b[31m').info(`hi ${hostile}`, { [`key\u001b[0m`]: hostile });
    const line = lines[0] ?? '';
    // Only the colour codes pretty output writes itself remain: ESC followed by `[`, digits and `m`.
    // eslint-disable-next-line no-control-regex -- looking for raw control characters on purpose
    expect(line.replace(ansi, '').slice(0, -1)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    const shown = 'ua\\u001b[2J\\u001b[1A\\u001b[32mINFO fake\\u001b]0;pwned\\u0007\\u009b31m\\u0008\\u007f';
    expect(line.replace(ansi, '')).toContain(`[Ctx\\u001b[31m] hi ${shown} key\\u001b[0m=${shown}`);
    // Bidirectional overrides and isolates (a "Trojan Source" reordering) are shown as escapes too.
    logger.info('paid \u202eDSU 001\u202c to \u2066alice\u2069');
    expect(lines[1]).toContain('paid \\u202eDSU 001\\u202c to \\u2066alice\\u2069');
    // A level named after an Object.prototype member (loglane-pretty reads any line) gets no colour.
    const odd = prettyLine('{"level":"constructor","context":"c","message":"m"}');
    expect(odd).toContain(' CONSTRUCTOR ');
    expect(odd).not.toContain('function');
  });

  it('is never written when NODE_ENV is production: JSON, and a warning that says so', () => {
    vi.stubEnv('NODE_ENV', 'production');
    const { lines, logger } = capture({ pretty: true });
    logger.info('hello');
    expect(lines).toHaveLength(2);
    expect(parse(lines[0])).toMatchObject({ level: 'warn', message: 'pretty output is ignored when NODE_ENV=production; writing JSON' });
    expect(parse(lines[1])).toMatchObject({ level: 'info', message: 'hello' });
  });

  it('is turned on by LOGLANE_PRETTY=1', () => {
    vi.stubEnv('NODE_ENV', 'test');
    vi.stubEnv('LOGLANE_PRETTY', '1');
    const { lines, logger } = capture();
    logger.info('hello');
    expect(() => JSON.parse(lines[0] ?? '') as unknown).toThrow();
    expect((lines[0] ?? '').replace(ansi, '')).toContain('INFO    [app] hello');
  });
});
