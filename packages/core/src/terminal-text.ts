// Text from log lines made safe to print on a terminal (pretty output, `loglane check` reports).

/**
 * What a terminal would act on rather than show: line breaks (one record stays one line) and every
 * other control character but tab: ESC and the C1 controls start sequences that move the cursor,
 * recolour, clear the screen or retitle the window, so a value a client sent (a user agent, a body
 * field, a metadata key) could overwrite or fake the lines above it. Also the bidirectional
 * embeddings, overrides and isolates (U+202A–202E, U+2066–2069), which make text show in another
 * order than it has.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSHOWABLE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const escapeUnshowable = (c: string): string =>
  c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with every character a terminal would act on written as an escape (`\n`, `\u001b`). */
export const terminalSafe = (text: string): string => text.replace(UNSHOWABLE, escapeUnshowable);
