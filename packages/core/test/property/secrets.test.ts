// Property: a secret planted anywhere loglane redacts by default (sensitive keys at any depth, headers,
// query strings, bearer/basic credentials, JWTs, errors, cut JSON text) never reaches an output line.

import { AsyncResource } from 'node:async_hooks';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { JsonText } from '../../src/record-draft.js';
import { createHttpLogging } from '../../src/http.js';
import { CAPS, assertLine, captureLogger, hostileString, runs } from './arbitraries.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A random credential; long enough that it cannot turn up in a line by chance. */
const secret = fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 20, maxLength: 40 });

/** Key spellings the default rules must catch: case, `-`/`_`, the `token` suffix, contained words. */
const SENSITIVE_KEYS = [
  'password', 'Password', 'user_password', 'PASSWD', 'passphrase', 'apiKey', 'API-KEY', 'x-api-key', 'api_key',
  'accessToken', 'refresh_token', 'id-token', 'token', 'client_secret', 'clientSecret', 'authorization',
  'Authorization', 'cookie', 'privateKey', 'private_key', 'creditCard', 'card', 'cardNumber', 'cvv', 'CVC', 'ssn',
  'pin', 'otp', 'sessionId', 'session', 'sid', 'jwt', 'credentials', 'signature', 'iban', 'set-cookie', 'x-auth-token',
];
const sensitiveKey = fc.constantFrom(...SENSITIVE_KEYS);

/** Keys for the path down to the planted secret (random; a sensitive one only hides more). */
const segment = fc.oneof(fc.string({ unit: fc.constantFrom(...'abcdefgxyz_'), minLength: 1, maxLength: 6 }), fc.nat({ max: 3 }));

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const b64url = (text: string): string => Buffer.from(text).toString('base64url');

/** Strings that must never appear in a line for a planted secret. */
interface Planted<T> {
  value: T;
  forbidden: string[];
}

/** A value under a sensitive key, nested at a random path inside objects and arrays, with noise around it. */
const nestedBody: fc.Arbitrary<Planted<Record<string, unknown>>> = fc
  .tuple(secret, sensitiveKey, fc.array(segment, { maxLength: 4 }), fc.constantFrom('plain', 'array', 'object'), fc.jsonValue({ maxDepth: 2 }))
  .map(([s, key, path, shape, noise]) => {
    const leaf = shape === 'plain' ? s : shape === 'array' ? ['first', s, 3] : { inner: { value: s }, n: 1 };
    let node: unknown = { [key]: leaf, noise };
    for (const seg of [...path].reverse()) {
      if (typeof seg === 'number') {
        const list: unknown[] = Array.from({ length: seg }, (_, i) => ({ filler: i }));
        list.push(node);
        node = list;
      } else node = { [seg]: node, sibling: noise };
    }
    const value = typeof node === 'object' && node !== null && !Array.isArray(node) ? (node as Record<string, unknown>) : { wrapped: node };
    return { value, forbidden: [s] };
  });

/** A credential inside free text: Bearer, Basic or a JWT, between random words. */
const credentialText: fc.Arbitrary<Planted<string>> = fc
  .tuple(secret, fc.constantFrom('bearer', 'basic', 'jwt'), hostileString(30), fc.constantFrom(' ', '"', '=', ': ', '\n', '('), fc.constantFrom('', ' ', '"', ';', ',', ')'), fc.string({ maxLength: 20 }))
  .map(([s, kind, before, open, close, after]) => {
    if (kind === 'bearer') return { value: `${before} Bearer ${s}${close}${after}`, forbidden: [s] };
    if (kind === 'basic') {
      const token = Buffer.from(`user:${s}`).toString('base64');
      return { value: `${before}${open}Basic ${token}${close}${after}`, forbidden: [token] };
    }
    const signature = b64url(`${s}-signature-${s}`);
    const jwt = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(JSON.stringify({ sub: s }))}.${signature}`;
    // Half the time glued to a word before it (`q9eyJ…`): a JWT has no word boundary to rely on.
    const glue = before.length % 2 === 0 ? '' : 'q9';
    return { value: `${before}${open}${glue}${jwt}${close}${after}`, forbidden: [jwt, signature] };
  });

/** A query string with one sensitive parameter among others, its name possibly percent-encoded. */
const queryUrl: fc.Arbitrary<Planted<string>> = fc
  .tuple(
    secret,
    fc.constantFrom('password', 'pass%77ord', 'api_key', 'api%5Fkey', 'access_token', 'token', 'client_secret', 'user[password]', 'X-Api-Key', 'sessionId'),
    fc.array(fc.tuple(fc.string({ unit: fc.constantFrom(...'abcxyz'), minLength: 1, maxLength: 5 }), fc.string({ unit: fc.constantFrom(...ALNUM), maxLength: 8 })), { maxLength: 3 }),
    fc.constantFrom('&', ';'),
    fc.boolean(),
  )
  .map(([s, key, others, sep, fragment]) => {
    const pairs = others.map(([k, v]) => `${k}=${v}`);
    pairs.splice(others.length > 0 ? 1 : 0, 0, `${key}=${s}`);
    return { value: `/api/v1/things?${pairs.join(sep)}${fragment ? '#top' : ''}`, forbidden: [s] };
  });

/** Request headers with a credential under a sensitive name, in the shapes Node gives them. */
const headers: fc.Arbitrary<Planted<Record<string, string | string[]>>> = fc
  .tuple(secret, fc.constantFrom('authorization', 'cookie', 'set-cookie', 'x-api-key', 'proxy-authorization', 'x-auth-token', 'x-csrf-token'), fc.constantFrom('raw', 'bearer', 'cookie', 'array'))
  .map(([s, name, shape]) => {
    const value = shape === 'raw' ? s : shape === 'bearer' ? `Bearer ${s}` : shape === 'cookie' ? `theme=dark; sid=${s}` : [`a=${s}; Path=/`];
    return { value: { accept: 'application/json', [name]: value, 'x-request-id': 'r-1' }, forbidden: [s] };
  });

const cap = fc.constantFrom(...CAPS);
const loggers = new Map(CAPS.map((c) => [c, captureLogger({ maxLineBytes: c, maxBodyBytes: 1024, level: 'verbose' })] as const));

/** Runs `write` on a logger with this cap and checks every line it wrote. */
function check(maxLineBytes: number, forbidden: readonly string[], write: (logger: ReturnType<typeof captureLogger>['logger']) => void): void {
  const entry = loggers.get(maxLineBytes as (typeof CAPS)[number]);
  if (!entry) throw new Error(`no logger for ${maxLineBytes}`);
  entry.lines.length = 0;
  write(entry.logger);
  if (entry.lines.length === 0) throw new Error('nothing was written');
  for (const line of entry.lines) {
    assertLine(line, maxLineBytes);
    for (const s of forbidden) {
      if (line.includes(s)) throw new Error(`secret ${JSON.stringify(s)} leaked in ${line}`);
    }
  }
}

describe('planted secrets never reach a line', () => {
  it('under sensitive keys at any depth: metadata, message objects, bodies, Maps', () => {
    fc.assert(
      fc.property(cap, nestedBody, (maxLineBytes, planted) => {
        check(maxLineBytes, planted.forbidden, (logger) => {
          logger.info('meta', planted.value);
          logger.info('nested meta', { payload: planted.value, list: [planted.value] });
          logger.info(planted.value);
          logger.info('map', { lookup: new Map(Object.entries(planted.value)) });
          logger.write({ level: 'info', context: 'HttpRequest', message: 'POST /', fields: { method: 'POST', originalUrl: '/', requestBody: planted.value, responseBody: [planted.value] } });
        });
      }),
      { numRuns: runs(400) },
    );
  });

  it('in JSON text cut at any point (bodies too large or not valid JSON)', () => {
    fc.assert(
      fc.property(cap, nestedBody, fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), (maxLineBytes, planted, at, cut) => {
        const text = JSON.stringify(planted.value);
        const body = new JsonText(text.slice(0, Math.round(text.length * at)), cut);
        check(maxLineBytes, planted.forbidden, (logger) => {
          logger.write({ level: 'info', context: 'HttpResponse', message: 'GET /', fields: { method: 'GET', originalUrl: '/', statusCode: 200, latencyMs: 1, responseBody: body, requestBody: new JsonText(text) } });
        });
      }),
      { numRuns: runs(500) },
    );
  });

  it('as bearer/basic credentials and JWTs inside any text: messages, metadata, errors, HTTP fields', () => {
    fc.assert(
      fc.property(cap, credentialText, (maxLineBytes, planted) => {
        const text = planted.value;
        check(maxLineBytes, planted.forbidden, (logger) => {
          logger.warn(text);
          logger.info('meta', { note: text, nested: { deeper: [text] } });
          logger.error('failed', new Error(text, { cause: new Error(text) }));
          logger.error('failed', { err: new AggregateError([new Error(text)], text) });
          logger.write({
            level: 'info',
            context: 'HttpResponse',
            message: text,
            fields: { method: 'GET', originalUrl: `/x?q=${encodeURIComponent(text.replace(LONE_SURROGATE, '\ufffd'))}`, route: text, userAgent: text, statusCode: 401, latencyMs: 2, responseBody: text, errorMessage: text },
          });
        });
      }),
      { numRuns: runs(500) },
    );
  });

  it('in query strings of originalUrl and in form bodies', () => {
    fc.assert(
      fc.property(cap, queryUrl, (maxLineBytes, planted) => {
        check(maxLineBytes, planted.forbidden, (logger) => {
          logger.write({ level: 'info', context: 'HttpRequest', message: 'GET', fields: { method: 'GET', originalUrl: planted.value } });
          logger.write({ level: 'warn', context: 'HttpResponse', message: 'GET', fields: { method: 'GET', originalUrl: planted.value, statusCode: 404, latencyMs: 1 } });
        });
      }),
      { numRuns: runs(400) },
    );
  });

  it('in request headers', () => {
    fc.assert(
      fc.property(cap, headers, (maxLineBytes, planted) => {
        check(maxLineBytes, planted.forbidden, (logger) => {
          logger.write({ level: 'info', context: 'HttpRequest', message: 'GET', fields: { method: 'GET', originalUrl: '/', requestHeaders: planted.value } });
          logger.info('headers as metadata', { headers: planted.value });
          logger.info('headers as the whole metadata', planted.value);
        });
      }),
      { numRuns: runs(300) },
    );
  });
});

describe('planted secrets never reach a line through a real HTTP exchange', () => {
  const logger = captureLogger({ maxBodyBytes: 512 });
  let server: Server;

  beforeAll(async () => {
    const http = createHttpLogging({ logger: logger.logger, logRequestHeaders: true, ignore: false });
    server = createServer((req, res) =>
      http.handle(req, res, () => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on(
          'end',
          AsyncResource.bind(() => {
            const text = Buffer.concat(chunks).toString('utf8');
            (req as IncomingMessage & { body?: unknown }).body = text ? (JSON.parse(text) as unknown) : undefined;
            logger.logger.info('handling', { headers: req.headers, body: (req as { body?: unknown }).body });
            res.setHeader('content-type', 'application/json');
            res.end(JSON.stringify({ echo: (req as { body?: unknown }).body, session: { token: req.headers['x-echo-token'] } }));
          }),
        );
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(() => {
    server.close();
  });

  it('query, headers, nested JSON body and response body', async () => {
    const source = logger.lines;
    await fc.assert(
      fc.asyncProperty(queryUrl, headers, nestedBody, credentialText, async (query, hdrs, body, text) => {
        source.length = 0;
        const forbidden = [...query.forbidden, ...hdrs.forbidden, ...body.forbidden, ...text.forbidden];
        const headerSecret = hdrs.forbidden[0] ?? '';
        let req = request(server).post(query.value).set('x-echo-token', headerSecret).set('x-note', text.value.replace(/[^\t\x20-\x7e]/g, ' '));
        for (const [name, value] of Object.entries(hdrs.value)) req = req.set(name, Array.isArray(value) ? value.join(', ') : value);
        await req.send(body.value);
        for (let i = 0; i < 100 && !source.some((l) => l.includes('"HttpResponse"')); i++) await new Promise((resolve) => setTimeout(resolve, 2));
        if (source.length < 3) throw new Error(`expected 3 records, got ${source.length}`);
        for (const line of source) {
          assertLine(line, 15_360);
          for (const s of forbidden) if (line.includes(s)) throw new Error(`secret ${JSON.stringify(s)} leaked in ${line}`);
        }
      }),
      { numRuns: runs(40) },
    );
  });
});
