// The secrets corpus (test/secrets-corpus.ts) through the logger and the record encoder: every secret in
// every place the core writes it, bodies cut at every offset of a credential, and the look-alikes kept.

import { describe, expect, it } from 'vitest';
import { JsonText } from '../../src/record-draft.js';
import { Redactor } from '../../src/redact.js';
import { ValueEncoder } from '../../src/serialize.js';
import {
  FRAGMENT,
  LOOKALIKE_KEYS,
  ORDINARY_CODES,
  PARAMETER_NAMES,
  PROSE,
  SECRET_KEYS,
  leaks,
  makeSecret,
  nestedBody,
  secretTexts,
} from '../secrets-corpus.js';
import { assertLine, captureLogger } from './arbitraries.js';

type Logger = ReturnType<typeof captureLogger>['logger'];

const capture = captureLogger({ maxBodyBytes: 4096, level: 'verbose' });

/** Runs `write`, then checks that every line is a valid record and that none holds a forbidden string. */
function expectNoLeak(forbidden: readonly string[], write: (logger: Logger) => void): string[] {
  capture.lines.length = 0;
  write(capture.logger);
  expect(capture.lines.length).toBeGreaterThan(0);
  for (const line of capture.lines) {
    assertLine(line, 15_360);
    for (const secret of forbidden) expect(leaks(line, secret), `${secret} leaked in ${line}`).toBe(false);
  }
  return [...capture.lines];
}

const request = (logger: Logger, fields: Record<string, unknown>): void =>
  logger.write({ level: 'info', context: 'HttpRequest', message: 'POST /x', fields: { method: 'POST', originalUrl: '/x', ...fields } });
const response = (logger: Logger, fields: Record<string, unknown>): void =>
  logger.write({
    level: 'info',
    context: 'HttpResponse',
    message: 'POST /x 200',
    fields: { method: 'POST', originalUrl: '/x', statusCode: 200, latencyMs: 1, ...fields },
  });

describe('secret keys, in every place a key turns up', () => {
  it.each(SECRET_KEYS)('%s', (key) => {
    const secret = makeSecret();
    const name = encodeURIComponent(key);
    expectNoLeak([secret], (logger) => {
      logger.info('meta', { [key]: secret });
      logger.info('nested', nestedBody(key, secret));
      logger.info(nestedBody(key, secret));
      logger.info('map', { lookup: new Map([[key, secret]]), set: new Set([{ [key]: secret }]) });
      logger.info('text', { note: `login failed: ${name}=${secret} user=ann`, cookie: `theme=dark; ${name}=${secret}` });
      logger.info(`message with ${name}=${secret} in it`);
      logger.error('failed', new Error(`request with ${name}=${secret} failed`, { cause: { [key]: secret } }));
      request(logger, {
        originalUrl: `/x?page=1&${name}=${secret}&sort=asc`,
        requestHeaders: { accept: 'application/json', [key.toLowerCase()]: secret, cookie: [`${name}=${secret}`] },
        requestBody: nestedBody(key, secret),
      });
      request(logger, { requestBody: Object.fromEntries(new URLSearchParams(`user=ann&${name}=${secret}&${name}=${secret}2`)) });
      response(logger, { responseBody: nestedBody(key, secret) });
      response(logger, { responseBody: new JsonText(JSON.stringify(nestedBody(key, secret))) });
      response(logger, { responseBody: new JsonText(JSON.stringify(nestedBody(key, secret)).slice(0, 40 + key.length), true) });
    });
  });
});

describe('names that are secrets as URL parameters', () => {
  it.each(PARAMETER_NAMES)('%s', (name) => {
    const secret = makeSecret();
    const url = `https://idp.example.com/cb?state=xyz&${name}=${secret}`;
    expectNoLeak([secret], (logger) => {
      logger.info(`redirected to ${url}`);
      logger.info('meta', { url, nested: { list: [url] } });
      logger.error('failed', new Error(`GET ${url} returned 500`));
      request(logger, { originalUrl: `/cb?${name}=${secret}&state=xyz`, requestHeaders: { referer: url, accept: '*/*' } });
      response(logger, { responseBody: { next: url } });
      // Parsed: a query object, a form body, JSON text.
      logger.info('callback', { query: { state: 'xyz', [name]: secret } });
      request(logger, { requestBody: Object.fromEntries(new URLSearchParams(`grant_type=authorization_code&${name}=${secret}`)) });
      response(logger, { responseBody: new JsonText(`{"state":"xyz","${name}": "${secret}","n":1}`) });
    });
  });

  it.each(ORDINARY_CODES)('keeps an ordinary value under code and key as object keys: %s', (value) => {
    const [line] = expectNoLeak([], (logger) => logger.info('m', { nested: { code: value, key: value } }));
    expect(JSON.parse((JSON.parse(line ?? '{}') as Record<string, string>).nested ?? '')).toEqual({ code: value, key: value });
    const [body] = expectNoLeak([], (logger) => response(logger, { responseBody: new JsonText(JSON.stringify({ code: value, key: value })) }));
    expect(JSON.parse((JSON.parse(body ?? '{}') as Record<string, string>).responseBody ?? '')).toEqual({ code: value, key: value });
  });
});

describe('secrets inside free text', () => {
  it.each(secretTexts().map((t) => [t.name, t] as const))('%s', (_, { text, forbidden }) => {
    expectNoLeak(forbidden, (logger) => {
      logger.warn(text);
      logger.info('meta', { note: text, nested: { deeper: [text] } });
      logger.error('failed', new Error(text, { cause: new Error(text) }));
      request(logger, { userAgent: text, requestHeaders: { referer: text, 'x-note': text } });
      response(logger, { responseBody: text, errorMessage: text, route: text });
      response(logger, { responseBody: { message: text } });
    });
  });
});

describe('a body cut inside a credential leaves no fragment of it', () => {
  const texts = secretTexts();
  it.each(texts.map((t) => [t.name, t] as const))('JSON text cut at every offset: %s', (_, { text, forbidden }) => {
    const json = JSON.stringify({ id: 7, note: text });
    for (let at = FRAGMENT; at <= json.length; at++) {
      expectNoLeak(forbidden, (logger) => response(logger, { responseBody: new JsonText(json.slice(0, at), true) }));
      // A text/plain body cut where it was captured (http.ts keeps it as a cut JSON string).
      expectNoLeak(forbidden, (logger) => response(logger, { responseBody: new JsonText(JSON.stringify(text.slice(0, at - 20)).slice(0, -1), true) }));
    }
  });

  it('a string cut at its budget inside a JWT longer than the redaction window', () => {
    const secret = makeSecret();
    // A payload of 9 000 characters: the first 4 096 past the cut hold no second dot, so no JWT.
    const payload = Buffer.from(`{"sub":"${secret}","pad":"${'x'.repeat(9000)}"}`).toString('base64url');
    const jwt = `eyJhbGciOiJIUzI1NiJ9.${payload}.c2lnbmF0dXJl`;
    const encoder = new ValueEncoder(new Redactor());
    for (const budget of [120, 130, 200, 1000, 5000]) {
      const text = encoder.encode({ note: `${'a'.repeat(100)} ${jwt}` }, budget).text;
      expect(leaks(text, payload.slice(12)), text).toBe(false);
    }
  });

  it('keeps the closing characters and the text before the credential', () => {
    const r = new Redactor();
    expect(r.redactCutEnd('{"a":"see eyJhbGciOiJIUzI1NiJ9.eyJzdW')).toBe('{"a":"see [REDACTED]');
    expect(r.redactCutEnd('{"a":"Bearer abc"}')).toBe('{"a":"Bearer [REDACTED]"}');
    expect(r.redactCutEnd('{"q":"x?q=Bearer%20abcdef')).toBe('{"q":"x?q=Bearer%20[REDACTED]');
    expect(r.redactCutEnd('{"a":"an ordinary value')).toBe('{"a":"an ordinary value');
    expect(r.redactCutEnd('{"a":"bearer of news"}')).toBe('{"a":"bearer of news"}');
    expect(new Redactor({ tokens: false }).redactCutEnd('x eyJhbGciOi')).toBe('x eyJhbGciOi');
  });
});

describe('look-alikes are kept', () => {
  it.each(LOOKALIKE_KEYS)('%s', (key) => {
    const value = `visible-${key.replace(/\W/g, '')}-value`;
    const lines = expectNoLeak([], (logger) => {
      logger.info('meta', { [key]: value, nested: { list: [{ [key]: value }] } });
      request(logger, { requestHeaders: { [key.toLowerCase()]: value }, requestBody: nestedBody(key, value) });
    });
    for (const line of lines) expect(line).toContain(value);
    if (!PARAMETER_NAMES.includes(key)) {
      const url = expectNoLeak([], (logger) => request(logger, { originalUrl: `/x?${key}=${value}` }));
      expect(url[0]).toContain(`${key}=${value}`);
    }
  });

  it.each(PROSE)('%s', (text) => {
    const [line] = expectNoLeak([], (logger) => logger.info(text, { note: text }));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ message: text, note: text });
  });
});
