// The level of HttpResponse: loglane's mapping by status and error, or the app's `responseLevel`
// function (pino-http's `customLogLevel`), which falls back to the mapping when it fails.

import type { IncomingMessage } from 'node:http';
import { toLogLevel } from './level-gate.js';
import type { LoglaneLogger } from './logger.js';
import type { LogLevel } from './schema.js';
import type { LevelName } from './level-gate.js';
import { messageOf } from './serialize.js';

/**
 * The `responseLevel` option: the level of a request's HttpResponse. `error` is the error recorded
 * for the request (`undefined` when none); `defaultLevel` is loglane's own choice. Return
 * `undefined` to keep that.
 */
export type ResponseLevelFunction<Req extends IncomingMessage = IncomingMessage> = (
  statusCode: number,
  error: unknown,
  req: Req,
  defaultLevel: LogLevel,
) => LevelName | undefined;

/**
 * loglane's mapping: 5xx, and an error on a response whose status says nothing of it (< 400),
 * `error`; 4xx and a response cut short, `warn`; the rest `info`.
 */
export function defaultResponseLevel(statusCode: number, hasError: boolean, aborted: boolean): LogLevel {
  return statusCode >= 500 || (hasError && statusCode < 400) ? 'error' : statusCode >= 400 || aborted ? 'warn' : 'info';
}

/** The `responseLevel` of one app. */
export class ResponseLevel {
  private reported = false;

  constructor(
    private readonly custom: ResponseLevelFunction | undefined,
    private readonly logger: LoglaneLogger,
  ) {}

  /** The level of one HttpResponse: the function's answer when it is a level, else `defaultLevel` (a failure reported once per app). */
  of(statusCode: number, error: unknown, req: IncomingMessage, defaultLevel: LogLevel): LogLevel {
    if (this.custom === undefined) return defaultLevel;
    let answer: unknown;
    try {
      answer = this.custom(statusCode, error, req, defaultLevel);
    } catch (err) {
      this.report(`the responseLevel option threw (${messageOf(err)}); HttpResponse uses loglane's level where it throws`);
      return defaultLevel;
    }
    if (answer === undefined) return defaultLevel;
    const level = toLogLevel(answer);
    if (level === undefined) {
      this.report(`the responseLevel option returned ${describe(answer)}, not a level; HttpResponse uses loglane's level where it does`);
      return defaultLevel;
    }
    return level;
  }

  private report(message: string): void {
    if (this.reported) return;
    this.reported = true;
    this.logger.write({ level: 'warn', context: 'loglane', message });
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 64));
  if (value === null) return 'null';
  return typeof value;
}
