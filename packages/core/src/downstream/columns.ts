// The columns of a log table: the record contract's fields plus the app's own metadata fields, each
// with one store-neutral type. Every table definition `loglane schema` prints is made from this list.

import { CONTRACT_FIELDS, LIBRARY_FIELDS, TIME_FIELD } from '../schema.js';
import type { FieldType } from '../schema.js';

/**
 * Store-neutral type of a column: `json` holds JSON text (a string column), `timestamp` an
 * ISO-8601 UTC time written as a string, `double` any JSON number.
 */
export type ColumnType = 'string' | 'integer' | 'double' | 'boolean' | 'timestamp' | 'json';

/** The types `--field name:type` accepts for an app's own field. */
export const APP_FIELD_TYPES = ['string', 'integer', 'double', 'boolean', 'timestamp', 'json'] as const satisfies readonly ColumnType[];

/** One column of a log table. */
export interface Column {
  /** The JSON key in the line (`globalTraceId`). */
  readonly key: string;
  /**
   * The column name in Hive-style catalogs (Glue, Athena): lower case, `[a-z0-9_]` only. Glue stores
   * column names in lower case, so `globalTraceId` is the column `globaltraceid`.
   */
  readonly column: string;
  readonly type: ColumnType;
  /** A value that can be long (the line cap may cut it): bodies, stacks, URLs, user agents, messages. */
  readonly long: boolean;
  /** A field of the record contract (`false` for the app's own metadata fields). */
  readonly library: boolean;
}

/** An app metadata field given by hand (`--field orderId:string`) or inferred from sample lines. */
export interface AppField {
  readonly key: string;
  readonly type: ColumnType;
}

const TYPE_OF_CONTRACT: Readonly<Record<FieldType, ColumnType>> = {
  string: 'string',
  integer: 'integer',
  boolean: 'boolean',
  json: 'json',
};

/** Lower case with every character Hive does not allow in a column name replaced by `_`. */
export function columnNameOf(key: string): string {
  const name = key.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/**
 * The table's columns: every contract field in line order, then `extra` (the app's own fields) in
 * the order given. Throws when an extra field is a library field, is given twice, or would land in
 * the same catalog column as another field (`orderId` and `OrderID`, `order-id` and `order_id`).
 */
export function recordColumns(extra: readonly AppField[] = []): Column[] {
  const columns: Column[] = CONTRACT_FIELDS.map((f) => ({
    key: f.name,
    column: columnNameOf(f.name),
    type: f.name === TIME_FIELD ? 'timestamp' : TYPE_OF_CONTRACT[f.type],
    long: f.cut !== undefined,
    library: true,
  }));
  const byColumn = new Map(columns.map((c) => [c.column, c.key]));
  for (const field of extra) {
    if (LIBRARY_FIELDS.has(field.key)) {
      throw new Error(`"${field.key}" is a library field; an app's metadata key of that name is written as "meta_${field.key}"`);
    }
    if (!(APP_FIELD_TYPES as readonly string[]).includes(field.type)) {
      throw new Error(`field "${field.key}": unknown type "${field.type}" (one of ${APP_FIELD_TYPES.join(', ')})`);
    }
    const column = columnNameOf(field.key);
    const taken = byColumn.get(column);
    if (taken !== undefined) {
      throw new Error(
        taken === field.key
          ? `field "${field.key}" is given twice`
          : `fields "${taken}" and "${field.key}" would both be the column "${column}" (catalogs lower-case column names); rename one in the app`,
      );
    }
    byColumn.set(column, field.key);
    columns.push({ key: field.key, column, type: field.type, long: false, library: false });
  }
  return columns;
}

/**
 * Parses `name:type` (the `--field` option). The type is one of `APP_FIELD_TYPES`; `long` and
 * `bigint` are accepted for `integer`, `number` and `float` for `double`.
 */
export function parseFieldOption(text: string): AppField {
  const at = text.lastIndexOf(':');
  if (at <= 0 || at === text.length - 1) throw new Error(`--field "${text}": expected name:type, e.g. orderId:string`);
  const key = text.slice(0, at);
  const given = text.slice(at + 1).toLowerCase();
  const aliases: Readonly<Record<string, ColumnType>> = { long: 'integer', bigint: 'integer', int: 'integer', number: 'double', float: 'double', bool: 'boolean' };
  const type = aliases[given] ?? given;
  if (!(APP_FIELD_TYPES as readonly string[]).includes(type)) {
    throw new Error(`--field "${text}": unknown type "${given}" (one of ${APP_FIELD_TYPES.join(', ')})`);
  }
  return { key, type: type as ColumnType };
}

/** JSON type of a metadata value as the linter and the inference see it. */
export type ValueKind = 'string' | 'integer' | 'fraction' | 'boolean' | 'null' | 'object' | 'array';

/** The kind of a parsed JSON value; integer and fraction are told apart (`3` vs `3.5`). */
export function valueKind(value: unknown): ValueKind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'fraction';
  if (typeof value === 'string' || typeof value === 'boolean') return typeof value as 'string' | 'boolean';
  return 'object';
}

/**
 * Collects the app's own fields from sample lines, for `loglane schema --from`. Feed it every line,
 * then call `fields()`; it keeps one entry per key, so a day of lines does not have to fit in memory.
 */
export class FieldInference {
  private readonly seen = new Map<string, Map<ValueKind, number>>();
  private lineNumber = 0;

  /** Adds one line; lines that are not a JSON object are skipped (`loglane check` reports them). */
  add(line: string): void {
    this.lineNumber++;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return;
    for (const [key, value] of Object.entries(record)) {
      if (LIBRARY_FIELDS.has(key)) continue;
      const kind = valueKind(value);
      let kinds = this.seen.get(key);
      if (!kinds) this.seen.set(key, (kinds = new Map()));
      if (!kinds.has(kind)) kinds.set(kind, this.lineNumber);
    }
  }

  /**
   * The inferred fields, in the order first seen, leaving out the keys in `declared` (given with
   * `--field`, which wins). A field seen only as `null` is a string; a number is a double, whole or
   * not (a sample of whole numbers does not prove the next one is whole; `--field n:integer` says so).
   * Throws, naming the field and the lines, when a field has two types (a string and a number, a
   * number and a boolean, nested objects from `nestedMeta: true`).
   */
  fields(declared: ReadonlySet<string> = new Set()): AppField[] {
    const fields: AppField[] = [];
    const conflicts: string[] = [];
    for (const [key, kinds] of this.seen) {
      if (declared.has(key)) continue;
      const present = [...kinds.entries()].filter(([kind]) => kind !== 'null');
      const names = new Set(present.map(([kind]) => (kind === 'fraction' ? 'integer' : kind)));
      if (names.size > 1 || names.has('object') || names.has('array')) {
        conflicts.push(`"${key}" is ${present.map(([kind, line]) => `${kind} (first on line ${line})`).join(' and ')}`);
        continue;
      }
      const type: ColumnType = names.has('integer') ? 'double' : names.has('boolean') ? 'boolean' : 'string';
      fields.push({ key, type });
    }
    if (conflicts.length > 0) {
      throw new Error(
        `the sample has fields without one type, so no column type fits them: ${conflicts.join('; ')}. ` +
          'Keep one type per metadata key in the app (objects are written as JSON text unless nestedMeta is on), or declare the column with --field name:type.',
      );
    }
    return fields;
  }
}
