// Nest's LoggerService on a loglane logger: maps every call shape of Nest's Logger (bootstrap
// lines, `new Logger('UserService').log(...)`, `.error(message, stack, context)`) to one record,
// and folds Nest's own "ExceptionsHandler" line into the HttpResponse that carries the same error.

import { Inject, Injectable, type LoggerService, type LogLevel as NestLogLevel } from '@nestjs/common';
import { type LogLevel, type LoglaneLogger, type RecordDraft, currentHttpExchange } from '@loglane/core';
import { LOGLANE_LOGGER } from './options.js';

/** The context Nest's exception handlers log unknown errors under. */
const EXCEPTIONS_HANDLER = 'ExceptionsHandler';

// Node's stack form, as Nest's ConsoleLogger recognises it: a first line, then "    at …:line:col".
const STACK = /^(.)+\n\s+at .+:\d+:\d+/;

// The first line of a stack: "<ErrorName>: <message>".
const STACK_HEAD = /^([A-Za-z_$][\w$]*): ([^\n]*)/;

type Meta = Record<string, unknown>;

function isStack(value: unknown): value is string {
  return typeof value === 'string' && STACK.test(value);
}

/** The metadata key of object parameters that have no keys of their own to spread (arrays, Dates, Maps, ...). */
const PARAMS_KEY = 'params';

/**
 * An object whose own keys are its data: a plain object or an instance of an app class (a DTO, an
 * entity). Arrays, Dates, Maps, Sets, binary data, RegExps and boxed values are values, not key bags.
 */
function isKeyBag(value: unknown): value is Meta {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value) || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return false;
  return !(
    value instanceof Date ||
    value instanceof Map ||
    value instanceof Set ||
    value instanceof WeakMap ||
    value instanceof WeakSet ||
    value instanceof RegExp ||
    value instanceof Promise ||
    value instanceof String ||
    value instanceof Number ||
    value instanceof Boolean
  );
}

/** The own enumerable keys of a key bag, or `undefined` when reading them throws (a hostile getter or Proxy). */
function ownKeysOf(value: Meta): Meta | undefined {
  try {
    return { ...value };
  } catch {
    return undefined;
  }
}

/**
 * A Nest `LoggerService` that writes loglane records. Use it for everything Nest prints:
 *
 * ```ts
 * const app = await NestFactory.create(AppModule, { bufferLogs: true });
 * app.useLogger(app.get(LoglaneLoggerService));
 * ```
 *
 * `log` is `info`; the last string argument is the context (as Nest's Logger passes it); objects
 * are metadata: a plain object's or class instance's keys become keys of the record, and arrays,
 * Dates, Maps and Sets are listed in order under `params`; an `Error` or a stack string becomes
 * the error fields; strings, numbers and booleans are appended to the message.
 */
@Injectable()
export class LoglaneLoggerService implements LoggerService {
  private enabled: ReadonlySet<string> | undefined;

  constructor(@Inject(LOGLANE_LOGGER) private readonly logger: LoglaneLogger) {}

  log(message: unknown, ...optionalParams: unknown[]): void {
    this.write('info', message, optionalParams, 'log');
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, optionalParams, 'fatal');
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.write('error', message, optionalParams, 'error');
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, optionalParams, 'warn');
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, optionalParams, 'debug');
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('verbose', message, optionalParams, 'verbose');
  }

  /**
   * Nest's levels to write (`app.useLogger(['error', 'warn'])` calls this); the loglane logger's
   * own `level` still gates them. Affects only what comes through Nest's Logger.
   */
  setLogLevels(levels: NestLogLevel[]): void {
    this.enabled = new Set(levels);
  }

  private write(level: LogLevel, message: unknown, params: unknown[], nestLevel: NestLogLevel): void {
    if (this.enabled && !this.enabled.has(nestLevel)) return;
    if (!this.logger.isLevelEnabled(level)) return;
    const draft = toDraft(level, message, params, this.logger.context);
    if (level === 'error' && draft.context === EXCEPTIONS_HANDLER && mergedIntoResponse(draft)) return;
    this.logger.write(draft);
  }
}

/**
 * Nest's exception handler logs an unknown error after it has answered the request; that request's
 * HttpResponse carries the same error, so the line is dropped (or, if nothing recorded an error
 * yet, the error is handed to the HttpResponse instead). A different error, or one logged outside
 * a request or after its HttpResponse, is written as usual.
 */
function mergedIntoResponse(draft: RecordDraft): boolean {
  const exchange = currentHttpExchange();
  if (!exchange || exchange.responseLogged) return false;
  const logged = draft.error;
  if (!exchange.hasError) return exchange.recordError(logged ?? draft.message);
  const recorded = exchange.error;
  if (logged === recorded) return true;
  if (recorded instanceof Error && typeof logged === 'object' && logged !== null) {
    const l = logged as { stack?: unknown; message?: unknown };
    return l.stack === recorded.stack && l.message === recorded.message;
  }
  return false;
}

/** One record from Nest's `(message, ...optionalParams)`, context last as Nest's Logger appends it. */
function toDraft(level: LogLevel, message: unknown, params: unknown[], fallbackContext: string): RecordDraft {
  let rest = params;
  let context = fallbackContext;
  const last = rest[rest.length - 1];
  // A trailing string is the context, except an error's stack passed without one.
  if (typeof last === 'string' && !(level === 'error' && isStack(last) && rest.length === 1)) {
    context = last;
    rest = rest.slice(0, -1);
  }
  let meta: Meta | undefined;
  let error: unknown;
  let stack: string | undefined;
  const words: string[] = [];
  let text: unknown = message;
  // Values without keys of their own, in the order given: one array, so the key has one type.
  const values: unknown[] = [];
  if (message instanceof Error) {
    error = message;
    text = message.message;
  } else if (isKeyBag(message)) {
    // `logger.log({ orderId, message: 'placed' })`: keys are metadata, `message`/`msg` the text.
    const keys = ownKeysOf(message);
    if (keys === undefined) {
      values.push(message);
      text = '';
    } else {
      const { message: m, msg, ...others } = keys;
      const summary = typeof m === 'string' ? m : typeof msg === 'string' ? msg : undefined;
      meta = summary === undefined ? keys : others;
      text = summary ?? '';
    }
  }
  for (const param of rest) {
    if (param === undefined) continue;
    if (param instanceof Error) error ??= param;
    else if (isKeyBag(param)) {
      const keys = ownKeysOf(param);
      if (keys === undefined) values.push(param);
      else meta = { ...meta, ...keys };
    } else if (typeof param === 'object' && param !== null) values.push(param);
    // A function's source text is not a message: name it.
    else if (typeof param === 'function') words.push(`[function ${param.name || 'anonymous'}]`);
    else if (level === 'error' && stack === undefined && isStack(param)) stack = param;
    else words.push(typeof param === 'string' ? param : String(param));
  }
  if (values.length > 0) meta = { ...meta, [PARAMS_KEY]: values };
  if (error === undefined && stack !== undefined) {
    // `error(message, stack, context)`: the stack's first line names the error ("RangeError: …").
    const head = STACK_HEAD.exec(stack);
    error = head
      ? { name: head[1], message: head[2], stack }
      : { name: 'Error', message: typeof text === 'string' ? text : String(text), stack };
  }
  if (words.length > 0) text = [typeof text === 'string' ? text : JSON.stringify(text), ...words].join(' ');
  const draft: RecordDraft = { level, context, message: text };
  if (meta !== undefined) draft.meta = meta;
  if (error !== undefined) draft.error = error;
  return draft;
}
