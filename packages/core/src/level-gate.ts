// The one level of a logger family: the facade, `logger.winston` and the transports that have no
// level of their own all read it here (and winston's `silent`), so setting it anywhere sets it everywhere.

import { LEVEL_RANK, type LogLevel, isLogLevel } from './schema.js';

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

  /** Sets the level; anything but a loglane level is a `TypeError` that names the levels. */
  set level(level: unknown) {
    if (!isLogLevel(level)) {
      throw new TypeError(`@loglane/core: unknown level ${JSON.stringify(level)}; use one of fatal, error, warn, info, debug, verbose`);
    }
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
