// The names metadata keys are written under. A key never takes a library field's name, and no two
// keys of one line are equal once lower-cased: Glue and the OpenX JSON SerDe lower-case keys, so
// `orderId` and `OrderId` would land in one column, and `TraceId` in the library's `traceid`.

import { LIBRARY_FIELDS, META_PREFIX } from './schema.js';

/** Library field names, lower-cased: a metadata key equal to one of them ignoring case is renamed. */
const LIBRARY_NAMES = new Set([...LIBRARY_FIELDS.keys()].map((name) => name.toLowerCase()));

/** Whether a metadata key must be renamed on every line: it equals a library field, ignoring case. */
export function isLibraryName(lowerCaseKey: string): boolean {
  return LIBRARY_NAMES.has(lowerCaseKey);
}

/** Up to this many names a list is searched; past it, a Set (a record of 10 000 keys stays linear). */
const LIST_LIMIT = 16;

/**
 * The lower-cased metadata names already written on one line, in the order the keys are read.
 * The rule (docs/record-schema.md, "Key names"): the first key of a lower-cased name is written as it
 * is; a later key with the same lower-cased name, and any key equal to a library field ignoring case,
 * is renamed to `meta_<key>`, prefixed again while that name, lower-cased, is a library field, a name
 * already on the line, or another key of the metadata.
 */
export class LineNames {
  private readonly list: string[] = [];
  private set: Set<string> | undefined;
  /** Lower-cased keys of the metadata, worked out on the first rename. */
  private keysLower: Set<string> | undefined;

  /**
   * @param keys the metadata's keys, in the order they are written
   * @param readable how many of them can reach the line at most (the rest is never read)
   */
  constructor(
    private readonly keys: readonly string[],
    private readonly readable: number,
  ) {}

  /** Whether a lower-cased name is on the line already. */
  has(lower: string): boolean {
    return this.set ? this.set.has(lower) : this.list.includes(lower);
  }

  /** Records a lower-cased name as written. */
  add(lower: string): void {
    if (this.set) {
      this.set.add(lower);
      return;
    }
    this.list.push(lower);
    if (this.list.length > LIST_LIMIT) this.set = new Set(this.list);
  }

  /** The name `key` is written under when it may not be written as it is; recorded as written. */
  rename(key: string): string {
    if (this.keysLower === undefined) {
      this.keysLower = new Set();
      const end = Math.min(this.keys.length, this.readable);
      for (let i = 0; i < end; i++) this.keysLower.add((this.keys[i] as string).toLowerCase());
    }
    let name = META_PREFIX + key;
    let lower = name.toLowerCase();
    while (LIBRARY_NAMES.has(lower) || this.has(lower) || this.keysLower.has(lower)) {
      name = META_PREFIX + name;
      lower = name.toLowerCase();
    }
    this.add(lower);
    return name;
  }
}
