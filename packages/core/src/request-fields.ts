// Request-scoped fields: app fields (`tenantId`, `plan`, a feature flag) set once inside a trace
// context and written on every later record of it. They live on the context (context.ts), keep one
// JSON type each, never take a library field's name, and are redacted like metadata.

import { isLibraryName } from './meta-names.js';
import { META_PREFIX } from './schema.js';

/** A value a request field may hold: scalars only, so that each field is one column downstream. */
export type RequestFieldValue = string | number | boolean;

/** What `setFields` takes: field name → value; `undefined` removes the field. */
export type RequestFieldInput = Readonly<Record<string, RequestFieldValue | null | undefined>>;

/**
 * The JSON type a field keeps: the kinds `loglane check` tells apart (an integer column takes no
 * `3.5`), so a field that passes here passes the linter.
 */
export type RequestFieldKind = 'string' | 'integer' | 'fraction' | 'boolean';

/** At most this many fields per context; more are refused (and reported). */
export const MAX_REQUEST_FIELDS = 32;
/** Longest field name; a longer one is refused (and reported). */
export const MAX_FIELD_NAME_CHARS = 64;
/** A string value is cut to this many characters (with the `…[truncated]` marker). */
export const MAX_FIELD_VALUE_CHARS = 256;

/** One field of a context. */
export interface RequestField {
  /** The key the app used. */
  readonly key: string;
  /** The name it is written under: the key, or `meta_<key>` when that would collide (see `RequestFields.set`). */
  readonly name: string;
  readonly kind: RequestFieldKind;
  value: RequestFieldValue;
}

/** What an encoder made of a field set: its JSON text (`,"a":1,"b":"x"`), for one version of the set. */
export interface EncodedFields {
  readonly owner: object;
  readonly version: number;
  readonly json: string;
  /** Lower-cased names written, so that metadata keys of a record are renamed around them. */
  readonly lowerNames: readonly string[];
  /** A value was cut at `MAX_FIELD_VALUE_CHARS`: the records say `truncated`. */
  readonly truncated: boolean;
}

/** The kind of a value, or `undefined` for a value a field cannot hold. */
export function requestFieldKind(value: unknown): RequestFieldKind | undefined {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      if (!Number.isFinite(value)) return undefined;
      return Number.isInteger(value) ? 'integer' : 'fraction';
    default:
      return undefined;
  }
}

/**
 * The fields of one trace context. Changed by `set`; read by the encoder, which caches their JSON
 * text per `version`, so a record of a request whose fields did not change costs one string append.
 */
export class RequestFields {
  /** By key, in the order they were first set. */
  private readonly byKey = new Map<string, RequestField>();
  /** Bumped by every change. */
  version = 0;
  /** The encoder's text of this version (see `EncodedFields`). */
  encoded: EncodedFields | undefined;
  /** Problems not yet written (the next record of the context writes them as `warn` records). */
  problems: string[] | undefined;
  /** Keys already reported, so that a loop setting a bad value writes one warning, not thousands. */
  private reported: Set<string> | undefined;

  /** The fields, in the order they were first set. */
  fields(): IterableIterator<RequestField> {
    return this.byKey.values();
  }

  /** Number of fields. */
  get size(): number {
    return this.byKey.size;
  }

  /** A copy (a child context starts from its parent's fields; changes to either stay their own). */
  copy(): RequestFields {
    const copy = new RequestFields();
    for (const field of this.byKey.values()) copy.byKey.set(field.key, { ...field });
    return copy;
  }

  /**
   * Sets fields. A field keeps the type of its first value: a later value of another type is
   * dropped (the first stays) and reported. A name equal, ignoring case, to a library field or to
   * another field is written as `meta_<name>` (the metadata rule of docs/record-schema.md); `null`
   * or `undefined` removes a field; objects, arrays, `NaN` and the like are refused and reported.
   */
  set(input: RequestFieldInput): void {
    let keys: string[];
    try {
      keys = Object.keys(input);
    } catch {
      this.report('*', 'request fields could not be read (Object.keys threw); none set');
      return;
    }
    for (const key of keys) {
      let value: unknown;
      try {
        value = input[key];
      } catch {
        this.report(key, `request field "${cut(key)}" could not be read (its getter threw); not set`);
        continue;
      }
      this.setOne(key, value);
    }
  }

  private setOne(key: string, value: unknown): void {
    const existing = this.byKey.get(key);
    if (value === undefined || value === null) {
      if (existing) {
        this.byKey.delete(key);
        this.version++;
      }
      return;
    }
    const kind = requestFieldKind(value);
    if (kind === undefined) {
      this.report(key, `request field "${cut(key)}" is ${describe(value)}; a request field holds a string, a finite number or a boolean. Not set`);
      return;
    }
    const scalar = value as RequestFieldValue;
    if (existing) {
      if (existing.kind !== kind) {
        this.report(key, `request field "${existing.name}" is ${withArticle(existing.kind)} in this request; ${withArticle(kind)} value was dropped (a field keeps one type)`);
        return;
      }
      if (existing.value !== scalar) {
        existing.value = scalar;
        this.version++;
      }
      return;
    }
    if (key.length === 0 || key.length > MAX_FIELD_NAME_CHARS) {
      this.report(key, `request field name "${cut(key)}" is empty or longer than ${MAX_FIELD_NAME_CHARS} characters; not set`);
      return;
    }
    if (this.byKey.size >= MAX_REQUEST_FIELDS) {
      this.report(key, `request field "${key}" not set: a context holds at most ${MAX_REQUEST_FIELDS} fields`);
      return;
    }
    this.byKey.set(key, { key, name: this.nameFor(key), kind, value: scalar });
    this.version++;
  }

  /** The metadata naming rule (meta-names.ts): renamed while the name, lower-cased, is a library field or another field's. */
  private nameFor(key: string): string {
    let name = key;
    let lower = name.toLowerCase();
    while (isLibraryName(lower) || this.hasLowerName(lower)) {
      name = META_PREFIX + name;
      lower = name.toLowerCase();
    }
    return name;
  }

  private hasLowerName(lower: string): boolean {
    for (const field of this.byKey.values()) if (field.name.toLowerCase() === lower) return true;
    return false;
  }

  /** Queues a problem for the next record of the context to report, once per key. */
  report(key: string, message: string): void {
    this.reported ??= new Set();
    if (this.reported.has(key)) return;
    this.reported.add(key);
    (this.problems ??= []).push(message);
  }

  /** Takes the problems not yet written. */
  takeProblems(): string[] | undefined {
    const problems = this.problems;
    this.problems = undefined;
    return problems;
  }
}

/** `a string`, `an integer`. */
export function withArticle(kind: RequestFieldKind): string {
  return kind === 'integer' ? `an ${kind}` : `a ${kind}`;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function cut(key: string): string {
  return key.length > MAX_FIELD_NAME_CHARS ? `${key.slice(0, MAX_FIELD_NAME_CHARS)}…` : key;
}
