// Human-readable output for a developer's terminal: one coloured line per record, made from the
// JSON line itself so it shows exactly what production would write. Never the default.

const COLORS: ReadonlyMap<string, string> = new Map([
  ['fatal', '\u001b[41;97m'],
  ['error', '\u001b[31m'],
  ['warn', '\u001b[33m'],
  ['info', '\u001b[32m'],
  ['debug', '\u001b[36m'],
  ['verbose', '\u001b[90m'],
]);
const DIM = '\u001b[2m';
const BOLD = '\u001b[1m';
const RESET = '\u001b[0m';

/**
 * What a terminal would act on rather than show: line breaks (one record stays one line) and every
 * other control character but tab: ESC and the C1 controls start sequences that move the cursor,
 * recolour, clear the screen or retitle the window, so a value a client sent (a user agent, a body
 * field) could overwrite or fake the lines above it. Escaped in everything taken from the record,
 * before the colour codes of pretty output itself are added.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSHOWABLE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g;
const escapeUnshowable = (c: string): string =>
  c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
const shown = (text: string): string => text.replace(UNSHOWABLE, escapeUnshowable);

/** Fields shown in the line's head, or not at all, rather than as `key=value` pairs. */
const HEAD_FIELDS = new Set(['timestamp', 'level', 'context', 'message', 'label', 'version', 'traceId', 'globalTraceId', 'errorStack']);

/** Renders one JSON line as `12:00:01.123 INFO  [UserService] message key=value … (trace 1a2b3c4d)`. */
export function prettyLine(line: string, color = true): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const paint = (code: string | undefined, text: string): string => (color && code ? `${code}${text}${RESET}` : text);
  const level = String(record.level ?? 'info');
  const time = typeof record.timestamp === 'string' ? shown(record.timestamp.slice(11, 23)) : '';
  const pairs = Object.entries(record)
    .filter(([key]) => !HEAD_FIELDS.has(key))
    .map(([key, value]) => `${paint(DIM, `${shown(key)}=`)}${shown(typeof value === 'string' ? value : JSON.stringify(value))}`);
  const trace = typeof record.traceId === 'string' ? paint(DIM, ` (trace ${shown(record.traceId.slice(0, 8))})`) : '';
  // One line per record: the stack's first frame stands for the whole stack.
  const frame = typeof record.errorStack === 'string' ? /\n\s*(at [^\n]+)/.exec(record.errorStack)?.[1] : undefined;
  const stack = frame ? ` ${paint(DIM, shown(frame))}` : '';
  return (
    `${paint(DIM, time)} ${paint(COLORS.get(level), shown(level.toUpperCase().padEnd(7)))} ` +
    `${paint(BOLD, `[${shown(String(record.context ?? ''))}]`)} ${shown(String(record.message ?? ''))}` +
    `${pairs.length > 0 ? ` ${pairs.join(' ')}` : ''}${trace}${stack}\n`
  );
}
