// The winston side of a record: `loglaneFormat` for winston loggers (loglane's own and the app's),
// and `encodedInfo`, the winston info every transport receives — made from the encoded line, so a
// transport sees exactly the redacted fields the line has and never the caller's raw metadata.

import { LEVEL, MESSAGE } from 'triple-beam';
// logform is winston's format library (winston.format is logform): taken from the package itself.
import { type Format, type TransformableInfo, format as logformFormat } from 'logform';
import type { RecordEncoder } from './encoder.js';
import type { RecordDraft } from './record-draft.js';
import { LEVEL_RANK, type LogLevel, isLogLevel } from './schema.js';

/** Maps winston's npm levels to loglane's, for records logged through a plain winston logger. */
const WINSTON_LEVELS: Readonly<Record<string, LogLevel>> = { http: 'info', silly: 'verbose', log: 'info', crit: 'fatal', emerg: 'fatal', alert: 'fatal', warning: 'warn', notice: 'info' };

/** Winston keys that are not the caller's metadata. */
const WINSTON_OWN_KEYS = new Set(['level', 'message', 'context', 'stack', 'splat']);

/** Ranks of levels for winston's `levels` option. */
export const WINSTON_LEVEL_RANKS: Record<string, number> = { ...LEVEL_RANK };

/**
 * The winston info of an encoded line: its fields, parsed back, with `info[LEVEL]` (the level winston
 * and its transports filter on) and `info[MESSAGE]` (the line, without its newline).
 */
export function encodedInfo(line: string, level: string): TransformableInfo {
  const info = JSON.parse(line) as TransformableInfo;
  info[LEVEL] = level;
  info[MESSAGE] = line;
  return info;
}

/** Options of `loglaneFormat` for a winston logger you build yourself. */
export interface LoglaneFormatOptions {
  /** Stamps each record with trace context and builds its line: `new RecordEncoder({ label, redactor: new Redactor(), … })`. */
  encoder: RecordEncoder;
  /**
   * `context` of records whose info has none.
   * @default 'app'
   */
  context?: string;
}

/**
 * A winston format that writes loglane records: put it last in your own winston logger's format and
 * every transport that writes `info[MESSAGE]` (Console, File, Stream) writes loglane lines. The info it
 * passes on holds the line's redacted fields, not the caller's metadata, for transports with formats of
 * their own.
 */
export function loglaneFormat(options: LoglaneFormatOptions): Format {
  const defaultContext = options.context ?? 'app';
  const encoder = options.encoder;
  return logformFormat((info: TransformableInfo) => {
    const rawLevel = String((info as { [LEVEL]?: unknown })[LEVEL] ?? info.level);
    const level: LogLevel = isLogLevel(rawLevel) ? rawLevel : (WINSTON_LEVELS[rawLevel] ?? 'info');
    const meta: Record<string, unknown> = {};
    for (const key of Object.keys(info)) {
      if (!WINSTON_OWN_KEYS.has(key)) meta[key] = info[key];
    }
    const draft: RecordDraft = {
      level,
      context: typeof info.context === 'string' ? info.context : defaultContext,
      message: info.message,
      meta,
    };
    if (info instanceof Error) draft.error = info;
    else if (typeof info.stack === 'string') draft.fields = { errorStack: info.stack };
    return encodedInfo(encoder.encode(draft).slice(0, -1), rawLevel);
  })();
}
