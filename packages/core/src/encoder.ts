// RecordEncoder: turns a record draft into exactly one line of JSON that keeps the contract of
// schema.ts — one type per field, library fields first and protected, secrets redacted, separators
// escaped. Every value is redacted and encoded once; the line cap (line-cap.ts) only re-cuts that.

import { detectOtel, otelIdsJson, otelRegistry } from './otel.js';
import type { TraceContext } from './context.js';
import { getTraceContext, userIdOf } from './context.js';
import { type EncodedIds, exchangeOfContext } from './exchange.js';
import { isoNow } from './clock.js';
import { type EncodedLine, type LineCapBudget, NO_LIMIT, escapeSeparators, fitLine, fits, mayCut } from './line-cap.js';
import { LineNames, isLibraryName } from './meta-names.js';
import { HttpRecordFields, type JsonText, type LogMeta, type PreparedDraft, type RecordDraft, isJsonText, prepareDraft } from './record-draft.js';
import { MIN_CREDENTIAL_KEY_CHARS, type PathNode, type Redactor, stepPaths } from './redact.js';
import { type EncodedFields, MAX_FIELD_VALUE_CHARS, type RequestFieldKind, type RequestFields, withArticle } from './request-fields.js';
import { DETAIL_FIELDS, type FieldSpec, isLogLevel } from './schema.js';
import { CUT_MARKER, type EncodedValue, ValueEncoder, cutString, messageOf, redactAndCut, stringOf } from './serialize.js';

/** Options the encoder is compiled from. */
export interface EncoderOptions {
  label: string;
  version?: string;
  redactor: Redactor;
  maxLineBytes: number;
  /** Byte budget of a record below the line cap: only bodies are cut to meet it (see `fitLine`). Default: `maxLineBytes`. */
  maxRecordBytes?: number;
  maxBodyBytes: number;
  nestedMeta: boolean;
}

const CONTEXT_CACHE_LIMIT = 512;
const META_KEY_CACHE_LIMIT = 1024;
/** Request field names whose first type is remembered (names come from app code, but bound it anyway). */
const FIELD_KIND_LIMIT = 1024;
/** Rank of the message field in the cut order (schema.ts). */
const MESSAGE_RANK = 6;
/** Every metadata entry is at least this long on the line (`,"k":0`): keys past cap/6 are never written. */
const MIN_META_ENTRY_CHARS = 6;

/**
 * Library string fields whose values repeat from record to record (a route, a handler, a user
 * agent): their encoded text is kept by value, so a repeated value is redacted and escaped once.
 * Not `ip` or `originalUrl`, whose values mostly differ: a cache that keeps missing costs more
 * than it saves, and each entry it takes outlives its request.
 */
const REPEATING_FIELDS: ReadonlySet<string> = new Set(['method', 'route', 'handler', 'userAgent', 'errorType', 'errorCode']);
/** Values kept per repeating field (the cache is emptied when full; values come from clients). */
const REPEATING_CACHE_LIMIT = 512;
/** Values longer than this are not kept. */
const REPEATING_MAX_CHARS = 256;
/** `,"name":` of each detail field, in `DETAIL_FIELDS` order. */
const DETAIL_HEADS: readonly string[] = DETAIL_FIELDS.map((spec) => `,"${spec.name}":`);
/** Each detail field's index in `DETAIL_FIELDS`, by name. */
const DETAIL_INDEX: ReadonlyMap<string, number> = new Map(DETAIL_FIELDS.map((spec, index) => [spec.name, index]));

/**
 * What the one pass (`uncutLine`) read and encoded before it found a value to cut or a line over
 * the budget: the id fields, and the body it stopped at, so that the general way reads and encodes
 * neither again (an app's `userId` function, a body's `toJSON` and getters run once per record).
 */
interface FirstPass {
  readonly ids: string;
  /** The bodies it encoded, by `DETAIL_FIELDS` index. */
  readonly bodies: (EncodedValue | undefined)[] | undefined;
}

/** A repeating field's value as written: `,"name":"…"` and its redacted text. */
interface EncodedText {
  readonly json: string;
  /** Characters of `json` before the value: the field's head. */
  readonly headChars: number;
  readonly text: string;
  /** The line cap may cut it (see `mayCut`). */
  readonly cuttable: boolean;
}

/** What the encoder knows of a metadata key, worked out once per key. */
interface MetaKey {
  /** The name written: the key, or its redacted form when the key itself holds a credential (`?<jwt>=1`). */
  readonly name: string;
  /** `,"name":` */
  readonly head: string;
  /** `name`, lower-cased. */
  readonly lower: string;
  /** Equal to a library field ignoring case: always renamed. */
  readonly library: boolean;
  /** Redacted by name. */
  readonly sensitive: boolean;
  /** Shared by the cached keys of one lower-cased name; absent for keys past the cache's bound. */
  readonly slot: NameSlot | undefined;
}

/** Which record last wrote a lower-cased metadata name (keys equal once lower-cased share one). */
interface NameSlot {
  stamp: number;
}

/** Compiled once per logger; `encode` is the per-record hot path. */
export class RecordEncoder {
  private readonly values: ValueEncoder;
  private readonly redactor: Redactor;
  private readonly staticPart: string;
  private readonly maxLineBytes: number;
  /** Repeating field values up to this long are cached: never longer than a line (`field` would cut them). */
  private readonly repeatingMaxChars: number;
  /** Characters of a message the base budget keeps. */
  private readonly messageLimit: number;
  private readonly maxRecordBytes: number;
  private readonly baseBudget: LineCapBudget;
  private readonly nestedMeta: boolean;
  private readonly label: string;
  private readonly version: string | undefined;
  private readonly contextJson = new Map<string, string>();
  private readonly metaKeys = new Map<string, MetaKey>();
  private readonly censorJson: string;
  /** Lower-cased metadata names of the cached keys; as bounded as the key cache. */
  private readonly nameSlots = new Map<string, NameSlot>();
  /** Numbers the records written, for `NameSlot.stamp`. */
  private metaStamp = 0;
  /** A record's metadata is being written (a getter that logs makes a nested record). */
  private writingMeta = false;
  /**
   * The type each request field was first written with, by lower-cased name: a field keeps it
   * across requests too, since a store's column takes the first type it sees.
   */
  private readonly fieldKinds = new Map<string, RequestFieldKind>();
  /** Request fields whose second type has been reported (once per name, not once per request). */
  private readonly reportedFieldKinds = new Set<string>();
  /** Encoded values of the repeating fields, by `DETAIL_FIELDS` index (`undefined` for other fields). */
  private readonly repeating: (Map<string, EncodedText> | undefined)[] = DETAIL_FIELDS.map((spec) =>
    REPEATING_FIELDS.has(spec.name) ? new Map<string, EncodedText>() : undefined,
  );

  constructor(options: EncoderOptions) {
    detectOtel(); // An SDK started before the logger is made stamps records outside any trace context too.
    this.redactor = options.redactor;
    this.values = new ValueEncoder(options.redactor);
    this.maxLineBytes = options.maxLineBytes;
    this.repeatingMaxChars = Math.min(REPEATING_MAX_CHARS, options.maxLineBytes);
    this.maxRecordBytes = Math.min(options.maxLineBytes, options.maxRecordBytes ?? options.maxLineBytes);
    this.nestedMeta = options.nestedMeta;
    this.label = options.label;
    this.version = options.version;
    this.censorJson = JSON.stringify(options.redactor.censor);
    this.staticPart =
      `,"label":${JSON.stringify(options.label)}` +
      (options.version === undefined ? '' : `,"version":${JSON.stringify(options.version)}`);
    // A value longer than the cap cannot be on the line whole: no value is encoded past it.
    const cap = options.maxLineBytes;
    this.baseBudget = { ranks: [options.maxBodyBytes, options.maxBodyBytes, cap, cap, cap, cap, cap], meta: cap };
    this.messageLimit = this.baseBudget.ranks[MESSAGE_RANK] ?? NO_LIMIT;
  }

  /** One JSON line (ending in `\n`) for the draft, stamped with the trace context. */
  encode(draft: RecordDraft, trace: TraceContext | undefined = getTraceContext()): string {
    const timestamp = isoNow();
    // An HTTP record (and an app line without metadata or error) is written in one pass that keeps
    // nothing for the line cap; one that the cap or a limit would cut is written again the general
    // way, which keeps what it needs to cut it, from what the first pass read and encoded.
    let firstPass: FirstPass | undefined;
    const fields = draft.fields instanceof HttpRecordFields ? draft.fields : undefined;
    if (draft.meta === undefined && draft.error === undefined && typeof draft.message === 'string' && (fields !== undefined || draft.fields === undefined)) {
      const line = this.uncutLine(draft, draft.message, fields, trace, timestamp);
      if (typeof line === 'string') return line;
      firstPass = line;
    }
    return this.generalLine(draft, trace, timestamp, firstPass);
  }

  /** The general way: every draft, and whatever the line cap has to cut. */
  private generalLine(draft: RecordDraft, trace: TraceContext | undefined, timestamp: string, firstPass?: FirstPass): string {
    const prepared = prepareDraft(draft, this.values, this.maxLineBytes);
    const encoded = this.build(draft, prepared, trace, timestamp, firstPass);
    return fitLine(encoded, this.maxLineBytes, this.redactor, this.label, this.version, this.maxRecordBytes);
  }

  /**
   * The line of a draft without metadata or error when nothing in it is cut and it fits the record
   * budget: the very line the general way writes then, built without the line cap's bookkeeping (a
   * test compares the two on random drafts). Otherwise what it read and encoded, for the general
   * way to write the line from without reading or encoding any of it again.
   */
  private uncutLine(draft: RecordDraft, message: string, fields: HttpRecordFields | undefined, trace: TraceContext | undefined, timestamp: string): string | FirstPass {
    const ids = this.idFields(trace, draft.context);
    let bodies: (EncodedValue | undefined)[] | undefined;
    if (message.length > this.messageLimit) return { ids, bodies };
    let body = this.opening(draft, timestamp) + JSON.stringify(this.redactor.redactString(message)) + ids;
    if (fields !== undefined) {
      // Data properties in the contract's order (the class declares them so): read once, in one pass.
      for (const name in fields) {
        const value = fields[name as keyof HttpRecordFields];
        if (value === undefined) continue;
        const index = DETAIL_INDEX.get(name);
        if (index === undefined) continue;
        const spec = DETAIL_FIELDS[index] as FieldSpec;
        if (spec.type === 'json' && !isJsonText(value)) {
          // A body is encoded once: when it is cut, the general way writes this encoding.
          const encoded = this.values.encodeBody(value, this.limitOf(spec));
          (bodies ??= [])[index] = encoded;
          if (encoded.truncated || encoded.text.endsWith(CUT_MARKER)) return { ids, bodies };
          body += (DETAIL_HEADS[index] as string) + JSON.stringify(encoded.text);
          continue;
        }
        const json = this.uncutField(index, spec, value);
        if (json === undefined) return { ids, bodies };
        body += json;
      }
    }
    const requestFields = trace?.fields;
    if (requestFields !== undefined && requestFields.size > 0) {
      const encoded = this.requestFieldsJson(requestFields);
      if (encoded.truncated) return { ids, bodies };
      body += encoded.json;
    }
    const line = escapeSeparators(`${body}}\n`);
    return fits(line, this.maxRecordBytes) ? line : { ids, bodies };
  }

  /**
   * A detail field that is not a body (bodies are encoded in `uncutLine`) as `field` and
   * `repeatingField` write it when nothing is cut; `undefined` when a limit would cut it.
   */
  private uncutField(index: number, spec: FieldSpec, value: unknown): string | undefined {
    const cache = this.repeatingCache(index, value);
    if (cache !== undefined) return this.repeatingText(spec, index, cache, value as string).json;
    const head = DETAIL_HEADS[index] as string;
    switch (spec.type) {
      case 'integer':
        return typeof value === 'number' && Number.isFinite(value) ? head + String(Math.trunc(value)) : '';
      case 'boolean':
        return typeof value === 'boolean' ? head + String(value) : '';
      case 'json': {
        // JSON text (a body that could not be parsed): as `field` writes it when it is not cut.
        const json = value as JsonText;
        if (json.cut) return undefined;
        const text = this.redactor.redactJsonText(json.text);
        return text.length > this.limitOf(spec) || text.endsWith(CUT_MARKER) ? undefined : head + JSON.stringify(text);
      }
      case 'string': {
        const raw = typeof value === 'string' ? value : stringOf(value);
        const text = spec.name === 'originalUrl' ? this.redactor.redactUrl(raw) : raw;
        return text.length > this.limitOf(spec) ? undefined : head + JSON.stringify(this.redactor.redactString(text));
      }
    }
  }

  /** The value cache of a repeating field, when this value is kept there (a string short enough). */
  private repeatingCache(index: number, value: unknown): Map<string, EncodedText> | undefined {
    const cache = this.repeating[index];
    return cache !== undefined && typeof value === 'string' && value.length <= this.repeatingMaxChars ? cache : undefined;
  }

  /** The characters a detail field keeps under the base budget. */
  private limitOf(spec: FieldSpec): number {
    return spec.cut === undefined ? this.maxLineBytes : (this.baseBudget.ranks[spec.cut] ?? NO_LIMIT);
  }

  /** `{"timestamp":…,"level":…,"context":…,"message":` */
  private opening(draft: RecordDraft, timestamp: string): string {
    return `{"timestamp":"${timestamp}","level":"${isLogLevel(draft.level) ? draft.level : 'info'}","context":${this.quoteContext(draft.context)},"message":`;
  }

  /** What follows the message: `label`, `version`, the trace ids (or OpenTelemetry's) and `userId`. */
  private idFields(trace: TraceContext | undefined, recordContext: string): string {
    let json = this.staticPart;
    // Under OpenTelemetry the active span gives globalTraceId and spanId (otel.ts); else one check.
    const otelIds = otelRegistry === undefined ? undefined : otelIdsJson(trace, recordContext);
    if (otelIds !== undefined) json += otelIds;
    if (trace) {
      if (otelIds === undefined) json += idsJsonOf(trace);
      const userId = userIdOf(trace);
      if (userId !== undefined) json += `,"userId":${JSON.stringify(userId)}`;
    }
    return json;
  }

  private build(draft: RecordDraft, prepared: PreparedDraft, trace: TraceContext | undefined, timestamp: string, firstPass?: FirstPass): EncodedLine {
    const line: EncodedLine = {
      body: this.opening(draft, timestamp),
      cuts: undefined,
      truncated: prepared.messageCut,
      timestamp,
      draft,
      fields: prepared.fields,
      trace,
      message: '',
      originalUrl: undefined,
    };
    this.text(line, prepared.message, this.messageLimit, MESSAGE_RANK, 'message');
    line.body += firstPass?.ids ?? this.idFields(trace, draft.context);
    const fields = prepared.fields;
    if (fields) {
      for (let index = 0; index < DETAIL_FIELDS.length; index++) {
        const spec = DETAIL_FIELDS[index] as (typeof DETAIL_FIELDS)[number];
        const value = fields[spec.name];
        if (value === undefined) continue;
        const cache = this.repeatingCache(index, value);
        if (cache !== undefined) this.repeatingField(line, spec, index, cache, value as string);
        else this.field(line, spec, DETAIL_HEADS[index] as string, value, firstPass?.bodies?.[index]);
      }
    }
    // The app's request fields (setFields): after the library fields, before the record's own metadata.
    const requestFields = trace?.fields;
    let fieldNames: readonly string[] | undefined;
    if (requestFields !== undefined && requestFields.size > 0) {
      const encoded = this.requestFieldsJson(requestFields);
      line.body += encoded.json;
      if (encoded.truncated) line.truncated = true;
      if (encoded.lowerNames.length > 0) fieldNames = encoded.lowerNames;
    }
    if (prepared.meta) this.meta(line, prepared.meta, prepared.skipMetaKey, this.baseBudget.meta, fieldNames);
    return line;
  }

  /**
   * The JSON text of a context's request fields, worked out once per change of the fields (cached on
   * them). Sensitive names are censored, token-shaped strings redacted, long strings cut; a field
   * whose type differs from the one this encoder first wrote for its name is left out and reported.
   */
  private requestFieldsJson(fields: RequestFields): EncodedFields {
    const known = fields.encoded;
    if (known !== undefined && known.owner === this && known.version === fields.version) return known;
    let json = '';
    let truncated = false;
    const lowerNames: string[] = [];
    const paths = this.redactor.paths ? [this.redactor.paths] : undefined;
    for (const field of fields.fields()) {
      const lower = field.name.toLowerCase();
      const censored = this.redactor.isSensitiveKey(field.key) || (paths !== undefined && stepPaths(paths, field.key)?.some((n) => n.terminal) === true);
      const kind: RequestFieldKind = censored ? 'string' : field.kind;
      const first = this.fieldKinds.get(lower);
      if (first === undefined) {
        if (this.fieldKinds.size < FIELD_KIND_LIMIT) this.fieldKinds.set(lower, kind);
      } else if (first !== kind) {
        if (!this.reportedFieldKinds.has(lower)) {
          this.reportedFieldKinds.add(lower);
          fields.report(field.key, `request field "${field.name}" was first written as ${withArticle(first)}; its ${kind} value is left out (a field keeps one type)`);
        }
        continue;
      }
      let value: string;
      if (censored) value = this.censorJson;
      else if (typeof field.value === 'string') {
        let text = this.redactor.redactString(field.value);
        if (text.length > MAX_FIELD_VALUE_CHARS) {
          text = cutString(text, MAX_FIELD_VALUE_CHARS) + CUT_MARKER;
          truncated = true;
        }
        value = JSON.stringify(text);
      } else value = String(field.value);
      json += `,${JSON.stringify(field.name)}:${value}`;
      lowerNames.push(lower);
    }
    const encoded: EncodedFields = { owner: this, version: fields.version, json, lowerNames, truncated };
    fields.encoded = encoded;
    return encoded;
  }

  private quoteContext(context: string): string {
    let json = this.contextJson.get(context);
    if (json === undefined) {
      json = JSON.stringify(context);
      if (this.contextJson.size < CONTEXT_CACHE_LIMIT) this.contextJson.set(context, json);
    }
    return json;
  }

  /**
   * Appends a JSON string of user text: credentials redacted, cut to `limit`. With a `rank` the line
   * cap may cut it further (from the redacted text kept here); without one it is never cut.
   */
  private text(line: EncodedLine, value: string, limit: number, rank: number | undefined, name?: string): void {
    let text: string;
    let cut = false;
    if (value.length <= limit) text = this.redactor.redactString(value);
    else {
      text = redactAndCut(this.redactor, value, limit);
      cut = true;
      line.truncated = true;
    }
    if (name === 'message') line.message = text;
    else if (name === 'originalUrl') line.originalUrl = text;
    const json = JSON.stringify(cut ? text + CUT_MARKER : text);
    if (rank === undefined) line.body += json;
    else {
      const start = line.body.length;
      line.body += json;
      if (mayCut(rank, text.length)) (line.cuts ??= []).push({ start, end: line.body.length, text, cut, rank });
    }
  }

  /** Appends JSON text (`plain`) or a JSON string of it that the line cap may cut further. */
  private jsonText(line: EncodedLine, text: string, truncated: boolean, plain: boolean, rank: number): void {
    // Only a truncated value can end with the marker (and checking costs a scan of a two-byte search).
    const cut = truncated && text.endsWith(CUT_MARKER);
    if (cut) text = text.slice(0, -CUT_MARKER.length);
    if (truncated) line.truncated = true;
    const json = plain && !cut ? text : JSON.stringify(cut ? text + CUT_MARKER : text);
    const start = line.body.length;
    line.body += json;
    if (mayCut(rank, text.length)) (line.cuts ??= []).push({ start, end: line.body.length, text, cut, rank });
  }

  /**
   * A repeating string field, short enough never to be cut by the base budget (`field` writes it
   * the same way): from the cache, else encoded and kept.
   */
  private repeatingField(line: EncodedLine, spec: FieldSpec, index: number, cache: Map<string, EncodedText>, value: string): void {
    const known = this.repeatingText(spec, index, cache, value);
    const start = line.body.length + known.headChars;
    line.body += known.json;
    if (known.cuttable) (line.cuts ??= []).push({ start, end: line.body.length, text: known.text, cut: false, rank: spec.cut as number });
  }

  /** A repeating field's value as written, from the cache, else encoded and kept. */
  private repeatingText(spec: FieldSpec, index: number, cache: Map<string, EncodedText>, value: string): EncodedText {
    let known = cache.get(value);
    if (known === undefined) {
      const head = DETAIL_HEADS[index] as string;
      const text = this.redactor.redactString(value);
      known = { json: head + JSON.stringify(text), headChars: head.length, text, cuttable: spec.cut !== undefined && mayCut(spec.cut, text.length) };
      if (cache.size >= REPEATING_CACHE_LIMIT) cache.clear();
      cache.set(value, known);
    }
    return known;
  }

  /** Appends one library field; `head` is its `,"name":`; `encodedBody`: the body as the first pass encoded it. */
  private field(line: EncodedLine, spec: FieldSpec, head: string, value: unknown, encodedBody?: EncodedValue): void {
    const limit = this.limitOf(spec);
    switch (spec.type) {
      case 'integer':
        if (typeof value === 'number' && Number.isFinite(value)) line.body += head + String(Math.trunc(value));
        return;
      case 'boolean':
        if (typeof value === 'boolean') line.body += head + String(value);
        return;
      case 'json': {
        line.body += head;
        if (isJsonText(value)) {
          let text = this.redactor.redactJsonText(value.text);
          if (text.length > limit || value.cut) text = cutString(text, limit) + CUT_MARKER;
          this.jsonText(line, text, text.endsWith(CUT_MARKER), false, spec.cut ?? NO_LIMIT);
        } else {
          const encoded = encodedBody ?? this.values.encodeBody(value, limit);
          this.jsonText(line, encoded.text, encoded.truncated, false, spec.cut ?? NO_LIMIT);
        }
        return;
      }
      case 'string': {
        const raw = typeof value === 'string' ? value : stringOf(value);
        line.body += head;
        this.text(line, spec.name === 'originalUrl' ? this.redactor.redactUrl(raw) : raw, limit, spec.cut, spec.name);
      }
    }
  }

  /** The names written so far of a record whose keys before `index` were checked by stamp (none when nested). */
  private namesUpTo(keys: readonly string[], index: number, stamp: number, nested: boolean): LineNames {
    const names = new LineNames(keys, Math.ceil(this.maxLineBytes / MIN_META_ENTRY_CHARS) + 1);
    if (nested) return names;
    for (let i = 0; i < index; i++) {
      const known = this.metaKeys.get(keys[i] as string);
      if (known?.slot !== undefined && known.slot.stamp === stamp) names.add(known.lower);
    }
    return names;
  }

  private metaKey(key: string): MetaKey {
    let known = this.metaKeys.get(key);
    if (known === undefined) {
      // Keys may come from clients (`logger.info('q', req.query)`): a key can be a token itself.
      const name = key.length < MIN_CREDENTIAL_KEY_CHARS ? key : this.redactor.redactString(key);
      const lower = name.toLowerCase();
      // Keys may come from clients: bound the cache.
      const cached = this.metaKeys.size < META_KEY_CACHE_LIMIT;
      let slot: NameSlot | undefined;
      if (cached) {
        slot = this.nameSlots.get(lower);
        if (slot === undefined) this.nameSlots.set(lower, (slot = { stamp: 0 }));
      }
      known = { name, head: `,${JSON.stringify(name)}:`, lower, library: isLibraryName(lower), sensitive: this.redactor.isSensitiveKey(key), slot };
      if (cached) this.metaKeys.set(key, known);
    }
    return known;
  }

  private meta(line: EncodedLine, meta: LogMeta, skipKey: string | undefined, limit: number, fieldNames: readonly string[] | undefined): void {
    let keys: string[];
    try {
      keys = Object.keys(meta);
    } catch {
      line.body += ',"meta_error":"metadata keys could not be read"';
      return;
    }
    // A getter read while writing this record may log another: that one keeps its names in a list of its own.
    const nested = this.writingMeta;
    this.writingMeta = true;
    try {
      this.metaEntries(line, meta, keys, nested, skipKey, limit, fieldNames);
    } finally {
      this.writingMeta = nested;
    }
  }

  /**
   * Writes the metadata entries. Names are checked against those already written in one of two ways:
   * a stamp on the cached key's lower-cased name (one property per key, the common case), or, from the
   * first key that needs renaming or is not cached, a `LineNames` list that knows how to rename.
   */
  private metaEntries(
    line: EncodedLine,
    meta: LogMeta,
    keys: readonly string[],
    nested: boolean,
    skipKey: string | undefined,
    limit: number,
    fieldNames: readonly string[] | undefined,
  ): void {
    const paths = this.redactor.paths ? [this.redactor.paths] : undefined;
    const stopAt = line.body.length + this.maxLineBytes;
    const stamp = ++this.metaStamp;
    let names: LineNames | undefined;
    if (fieldNames !== undefined) {
      // The request fields are on the line already: a metadata key of one of their names is renamed.
      names = new LineNames(keys, Math.ceil(this.maxLineBytes / MIN_META_ENTRY_CHARS) + 1);
      for (const name of fieldNames) names.add(name);
    }
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index] as string;
      // Past the cap the line cannot fit whatever comes next: stop reading keys (a string or a
      // 100 000-key object passed as metadata costs no more than the cap).
      if (line.body.length > stopAt) {
        line.truncated = true;
        break;
      }
      if (key === skipKey) continue;
      let value: unknown;
      try {
        value = meta[key];
      } catch (err) {
        value = `[Threw: ${messageOf(err)}]`;
      }
      if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
      const known = this.metaKey(key);
      let head = known.head;
      if (names === undefined) {
        const slot = known.slot;
        if (!nested && slot !== undefined && !known.library && slot.stamp !== stamp) slot.stamp = stamp;
        else names = this.namesUpTo(keys, index, stamp, nested);
      }
      if (names !== undefined) {
        if (known.library || names.has(known.lower)) head = `,${JSON.stringify(names.rename(known.name))}:`;
        else names.add(known.lower);
      }
      // The user paths that continue below this key (`user.ssn` continues below `user`).
      const next: PathNode[] | undefined = paths && stepPaths(paths, key);
      // `code`/`key` are secrets only when the value looks like one (`logger.info('callback', req.query)`).
      if (known.sensitive || next?.some((n) => n.terminal) === true || (typeof value === 'string' && this.redactor.isCredentialUnder(key, value))) {
        line.body += head + this.censorJson;
        continue;
      }
      switch (typeof value) {
        case 'string':
          line.body += head;
          this.text(line, value, limit, -1);
          break;
        case 'number':
          line.body += head + (Number.isFinite(value) ? String(value) : 'null');
          break;
        case 'boolean':
          line.body += head + (value ? 'true' : 'false');
          break;
        case 'bigint':
          line.body += `${head}"${value}"`;
          break;
        default: {
          if (value === null) {
            line.body += `${head}null`;
            break;
          }
          const json = this.values.encodeAt(value, limit, next);
          // Objects are JSON-encoded strings by default: their keys are not ours to fix in a mapping.
          // Values that encode to a JSON string (Date, Buffer, toJSON results) are written as that string.
          line.body += head;
          this.jsonText(line, json.text, json.truncated, !json.truncated && (this.nestedMeta || json.text.startsWith('"')), -1);
        }
      }
    }
  }
}

/** Where a context without an exchange (a job's, a message's) keeps its encoded ids (see `idsJsonOf`). */
const IDS_JSON = Symbol('loglane.idsJson');

/**
 * `,"traceId":…,"globalTraceId":…` of a context, encoded once per context, so that the records of
 * one request encode them once also when other requests' records come between them (many requests
 * in one turn: their HttpRequest records first, then their HttpResponse records). Kept on the
 * exchange of an HTTP context (a field of an object that exists anyway), else in a non-enumerable
 * property of the context itself (a `defineProperty` is a runtime call, which each request, for its
 * two records, would pay). Checked against the context's ids, so a context whose ids were replaced,
 * or a copy (`{ ...context, traceId }`, which has no exchange: a spread copies no private field), is
 * encoded afresh.
 */
function idsJsonOf(trace: TraceContext & { [IDS_JSON]?: EncodedIds }): string {
  const { traceId, globalTraceId } = trace;
  const exchange = exchangeOfContext(trace);
  const known = exchange === undefined ? trace[IDS_JSON] : exchange.encodedIds;
  if (known !== undefined && known.traceId === traceId && known.globalTraceId === globalTraceId) return known.json;
  const ids: EncodedIds = { traceId, globalTraceId, json: `,"traceId":${JSON.stringify(traceId)},"globalTraceId":${JSON.stringify(globalTraceId)}` };
  if (exchange !== undefined) {
    exchange.encodedIds = ids;
    return ids.json;
  }
  // Not enumerable: a test comparing `getTraceContext()` with `toEqual`, or `util.inspect`, does not
  // see it. A context the app froze (or a Proxy that refuses it) is encoded on every record instead.
  try {
    Object.defineProperty(trace, IDS_JSON, { value: ids, writable: true, configurable: true });
  } catch {
    // nothing to keep
  }
  return ids.json;
}

