// The bodies of an exchange as records write them: the request body the app parsed (or a
// description of one it never parsed), and the response body captured from what was sent.

import type { IncomingMessage } from 'node:http';
import { headerValue } from './client-ip.js';
import type { Exchange } from './exchange.js';
import { JsonText } from './record-draft.js';

// Text types whose bytes are worth a log line; anything else is described by type and size.
const TEXTUAL = /^(text\/|application\/(?:[\w.+-]*\+)?(?:json|(?:x-)?ndjson|xml|javascript|x-www-form-urlencoded|graphql))/i;
// NDJSON too: several JSON values fail JSON.parse, and as JsonText their sensitive keys are still redacted.
const JSONISH = /^application\/(?:[\w.+-]*\+)?(?:(?:x-)?nd)?json/i;
const FORM = /^application\/x-www-form-urlencoded/i;
// A whole HTML document (Express's 404 and error pages, a rendered view) is markup for a browser:
// it says little in a log line and costs up to maxBodyBytes of it, so it is described by type and
// size. A fragment (`res.send('ok')` is text/html in Express) is kept as text.
const HTML = /^(?:text\/html|application\/xhtml\+xml)/i;
const HTML_DOCUMENT = /^\s*(?:<!doctype html|<html[\s>])/i;

/** The request carries a body by its headers: a length above zero, or a transfer coding (RFC 9112 §6). */
export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** The parsed body: the view's answer when it has one (it may know a body is not parsed yet), else `req.body`. */
export function parsedBodyOf(exchange: Exchange): unknown {
  const { view, req } = exchange;
  if (!view?.requestBody) return (req as { body?: unknown }).body;
  try {
    return view.requestBody();
  } catch {
    return undefined;
  }
}

/** An object without own keys (Express 4's parsers set `{}` before they read anything). */
export function isEmptyObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value)) return false;
  for (const key in value) if (Object.prototype.hasOwnProperty.call(value, key)) return false;
  return true;
}

/**
 * The request body as a record writes it. A body that was sent but never parsed (no parser for its
 * type, a parser that failed, or a record written before the parser ran) is described by type and
 * size, never written as empty.
 */
export function requestBodyOf(exchange: Exchange): unknown {
  const { req } = exchange;
  const body = parsedBodyOf(exchange);
  if (!hasRequestBody(req)) {
    // Express 4's parsers set `{}` on requests without a body: that is no body, not an empty one.
    return body === undefined || isEmptyObject(body) ? undefined : body;
  }
  if (body === undefined) return describeUnparsed(req);
  if (Buffer.isBuffer(body)) return describeBytes(body, headerValue(req.headers['content-type']), body.length, false);
  return body;
}

/** `[unparsed text/plain 11 bytes]`: a body that was sent but that no parser turned into a value. */
function describeUnparsed(req: IncomingMessage): string {
  const type = headerValue(req.headers['content-type'])?.split(';')[0]?.trim() || 'unknown type';
  const length = headerValue(req.headers['content-length']);
  return `[unparsed ${type} ${length !== undefined && /^\d+$/.test(length) ? `${length} bytes` : 'body'}]`;
}

/** The response body as HttpResponse writes it: the value the adapter handed over, or the captured bytes. */
export function responseBodyOf(exchange: Exchange): unknown {
  const { res, req } = exchange;
  if (req.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304) return undefined;
  if (exchange.hasResponseValue) return exchange.responseValue;
  if (exchange.totalBytes === 0) return undefined;
  const encoding = headerValue(res.getHeader('content-encoding'));
  const type = headerValue(res.getHeader('content-type'));
  if (encoding && encoding !== 'identity') return `[${encoding}-encoded ${type ?? 'body'} ${exchange.totalBytes} bytes]`;
  return describeBytes(Buffer.concat(exchange.chunks ?? []), type, exchange.totalBytes, exchange.totalBytes > exchange.capturedBytes);
}

/** A captured body as something the encoder can write: a parsed value, text, or a description. */
function describeBytes(bytes: Buffer, contentType: string | undefined, totalBytes: number, cut: boolean): unknown {
  const type = contentType ?? '';
  if (!TEXTUAL.test(type)) return `[binary ${type || 'unknown type'} ${totalBytes} bytes]`;
  const text = bytes.toString('utf8');
  if (HTML.test(type) && HTML_DOCUMENT.test(text)) return `[html document ${type} ${totalBytes} bytes]`;
  if (JSONISH.test(type)) {
    if (!cut) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        // Not valid JSON after all: keep it as text, redacted pair by pair.
      }
    }
    return new JsonText(text, cut);
  }
  // A body cut where it was captured stays marked as cut: the record must say it was truncated.
  if (FORM.test(type)) {
    const form = Object.fromEntries(new URLSearchParams(text));
    return cut ? new JsonText(JSON.stringify(form), true) : form;
  }
  return cut ? new JsonText(JSON.stringify(text).slice(0, -1), true) : text;
}

/**
 * Keeps the first `captureLimit` bytes of a chunk the app sends (and counts the rest); called from
 * the response's `write` and `end` (exchange.ts).
 */
export function captureChunk(exchange: Exchange, chunk: unknown, encoding: unknown): void {
  // The adapter already handed over the body as a value (Express `res.json`): no bytes needed.
  if (exchange.hasResponseValue) return;
  const room = exchange.captureLimit - exchange.capturedBytes;
  let kept: Buffer;
  if (typeof chunk === 'string') {
    const charset: BufferEncoding = typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8';
    // Counted without encoding it; only what is kept is encoded (a 64 MB string costs no 64 MB copy).
    exchange.totalBytes += Buffer.byteLength(chunk, charset);
    if (room <= 0) return;
    // In utf8, latin1 or utf16le a character is at least one byte; hex and base64 need up to two characters a byte.
    const chars = charset === 'hex' || charset === 'base64' || charset === 'base64url' ? room * 2 + 4 : room;
    const bytes = Buffer.from(chunk.length > chars ? chunk.slice(0, chars) : chunk, charset);
    kept = bytes.length > room ? bytes.subarray(0, room) : bytes;
  } else if (chunk instanceof Uint8Array) {
    exchange.totalBytes += chunk.byteLength;
    if (room <= 0) return;
    // Copied: the app may reuse its buffer after write returns.
    kept = Buffer.from(chunk.subarray(0, Math.min(room, chunk.byteLength)));
  } else return;
  (exchange.chunks ??= []).push(kept);
  exchange.capturedBytes += kept.length;
}
