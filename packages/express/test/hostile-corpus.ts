// Hostile HTTP traffic, sent as raw bytes (no client library rewrites it), and the checks every
// line it produces must pass. Shared by the Express suite and the Nest suites (test/nest-shared).

import { connect } from 'node:net';
import { checkRecord } from '@loglane/core';

/** One hostile request: its name and the exact bytes sent. */
export interface HostileRequest {
  readonly name: string;
  readonly bytes: Buffer;
}

/** What came back: the status and the `x-trace-id` header (absent when Node's parser refused the request). */
export interface HostileReply {
  readonly name: string;
  readonly status: number;
  readonly traceId: string | undefined;
}

type Header = readonly [string, string | Buffer];

/** The bytes of one HTTP/1.1 request; header values may hold any byte (latin1 strings or Buffers). */
function raw(method: string, target: string, headers: readonly Header[], body?: Buffer | string): Buffer {
  const bodyBytes = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const parts: Buffer[] = [Buffer.from(`${method} ${target} HTTP/1.1\r\nhost: hostile.test\r\nconnection: close\r\n`, 'latin1')];
  for (const [name, value] of headers) {
    parts.push(Buffer.from(`${name}: `, 'latin1'), Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1'), Buffer.from('\r\n', 'latin1'));
  }
  if (bodyBytes) parts.push(Buffer.from(`content-length: ${bodyBytes.length}\r\n`, 'latin1'));
  parts.push(Buffer.from('\r\n', 'latin1'));
  if (bodyBytes) parts.push(bodyBytes);
  return Buffer.concat(parts);
}

const FORGE = '"}\n{"level":"fatal","message":"forged","traceId":"forged"}\n{"a":"';
const FORGE_NO_NEWLINE = '"},{"level":"fatal","context":"HttpResponse","statusCode":"200"}';
const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

function nested(depth: number, open: string, leaf: string, close: string): string {
  return open.repeat(depth) + leaf + close.repeat(depth);
}

function wideObject(keys: number): string {
  const entries: string[] = [];
  for (let i = 0; i < keys; i++) entries.push(`"k${i}":${i}`);
  return `{${entries.join(',')}}`;
}

/** The corpus: each request aims at one way a client could break, forge or blow up the log. */
export function hostileRequests(path: string): HostileRequest[] {
  const post = (name: string, headers: readonly Header[], body: Buffer | string): HostileRequest => ({ name, bytes: raw('POST', path, headers, body) });
  const get = (name: string, headers: readonly Header[], target = path): HostileRequest => ({ name, bytes: raw('GET', target, headers) });
  const JSON_TYPE: Header = ['content-type', 'application/json'];
  return [
    get('baseline', []),
    get('12 KB header value', [['x-big', 'A'.repeat(12_000)]]),
    get('header section over 16 KB (refused by Node: 431)', [['x-huge', 'B'.repeat(20_000)]]),
    get('100 headers', Array.from({ length: 100 }, (_, i): Header => [`x-h${i}`, `v${i}"}{`])),
    post('2 MB JSON body over the parser limit (413)', [JSON_TYPE], `{"a":"${'x'.repeat(2_000_000)}"}`),
    post('JSON nested 10,000 arrays deep', [JSON_TYPE], nested(10_000, '[', '1', ']')),
    post('JSON nested 5,000 objects deep', [JSON_TYPE], nested(5_000, '{"a":', '1', '}')),
    post('JSON object with 8,000 keys', [JSON_TYPE], wideObject(8_000)),
    post('invalid JSON (400)', [JSON_TYPE], '{"a": [1, 2'),
    post(
      'JSON keys named like library fields',
      [JSON_TYPE],
      JSON.stringify({
        traceId: 'forged-trace',
        globalTraceId: 'forged-global',
        level: 'fatal',
        context: 'HttpResponse',
        statusCode: '200 OK',
        latencyMs: 'slow',
        message: FORGE,
        timestamp: '1970-01-01T00:00:00.000Z',
        label: 'evil',
        ip: '6.6.6.6',
        password: 'hunter2',
        nested: { traceId: 'x', level: 'fatal', authorization: 'Bearer abc.def.ghi' },
      }).replace('"nested"', '"__proto__":{"polluted":true},"nested"'),
    ),
    post('form body with library field names and a secret', [['content-type', 'application/x-www-form-urlencoded']], 'traceId=forged&level=fatal&statusCode=abc&password=hunter2&msg=%0A%7B%22level%22%3A%22fatal%22%7D'),
    get('record-forging quotes in the user agent', [['user-agent', FORGE_NO_NEWLINE]]),
    get('U+2028, U+2029, NUL-like and quote bytes in a header', [['x-note', utf8('line\u2028sep\u2029para "q" \\ back')]]),
    get('a newline inside a header value (refused by Node: 400)', [['x-evil', `a\n${FORGE}`]]),
    get('a carriage return inside a header value (refused by Node: 400)', [['x-evil', 'a\r{"level":"fatal"}']]),
    get('8 KB query string with a token', [], `${path}?q=${'%22%7D%0A'.repeat(700)}&token=secret-token-123&access_token=abc`),
    post('lone surrogates, NUL and separators in JSON strings', [JSON_TYPE], '{"s":"\\ud800 \\udfff \\u0000 \\u2028 \\u2029","t":"\\udbff\\udfff"}'),
    post('invalid UTF-8 in a JSON body', [JSON_TYPE], Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xed, 0xa0, 0x80, 0x22, 0x7d])),
    post('invalid UTF-8 in a text body', [['content-type', 'text/plain']], Buffer.from([0x68, 0x69, 0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80])),
    get('percent-encoded lone surrogate and invalid UTF-8 in the path', [], `${path}/%ED%A0%80/%FF%FE?x=%ED%A0%80`),
    get('a raw non-ASCII byte in the path (refused by Node: 400)', [], `${path}/\u00e9`),
    get('x-forwarded-for spoofing', [['x-forwarded-for', `6.6.6.6, ${FORGE_NO_NEWLINE}`]]),
    get('garbage traceparent', [['traceparent', '00-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-zzzzzzzzzzzzzzzz-01']]),
    get('oversized x-request-id', [['x-request-id', 'R'.repeat(10_000)]]),
    get('record-forging x-global-trace-id', [['x-global-trace-id', FORGE_NO_NEWLINE]]),
    get('path-like correlation id and a garbage Amazon trace id', [['x-correlation-id', '../../etc/passwd'], ['x-amzn-trace-id', 'Root=garbage;Parent=%00']]),
    get('a client-chosen x-trace-id', [['x-trace-id', 'forged-trace-id'], ['traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01']]),
  ];
}

/** Sends the bytes on a fresh connection and reads the reply until the server closes it. */
export function sendRaw(port: number, request: HostileRequest): Promise<HostileReply> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      const head = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const end = head.indexOf('\r\n\r\n');
      const traceId = /\r\nx-trace-id: ([^\r\n]*)/i.exec(end === -1 ? head : head.slice(0, end))?.[1];
      resolve({ name: request.name, status, traceId });
    };
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', done);
    socket.write(request.bytes);
  });
}

/** What the checks found, for the report. */
export interface HostileFigures {
  requests: number;
  reachedApp: number;
  lines: number;
  maxLineBytes: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const GLOBAL_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The guarantees over one run: every line one JSON object within the cap that keeps the record
 * contract; library fields are ours; exactly one HttpRequest and one HttpResponse per request that
 * reached the app, with the status the client got; no record a client forged. Throws on the first breach.
 */
export function checkHostileRun(options: {
  lines: readonly string[];
  replies: readonly HostileReply[];
  maxLineBytes: number;
  label: string;
  appContexts: readonly string[];
}): HostileFigures {
  const { lines, replies, maxLineBytes, label, appContexts } = options;
  const fail = (message: string): never => {
    throw new Error(message);
  };
  let maxBytes = 0;
  const records = lines.map((line) => {
    if (!line.endsWith('\n') || line.indexOf('\n') !== line.length - 1) fail(`not one line: ${line.slice(0, 200)}`);
    const bytes = Buffer.byteLength(line) - 1;
    maxBytes = Math.max(maxBytes, bytes);
    if (bytes > maxLineBytes) fail(`line of ${bytes} bytes over the ${maxLineBytes} cap`);
    const record = JSON.parse(line) as unknown;
    if (typeof record !== 'object' || record === null || Array.isArray(record)) fail(`not a JSON object: ${line.slice(0, 200)}`);
    const problems = checkRecord(record);
    if (problems.length > 0) fail(`${problems.join('; ')}: ${line.slice(0, 300)}`);
    return record as Record<string, unknown>;
  });
  const ours = new Set(replies.map((r) => r.traceId).filter((id): id is string => id !== undefined));
  for (const record of records) {
    if (record.label !== label) fail(`label ${String(record.label)} is not ours`);
    if (record.level === 'fatal') fail(`a fatal record: ${JSON.stringify(record).slice(0, 300)}`);
    const context = String(record.context);
    if (context !== 'HttpRequest' && context !== 'HttpResponse' && !appContexts.includes(context)) fail(`unexpected context ${context}`);
    if (typeof record.traceId !== 'string' || !UUID.test(record.traceId) || !ours.has(record.traceId)) fail(`traceId ${String(record.traceId)} is not one we made`);
    if (typeof record.globalTraceId !== 'string' || !GLOBAL_ID.test(record.globalTraceId)) fail(`globalTraceId ${String(record.globalTraceId)} is not a clean id`);
    if (record.forged !== undefined || record.polluted !== undefined) fail('a forged field');
  }
  for (const reply of replies) {
    if (reply.traceId === undefined) continue;
    const mine = records.filter((r) => r.traceId === reply.traceId);
    const requests = mine.filter((r) => r.context === 'HttpRequest');
    const responses = mine.filter((r) => r.context === 'HttpResponse');
    if (requests.length !== 1 || responses.length !== 1) fail(`${reply.name}: ${requests.length} HttpRequest and ${responses.length} HttpResponse records`);
    const status = responses[0]?.statusCode;
    if (!Number.isInteger(status) || status !== reply.status) fail(`${reply.name}: statusCode ${String(status)}, the client got ${reply.status}`);
    if (mine.indexOf(requests[0] as Record<string, unknown>) !== 0) fail(`${reply.name}: HttpRequest is not the first record`);
  }
  return { requests: replies.length, reachedApp: ours.size, lines: lines.length, maxLineBytes: maxBytes };
}
