// Turns any value into bounded, redacted JSON text in one walk that never throws: circular
// structures, BigInt, Buffers, Errors (with cause), throwing getters and toJSON, Proxies, Maps, Sets.
// The walk stops as soon as its character budget is spent, so a 10 MB body costs no more than its cap.

import { MIN_CREDENTIAL_KEY_CHARS, type PathNode, Redactor, stepPaths } from './redact.js';

/** Appended to text that was cut at its budget. */
export const CUT_MARKER = '…[truncated]';

const MAX_DEPTH = 12;
const MAX_CAUSE_DEPTH = 5;
/** Budget of the text written for a Map key that is not a string (an object key). */
const MAX_MAP_KEY_CHARS = 256;
/** The fewest characters a written object member takes (`"":0`). */
const MIN_MEMBER_CHARS = 4;
/** Stands for a value that is redacted by its key (never read, never walked). */
const REDACTED: unique symbol = Symbol('redacted');

/** Result of encoding one value. */
export interface EncodedValue {
  /** JSON text (cut values end with `CUT_MARKER` and are no longer parseable JSON). */
  text: string;
  /** True when the budget cut the text or depth limits replaced parts of the value. */
  truncated: boolean;
}

/** Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair. */
export function cutString(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

/**
 * A credential could start just before a cut point, where the cut would leave a fragment of it that
 * no pattern recognises any more: redact a window this much past the cut first, then cut.
 */
const CREDENTIAL_WINDOW = 4096;

/**
 * `value` with credentials redacted and cut to at most `max` UTF-16 units: redaction first, then the
 * cut, then whatever the cut left of a credential longer than the window (`redactCutEnd`).
 */
export function redactAndCut(redactor: Redactor, value: string, max: number): string {
  if (value.length <= max) return redactor.redactString(value);
  return redactor.redactCutEnd(cutString(redactor.redactString(value.slice(0, max + CREDENTIAL_WINDOW)), max));
}

/** Reads a property; a throwing getter or Proxy trap becomes a marker instead of an exception. */
function readProperty(obj: object, key: string): unknown {
  try {
    return (obj as Record<string, unknown>)[key];
  } catch (err) {
    return `[Threw: ${messageOf(err)}]`;
  }
}

/** The message of a thrown value, never throwing itself. */
export function messageOf(err: unknown): string {
  try {
    if (err instanceof Error) return String(err.message);
    return String(err);
  } catch {
    return 'unknown';
  }
}

/** Encodes values for one logger's redaction rules. Stateless between calls. */
export class ValueEncoder {
  constructor(private readonly redactor: Redactor) {}

  /** JSON text of `value`, redacted and cut to about `maxChars` characters. */
  encode(value: unknown, maxChars: number): EncodedValue {
    return this.encodeAt(value, maxChars, this.redactor.paths ? [this.redactor.paths] : undefined);
  }

  /**
   * Like `encode`, for an HTTP body: a parsed request body or a `res.json` value is mostly plain JSON
   * data, which JSON.stringify writes after one check (`plainJson`) with the very text the walk
   * writes, without building it piece by piece. Not for metadata: there a value that does not fit
   * would have its getters read twice (by the check, then by the walk); a body's parser makes data
   * without getters.
   */
  encodeBody(value: unknown, maxChars: number): EncodedValue {
    if (this.redactor.paths === undefined && typeof value === 'object' && value !== null) {
      const text = plainJson(this.redactor, value, maxChars);
      if (text !== undefined) return { text, truncated: false };
    }
    return this.encode(value, maxChars);
  }

  /**
   * Like `encode`, for a value found part-way down the user paths (a metadata key's value):
   * `paths` are the trie nodes reached so far, `undefined` when no path goes on from here.
   */
  encodeAt(value: unknown, maxChars: number, paths: PathNode[] | undefined): EncodedValue {
    const walk = new Walk(this.redactor, maxChars);
    walk.value(value, 0, paths);
    return walk.finish();
  }

  /** A string value with credential-shaped parts redacted. */
  redactString(value: string): string {
    return this.redactor.redactString(value);
  }
}

/** One encoding pass: an output buffer with a budget and the chain of objects being visited. */
class Walk {
  /** The output so far (appended to: V8 joins the pieces once, when it is read). */
  private out = '';
  private length = 0;
  private stopped = false;
  private truncated = false;
  private readonly ancestors: object[] = [];
  /**
   * Members of Maps and objects visited, written or not: one left out (an `undefined` or function
   * value) costs no output, so the output budget alone would not stop a Map of a million of them.
   */
  private visited = 0;

  constructor(
    private readonly redactor: Redactor,
    private readonly maxChars: number,
  ) {}

  finish(): EncodedValue {
    let text = this.out;
    if (this.stopped || text.length > this.maxChars) {
      text = cutString(text, this.maxChars) + CUT_MARKER;
      this.truncated = true;
    }
    return { text, truncated: this.truncated };
  }

  private push(text: string): void {
    this.out += text;
    this.length += text.length;
    if (this.length > this.maxChars) this.stopped = true;
  }

  private string(value: string): void {
    const room = this.maxChars - this.length;
    // Cut long strings before escaping them: the budget bounds the work, not just the output.
    this.push(JSON.stringify(redactAndCut(this.redactor, value, Math.max(room, 0))));
    if (value.length > room) this.stopped = true;
  }

  value(value: unknown, depth: number, paths: PathNode[] | undefined): void {
    if (this.stopped) return;
    switch (typeof value) {
      case 'string':
        this.string(value);
        return;
      case 'number':
        this.push(Number.isFinite(value) ? String(value) : 'null');
        return;
      case 'boolean':
        this.push(value ? 'true' : 'false');
        return;
      case 'bigint':
        this.push(`"${value.toString()}"`);
        return;
      case 'object':
        if (value === null) this.push('null');
        else this.object(value, depth, paths);
        return;
      default:
        // undefined, functions and symbols have no JSON form.
        this.push('null');
    }
  }

  /**
   * Writes one object. Whatever it throws (a Proxy trap, a Date-like object without a time value,
   * a Map whose iterator throws), what it wrote so far is taken back and a marker written instead.
   */
  private object(obj: object, depth: number, paths: PathNode[] | undefined): void {
    const length = this.length;
    try {
      this.objectUnsafe(obj, depth, paths);
    } catch (err) {
      this.out = this.out.slice(0, length);
      this.length = length;
      this.string(`[Threw: ${messageOf(err)}]`);
    }
  }

  private objectUnsafe(obj: object, depth: number, paths: PathNode[] | undefined): void {
    if (this.ancestors.includes(obj)) {
      this.push('"[Circular]"');
      return;
    }
    if (depth >= MAX_DEPTH) {
      this.truncated = true;
      this.push(Array.isArray(obj) ? '"[Array]"' : '"[Object]"');
      return;
    }
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
      // A subclass names itself (`constructor.name`, a `byteLength` getter): quoted like any text.
      this.string(`[${String(obj.constructor.name)} ${String(obj.byteLength)} bytes]`);
      return;
    }
    if (obj instanceof Date) {
      // Date's own methods, not the object's: a subclass's `toISOString` may return any text.
      const time = dateTime(obj);
      this.push(Number.isNaN(time) ? 'null' : `"${dateIso(obj)}"`);
      return;
    }
    this.ancestors.push(obj);
    try {
      if (obj instanceof Error) this.error(obj, depth, paths);
      else if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') this.toJson(obj, depth, paths);
      else if (Array.isArray(obj)) this.array(obj, depth, paths);
      else if (obj instanceof Map) this.map(obj, depth, paths);
      else if (obj instanceof Set) this.set(obj, depth, paths);
      else this.plain(obj, depth, paths);
    } finally {
      this.ancestors.pop();
    }
  }

  private toJson(obj: object, depth: number, paths: PathNode[] | undefined): void {
    let result: unknown;
    try {
      result = (obj as { toJSON: () => unknown }).toJSON();
    } catch (err) {
      this.string(`[toJSON threw: ${messageOf(err)}]`);
      return;
    }
    if (result === obj) this.plain(obj, depth, paths);
    else this.value(result, depth + 1, paths);
  }

  private array(items: readonly unknown[], depth: number, paths: PathNode[] | undefined): void {
    this.push('[');
    const count = items.length;
    for (let i = 0; i < count && !this.stopped; i++) {
      if (i > 0) this.push(',');
      const next = paths && stepPaths(paths, String(i));
      if (next?.some((n) => n.terminal)) this.string(this.redactor.censor);
      else this.value(readProperty(items, String(i)), depth + 1, next);
    }
    this.push(']');
  }

  /**
   * A Set as an array, iterated lazily: the walk stops when the budget is spent, so a Set of a
   * million members costs no more than the members that fit (`[...set]` would copy all of them first).
   */
  private set(items: Set<unknown>, depth: number, paths: PathNode[] | undefined): void {
    this.push('[');
    let index = 0;
    for (const item of items) {
      if (this.stopped) break;
      if (index > 0) this.push(',');
      const next = paths && stepPaths(paths, String(index));
      if (next?.some((n) => n.terminal)) this.string(this.redactor.censor);
      else this.value(item, depth + 1, next);
      index++;
    }
    this.push(']');
  }

  /**
   * An object's own enumerable keys, read one by one (a throwing getter or Proxy trap is a marker).
   * `Object.keys` lists every key of a wide object before the first is written; measured, a `for…in`
   * that stops at the budget costs the same in V8 (it collects the keys first too).
   */
  private plain(obj: object, depth: number, paths: PathNode[] | undefined): void {
    let keys: string[];
    try {
      keys = Object.keys(obj);
    } catch (err) {
      this.push('{');
      this.member(new Members(false), '[keys]', `[Threw: ${messageOf(err)}]`, depth, paths);
      this.push('}');
      return;
    }
    this.push('{');
    const members = new Members(false);
    for (let index = 0; index < keys.length && !this.stopped && !this.spent(); index++) {
      const key = keys[index] as string;
      // Read only a key that is wanted (not redacted, budget left), so an unwanted getter never runs.
      this.member(members, key, this.isRedacted(key, paths) ? REDACTED : readProperty(obj, key), depth, paths);
    }
    this.push('}');
  }

  /**
   * A Map as an object, iterated lazily (the walk stops when the budget is spent). A key that is not
   * a string is written as its own bounded, redacted encoding (a Map keyed by objects or tokens).
   */
  private map(map: Map<unknown, unknown>, depth: number, paths: PathNode[] | undefined): void {
    this.push('{');
    // A key that is not a string is written as text, which may equal another key's.
    const members = new Members(true);
    for (const [rawKey, value] of map) {
      if (this.stopped || this.spent()) break;
      const key = typeof rawKey === 'string' ? rawKey : this.keyOf(rawKey);
      this.member(members, key, this.isRedacted(key, paths) ? REDACTED : value, depth, paths);
    }
    this.push('}');
  }

  /**
   * Counts one Map or object member visited; true (and the walk stops, truncated) past a quarter of
   * the budget: a member that is written takes at least 4 characters (`"k":0`), so this never stops
   * a walk the output budget would have let go on.
   */
  private spent(): boolean {
    if (++this.visited * MIN_MEMBER_CHARS <= this.maxChars) return false;
    this.stopped = true;
    this.truncated = true;
    return true;
  }

  /** The string form of a Map key that is not a string, bounded like any value. */
  private keyOf(key: unknown): string {
    if (typeof key !== 'object' || key === null) return stringOf(key);
    const walk = new Walk(this.redactor, MAX_MAP_KEY_CHARS);
    walk.value(key, MAX_DEPTH - 2, undefined);
    return walk.finish().text;
  }

  private isRedacted(key: string, paths: PathNode[] | undefined): boolean {
    if (this.redactor.isSensitiveKey(key)) return true;
    const next = paths && stepPaths(paths, key);
    return next?.some((n) => n.terminal) === true;
  }

  /**
   * Writes `"key":value` (the censor for `REDACTED`) after a comma unless it is the object's first
   * member; a value with no JSON form is left out, like JSON.stringify does. The key is redacted like
   * any text (a Map keyed by tokens) and cut to the budget left; a name already written in this object
   * (two token keys both `[REDACTED]`, a Map's `1` and `'1'`) gets a number, so no key is written twice.
   */
  private member(members: Members, key: string, value: unknown, depth: number, paths: PathNode[] | undefined): void {
    if (value !== REDACTED && (value === undefined || typeof value === 'function' || typeof value === 'symbol')) return;
    const room = Math.max(this.maxChars - this.length, 0);
    const written = key.length < MIN_CREDENTIAL_KEY_CHARS ? key : redactAndCut(this.redactor, key, room);
    const first = members.count === 0;
    const name = members.take(written, written !== key);
    this.push(first ? JSON.stringify(name) + ':' : ',' + JSON.stringify(name) + ':');
    if (name.length < key.length && name.length >= room) {
      this.stopped = true;
      return;
    }
    if (value === REDACTED || (typeof value === 'string' && this.redactor.isCredentialUnder(key, value))) this.string(this.redactor.censor);
    else this.value(value, depth + 1, paths && stepPaths(paths, key));
  }

  private error(err: Error, depth: number, paths: PathNode[] | undefined): void {
    const described = describeError(err);
    const fields: [string, string | undefined][] = [
      ['type', described.errorType],
      ['message', described.errorMessage],
      ['code', described.errorCode],
      ['stack', described.errorStack],
    ];
    this.push('{');
    const members = new Members(false);
    for (const [key, value] of fields) {
      if (this.stopped) break;
      this.member(members, key, this.isRedacted(key, paths) ? REDACTED : value, depth, paths);
    }
    this.push('}');
  }
}

/** Thrown inside `plainCopy` when the value is not plain JSON data that JSON.stringify writes as the walk does. */
const NOT_PLAIN: unique symbol = Symbol('not plain');

/** One `plainCopy` pass. */
interface PlainCheck {
  readonly redactor: Redactor;
  /** Object members and array items it may still visit (the walk's budget, counted more strictly). */
  members: number;
  /**
   * Characters redaction took out of strings: the walk compares a string's length before redaction
   * with the budget left, so the text must fit with these added back for the walk not to cut it.
   */
  shrink: number;
}

/**
 * The JSON text of `value` when it is plain JSON data that fits in `maxChars`: objects whose
 * prototype is Object's (or null) and arrays, down to `MAX_DEPTH`, holding strings, numbers,
 * booleans, null and Dates; no key that a token is in. The value is copied as it is read, with what
 * the walk redacts redacted (a sensitive key censored, a string with a token in it), and
 * JSON.stringify writes the copy: exactly the walk's text for the same value (a property test
 * compares the two). `undefined` for anything else, which the walk writes. Never throws.
 */
function plainJson(redactor: Redactor, value: object, maxChars: number): string | undefined {
  const check: PlainCheck = { redactor, members: Math.floor(maxChars / MIN_MEMBER_CHARS), shrink: 0 };
  try {
    const text = JSON.stringify(plainCopy(check, value, 0));
    return text.length + check.shrink <= maxChars ? text : undefined;
  } catch {
    // NOT_PLAIN, or what a Proxy or getter threw: the walk writes its marker.
    return undefined;
  }
}

/** A string as the walk writes it when the budget does not cut it. */
function plainString(check: PlainCheck, value: string): string {
  const written = check.redactor.redactString(value);
  if (written.length < value.length) check.shrink += value.length - written.length;
  return written;
}

/**
 * A copy of `value` made of what this pass read, each property once, and redacted as the walk
 * redacts it; throws `NOT_PLAIN` for anything that is not plain JSON data. JSON.stringify then reads
 * only the copy: no getter, Proxy trap, `toJSON` or `valueOf` of the app's objects runs a second
 * time, so nothing can answer the check one way and the writer another.
 */
function plainCopy(check: PlainCheck, value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
      return plainString(check, value);
    case 'number':
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      // BigInt (the walk writes it as a string) and, as a top-level value, the rest.
      throw NOT_PLAIN;
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) throw NOT_PLAIN;
  const proto: unknown = Object.getPrototypeOf(value);
  if (Array.isArray(value)) {
    const items = value as unknown[] & { toJSON?: unknown };
    if (proto !== Array.prototype || typeof items.toJSON === 'function') throw NOT_PLAIN;
    const length = items.length;
    if (length > check.members) throw NOT_PLAIN;
    check.members -= length;
    const copy: unknown[] = [];
    for (let i = 0; i < length; i++) {
      const item = items[i];
      // The walk writes `null` for an item without a JSON form, and never calls its `toJSON`.
      copy.push(item === undefined || typeof item === 'function' || typeof item === 'symbol' ? null : plainCopy(check, item, depth + 1));
    }
    return copy;
  }
  if (proto === Date.prototype) {
    // What the walk writes for a Date: Date's own methods, whatever the object's say.
    const time = dateTime(value as Date);
    return Number.isNaN(time) ? null : dateIso(value as Date);
  }
  if ((proto !== Object.prototype && proto !== null) || ArrayBuffer.isView(value)) throw NOT_PLAIN;
  const obj = value as Record<string, unknown>;
  if (typeof obj.toJSON === 'function') throw NOT_PLAIN;
  const { redactor } = check;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) {
    if (--check.members < 0) throw NOT_PLAIN;
    // Assigning `__proto__` would set the copy's prototype; a key with a token in it is written
    // otherwise by the walk: the walk writes those objects.
    if (key === '__proto__' || (key.length >= MIN_CREDENTIAL_KEY_CHARS && redactor.redactString(key) !== key)) throw NOT_PLAIN;
    // A sensitive key's value is never read (its getter never runs), as in the walk.
    if (redactor.isSensitiveKey(key)) {
      copy[key] = plainString(check, redactor.censor);
      continue;
    }
    const item = obj[key];
    // Left out, as the walk leaves it out (a function's `toJSON` is never called).
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    copy[key] = typeof item === 'string' && redactor.isCredentialUnder(key, item) ? plainString(check, redactor.censor) : plainCopy(check, item, depth + 1);
  }
  return copy;
}

/**
 * The names written so far in one object being walked (its first member is written without a
 * comma). An object's own keys are distinct, so while none was changed (a key holding a token is
 * redacted, a long one cut) they are only listed; the first changed name, or a Map (whose keys that
 * are not strings are written as text), brings the set that numbers a name already written: no
 * key is ever written twice, and the common object pays no hashing per member.
 */
class Members {
  private readonly written: string[] = [];
  private names: Set<string> | undefined;

  constructor(namesMayRepeat: boolean) {
    if (namesMayRepeat) this.names = new Set();
  }

  get count(): number {
    return this.written.length;
  }

  /** The name to write for `name` (numbered when it was written already); `changed`: not the key itself. */
  take(name: string, changed: boolean): string {
    if (changed && this.names === undefined) this.names = new Set(this.written);
    let taken = name;
    if (this.names !== undefined) {
      if (this.names.has(taken)) {
        let n = 2;
        while (this.names.has(`${name} (${n})`)) n++;
        taken = `${name} (${n})`;
      }
      this.names.add(taken);
    }
    this.written.push(taken);
    return taken;
  }
}

/** Error fields of a record, all strings. */
export interface ErrorFields {
  /** The error's `name` (`TypeError`), or the type of a thrown non-error (`string`, `object`). */
  errorType: string;
  /** The error's `message`, or the thrown value itself as text. */
  errorMessage: string;
  /** `err.code` as a string, when it is a string or a number (`ECONNRESET`, `404`). */
  errorCode?: string;
  /** The stack, with `[cause]` and AggregateError `[errors]` members appended the way Node prints them. */
  errorStack?: string;
}

/** Characters of a thrown object that is not an Error, as `describeError` writes it by default. */
const THROWN_OBJECT_CHARS = 4096;
let defaultEncoder: ValueEncoder | undefined;

/** A thrown value that is not an Error, bounded and redacted by key with loglane's default rules. */
function thrownValueText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return stringOf(value);
  defaultEncoder ??= new ValueEncoder(new Redactor());
  return defaultEncoder.encode(value, THROWN_OBJECT_CHARS).text;
}

/**
 * Describes a thrown value as record fields. The stack is one string (newlines are escaped in
 * the JSON line, so it stays one line); `cause` chains and AggregateError members are appended
 * the way Node prints them. Never throws, whatever the value's getters do.
 *
 * @param describeValue writes a thrown value that is not an Error (`throw { status, body }`, a
 *   non-Error `cause`): a logger passes its own bounded, redacting encoder.
 * @default describeValue: JSON of at most 4096 characters, redacted with the default rules
 */
export function describeError(thrown: unknown, describeValue: (value: unknown) => string = thrownValueText): ErrorFields {
  if (!isError(thrown) && !looksLikeError(thrown)) {
    return { errorType: thrown === null ? 'null' : typeof thrown, errorMessage: describeValue(thrown) };
  }
  const err = thrown as Error & { code?: unknown };
  const fields: ErrorFields = {
    errorType: stringOf(safeRead(() => err.name) ?? safeRead(() => err.constructor.name) ?? 'Error'),
    errorMessage: stringOf(safeRead(() => err.message) ?? ''),
  };
  const code = safeRead(() => err.code);
  if (typeof code === 'string' || typeof code === 'number') fields.errorCode = String(code);
  const stack = stackWithCauses(err, 0, new Set(), describeValue);
  if (stack !== undefined) fields.errorStack = stack;
  return fields;
}

/** `value instanceof Error`, false when a Proxy's `getPrototypeOf` trap throws. */
export function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

function looksLikeError(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { message?: unknown; stack?: unknown };
  return typeof safeRead(() => v.message) === 'string' && typeof safeRead(() => v.stack) === 'string';
}

function stackWithCauses(err: unknown, depth: number, seen: Set<unknown>, describeValue: (value: unknown) => string): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  if (seen.has(err)) return '[Circular]';
  seen.add(err);
  const e = err as { stack?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  const rawStack = safeRead(() => e.stack);
  let text = typeof rawStack === 'string' ? rawStack : undefined;
  if (depth < MAX_CAUSE_DEPTH) {
    const errors = safeRead(() => e.errors);
    const members = safeRead(() => (Array.isArray(errors) ? (errors.slice(0, 10) as unknown[]) : undefined));
    if (members) {
      for (const member of members) {
        const memberStack = stackWithCauses(member, depth + 1, seen, describeValue) ?? describeValue(member);
        text = `${text ?? ''}\n  [errors]: ${memberStack}`;
      }
    }
    const cause = safeRead(() => e.cause);
    if (cause !== undefined) {
      const causeText = stackWithCauses(cause, depth + 1, seen, describeValue) ?? describeValue(cause);
      text = `${text ?? ''}\n  [cause]: ${causeText}`;
    }
  }
  return text;
}

const intrinsicGetTime = Date.prototype.getTime;
const intrinsicToIsoString = Date.prototype.toISOString;
const dateTime = (date: Date): number => intrinsicGetTime.call(date);
const dateIso = (date: Date): string => intrinsicToIsoString.call(date);

function safeRead<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** String form of anything, never throwing. */
export function stringOf(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    if (typeof value === 'object' && value !== null) {
      const json = JSON.stringify(value);
      if (typeof json === 'string') return json;
    }
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return '[unprintable]';
    }
  }
}
