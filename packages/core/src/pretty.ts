// Human-readable output for a developer's terminal: one coloured line per record, made from the
// JSON line itself so it shows exactly what production would write. Never the default.

const COLORS: Readonly<Record<string, string>> = {
  fatal: '\u001b[41;97m',
  error: '\u001b[31m',
  warn: '\u001b[33m',
  info: '\u001b[32m',
  debug: '\u001b[36m',
  verbose: '\u001b[90m',
};
const DIM = '\u001b[2m';
const BOLD = '\u001b[1m';
const RESET = '\u001b[0m';

/** Line breaks a terminal would obey; written escaped so that one record stays one line. */
const BREAKS = /[\n\r\u0085\u2028\u2029]/g;
const escapeBreak = (c: string): string => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

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
  const time = typeof record.timestamp === 'string' ? record.timestamp.slice(11, 23) : '';
  const pairs = Object.entries(record)
    .filter(([key]) => !HEAD_FIELDS.has(key))
    .map(([key, value]) => `${paint(DIM, `${key}=`)}${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const trace = typeof record.traceId === 'string' ? paint(DIM, ` (trace ${record.traceId.slice(0, 8)})`) : '';
  // One line per record: the stack's first frame stands for the whole stack.
  const frame = typeof record.errorStack === 'string' ? /\n\s*(at [^\n]+)/.exec(record.errorStack)?.[1] : undefined;
  const stack = frame ? ` ${paint(DIM, frame)}` : '';
  const text =
    `${paint(DIM, time)} ${paint(COLORS[level], level.toUpperCase().padEnd(7))} ` +
    `${paint(BOLD, `[${String(record.context ?? '')}]`)} ${String(record.message ?? '')}` +
    `${pairs.length > 0 ? ` ${pairs.join(' ')}` : ''}${trace}${stack}`;
  return `${text.replace(BREAKS, escapeBreak)}\n`;
}
