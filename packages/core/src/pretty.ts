// Human-readable output for a developer's terminal: one coloured line per record, made from the
// JSON line itself so it shows exactly what production would write. Never the default.

import { terminalSafe } from './terminal-text.js';

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
  const time = typeof record.timestamp === 'string' ? terminalSafe(record.timestamp.slice(11, 23)) : '';
  const pairs = Object.entries(record)
    .filter(([key]) => !HEAD_FIELDS.has(key))
    .map(([key, value]) => `${paint(DIM, `${terminalSafe(key)}=`)}${terminalSafe(typeof value === 'string' ? value : JSON.stringify(value))}`);
  const trace = typeof record.traceId === 'string' ? paint(DIM, ` (trace ${terminalSafe(record.traceId.slice(0, 8))})`) : '';
  // One line per record: the stack's first frame stands for the whole stack.
  const frame = typeof record.errorStack === 'string' ? /\n\s*(at [^\n]+)/.exec(record.errorStack)?.[1] : undefined;
  const stack = frame ? ` ${paint(DIM, terminalSafe(frame))}` : '';
  return (
    `${paint(DIM, time)} ${paint(COLORS.get(level), terminalSafe(level.toUpperCase().padEnd(7)))} ` +
    `${paint(BOLD, `[${terminalSafe(String(record.context ?? ''))}]`)} ${terminalSafe(String(record.message ?? ''))}` +
    `${pairs.length > 0 ? ` ${pairs.join(' ')}` : ''}${trace}${stack}\n`
  );
}
