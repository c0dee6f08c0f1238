// The record clock: `new Date().toISOString()` at a fraction of its cost.

let lastMs = -1;
let lastIso = '';
let lastSecond = Number.NaN;
/** `YYYY-MM-DDTHH:MM:SS.` of `lastSecond`. */
let secondPrefix = '';

/**
 * `new Date().toISOString()`, computed once per millisecond. `toISOString` is formatted once per
 * second and only the milliseconds are appended per call: at a few records per millisecond (an HTTP
 * service) the cache alone rarely hits, and `toISOString` costs about 20 times the append.
 */
export function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    const second = Math.floor(now / 1000);
    if (second !== lastSecond) {
      lastSecond = second;
      secondPrefix = new Date(second * 1000).toISOString().slice(0, -4);
    }
    const ms = now - second * 1000;
    lastIso = `${secondPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
  }
  return lastIso;
}
