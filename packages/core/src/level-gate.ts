// The one level of a logger family: the facade, `logger.winston` and the transports that have no
// level of their own all read it here (and winston's `silent`), so setting it anywhere sets it everywhere.

import { LEVEL_RANK, LEVELS, type LogLevel, isLogLevel } from './schema.js';

/**
 * A level as an option may name it: a loglane level, or Nest's `log` (which is `info`). Nest's other
 * level names (`fatal`, `error`, `warn`, `debug`, `verbose`) are loglane's own.
 */
export type LevelName = LogLevel | 'log';

/**
 * The loglane level a name stands for (`log` → `info`; case and surrounding spaces ignored, as
 * `LOG_LEVEL=INFO ` happens), or `undefined` for anything else.
 */
export function toLogLevel(value: unknown): LogLevel | undefined {
  if (typeof value !== 'string') return undefined;
  if (isLogLevel(value)) return value;
  const name = value.trim().toLowerCase();
  if (name === 'log') return 'info';
  return isLogLevel(name) ? name : undefined;
}

/** The error for a level that is none. */
export function unknownLevelError(value: unknown): TypeError {
  return new TypeError(
    `@loglane/core: unknown level ${JSON.stringify(value)}; use one of ${LEVELS.join(', ')} (or Nest's log, which is info)`,
  );
}

/** The least severe level a root logger and its children write, with its rank for the hot path. */
export class LevelGate {
  /** `LEVEL_RANK` of `level` (`-1` while silent): a call at a greater rank writes nothing. */
  rank: number;
  private current: LogLevel;
  private muted = false;

  constructor(level: LogLevel) {
    this.current = level;
    this.rank = LEVEL_RANK[level];
  }

  get level(): LogLevel {
    return this.current;
  }

  /** Sets the level (a `LevelName`); anything else is a `TypeError` that names the levels. */
  set level(value: unknown) {
    const level = toLogLevel(value);
    if (level === undefined) throw unknownLevelError(value);
    this.current = level;
    this.rank = this.muted ? -1 : LEVEL_RANK[level];
  }

  /** Nothing is written while true: winston's `logger.winston.silent`, read by the facade too. */
  get silent(): boolean {
    return this.muted;
  }

  set silent(silent: unknown) {
    this.muted = Boolean(silent);
    this.rank = this.muted ? -1 : LEVEL_RANK[this.current];
  }
}
