// Partial matching of captured records against a pattern, and the wording of what did not match:
// the one comparison every filter and matcher of `@loglane/core/testing` uses.

/** A partial record: the fields to look for, each a value, a nested partial, a RegExp or an asymmetric matcher. */
export type RecordPattern = Readonly<Record<string, unknown>>;

/** What jest's and vitest's `expect.any(...)`, `expect.stringContaining(...)` and friends have in common. */
interface AsymmetricMatcherLike {
  asymmetricMatch(other: unknown): boolean;
  toAsymmetricMatcher?(): string;
  /** `'string'`, `'object'`, `'array'`, `'number'`, … (jest and vitest both have it). */
  getExpectedType?(): string;
  /** What the matcher was made with: `objectContaining`'s object, `stringContaining`'s text. */
  sample?: unknown;
}

/** One field of a pattern that a record does not match. */
export interface Mismatch {
  /** Dotted path of the field (`responseBody.items[0].id`). */
  readonly path: string;
  readonly expected: unknown;
  /** `undefined` when `missing`. */
  readonly received: unknown;
  /** The record has no such field. */
  readonly missing: boolean;
  /** Why, when it is not plain inequality (array length, not JSON). */
  readonly note?: string;
}

/** Whether `value` is an asymmetric matcher of jest or vitest (anything with `asymmetricMatch`). */
export function isAsymmetricMatcher(value: unknown): value is AsymmetricMatcherLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<AsymmetricMatcherLike>).asymmetricMatch === 'function'
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Bodies and object metadata are written as JSON-encoded strings (see the record contract); a
 * pattern that gives an object or array for such a field is matched against the parsed value.
 */
function parseJsonString(value: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(value) as unknown };
  } catch {
    return { ok: false };
  }
}

/** The decoded value of JSON text that holds an object or an array (a body, object metadata). */
function parseJsonContainer(value: string): { ok: true; value: unknown } | { ok: false } {
  const start = value.trimStart()[0];
  if (start !== '{' && start !== '[') return { ok: false };
  const parsed = parseJsonString(value);
  return parsed.ok && typeof parsed.value === 'object' && parsed.value !== null ? parsed : { ok: false };
}

/**
 * An asymmetric matcher against a field. A field holding JSON text (`requestBody`, object
 * metadata) is compared by its decoded value unless the matcher is about strings
 * (`stringContaining`, `stringMatching`, `any(String)`): `expect.objectContaining({ email })`
 * matches the body `{"email":…}`. A matcher that does not say what it expects is tried on the
 * text first, then on the decoded value.
 */
function matchAsymmetric(actual: unknown, expected: AsymmetricMatcherLike, path: string): Mismatch[] {
  const decoded = typeof actual === 'string' ? parseJsonContainer(actual) : ({ ok: false } as const);
  const type = typeof expected.getExpectedType === 'function' ? expected.getExpectedType() : undefined;
  if (!decoded.ok || type === 'string') {
    return expected.asymmetricMatch(actual) ? [] : [{ path, expected, received: actual, missing: false }];
  }
  if (type === undefined && expected.asymmetricMatch(actual)) return [];
  return expected.asymmetricMatch(decoded.value)
    ? []
    : [{ path, expected, received: actual, missing: false, note: 'compared with the decoded JSON text' }];
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/**
 * Every place where `actual` does not match `expected` (empty when it matches). Objects match
 * partially (extra fields are allowed), arrays item by item with the same length, `undefined`
 * means "absent", a RegExp tests a string, an asymmetric matcher decides for itself.
 */
export function mismatches(actual: unknown, expected: unknown, path = ''): Mismatch[] {
  if (isAsymmetricMatcher(expected)) return matchAsymmetric(actual, expected, path);
  if (expected instanceof RegExp) {
    expected.lastIndex = 0;
    return typeof actual === 'string' && expected.test(actual) ? [] : [{ path, expected, received: actual, missing: false }];
  }
  if (Array.isArray(expected) || isPlainObject(expected)) {
    let value = actual;
    if (typeof actual === 'string') {
      const parsed = parseJsonString(actual);
      if (!parsed.ok) return [{ path, expected, received: actual, missing: false, note: 'not JSON text' }];
      value = parsed.value;
    }
    if (Array.isArray(expected)) {
      if (!Array.isArray(value)) return [{ path, expected, received: actual, missing: false }];
      if (value.length !== expected.length) {
        return [{ path, expected, received: actual, missing: false, note: `${expected.length} items expected, ${value.length} received` }];
      }
      return expected.flatMap((item, i) => mismatches(value[i], item, `${path}[${i}]`));
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [{ path, expected, received: actual, missing: false }];
    const object = value as Record<string, unknown>;
    const out: Mismatch[] = [];
    for (const [key, want] of Object.entries(expected)) {
      const has = Object.prototype.hasOwnProperty.call(object, key);
      if (!has) {
        if (want !== undefined) out.push({ path: join(path, key), expected: want, received: undefined, missing: true });
        continue;
      }
      out.push(...mismatches(object[key], want, join(path, key)));
    }
    return out;
  }
  if (actual === expected || (Number.isNaN(actual) && Number.isNaN(expected))) return [];
  return [{ path, expected, received: actual, missing: actual === undefined }];
}

/** Whether `record` matches every field of `pattern`. */
export function matchesPattern(record: unknown, pattern: RecordPattern): boolean {
  return mismatches(record, pattern).length === 0;
}

/** How close a record comes to a pattern: top-level fields matched, and the mismatches. */
export interface Closeness {
  readonly matched: number;
  readonly total: number;
  readonly mismatches: readonly Mismatch[];
}

/** Scores `record` against `pattern` by the number of the pattern's top-level fields it matches. */
export function closeness(record: unknown, pattern: RecordPattern): Closeness {
  const keys = Object.keys(pattern);
  const all: Mismatch[] = [];
  let matched = 0;
  for (const key of keys) {
    const found = mismatches(record, { [key]: pattern[key] });
    if (found.length === 0) matched++;
    else all.push(...found);
  }
  return { matched, total: keys.length, mismatches: all };
}

const MAX_STRING = 100;

/**
 * An asymmetric matcher by name and content: `ObjectContaining { email: "a@b.c" }`,
 * `StringContaining "x"`, `Any<Number>`. vitest's containing matchers have no
 * `toAsymmetricMatcher`, and jest's print only their name, so the sample is shown here.
 */
function formatAsymmetric(value: AsymmetricMatcherLike, depth: number): string {
  if (typeof value.toAsymmetricMatcher === 'function') {
    const own = value.toAsymmetricMatcher();
    // jest's StringContaining/StringMatching already include their sample; vitest's Any<…> too.
    if (typeof own === 'string' && (own.includes(' ') || own.includes('<') || value.sample === undefined)) return own;
  }
  const name = String(value);
  const label = name === '[object Object]' ? (value.constructor?.name ?? 'AsymmetricMatcher') : name;
  if (value.sample === undefined || typeof value.sample === 'function') return label;
  return `${label} ${formatValue(value.sample, depth + 1)}`;
}

/** A value as a pattern or a record shows it in a message: JSON-like, matchers by name, long strings cut. */
export function formatValue(value: unknown, depth = 0): string {
  if (isAsymmetricMatcher(value)) return formatAsymmetric(value, depth);
  if (value instanceof RegExp) return String(value);
  if (typeof value === 'string') {
    const text = JSON.stringify(value);
    return text.length > MAX_STRING ? `${text.slice(0, MAX_STRING - 2)}…"` : text;
  }
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object' || value === null) return String(value);
  if (depth > 3) return Array.isArray(value) ? '[…]' : '{…}';
  if (Array.isArray(value)) return `[${value.map((v) => formatValue(v, depth + 1)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  const key = (k: string): string => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));
  return `{ ${entries.map(([k, v]) => `${key(k)}: ${formatValue(v, depth + 1)}`).join(', ')} }`;
}

/** One line saying how a field differs: `statusCode: expected 201, received 400`. */
export function formatMismatch(m: Mismatch): string {
  const path = m.path === '' ? '(record)' : m.path;
  if (m.missing) return `${path}: expected ${formatValue(m.expected)}, field absent`;
  const note = m.note ? ` (${m.note})` : '';
  return `${path}: expected ${formatValue(m.expected)}, received ${formatValue(m.received)}${note}`;
}
