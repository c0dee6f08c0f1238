// The record contract: checkRecord, the field table and the JSON Schema export agree with each other
// and with the lines the logger really writes.

import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import {
  BASE_FIELDS,
  DETAIL_FIELDS,
  LEVELS,
  LEVEL_RANK,
  LIBRARY_FIELDS,
  RECORD_JSON_SCHEMA,
  checkRecord,
  isLogLevel,
} from './schema.js';

const valid = {
  timestamp: '2024-05-01T12:00:00.000Z',
  level: 'info',
  context: 'app',
  message: 'hello',
  label: 'orders-api',
};

describe('checkRecord', () => {
  it('accepts a minimal app record and returns no problems', () => {
    expect(checkRecord(valid)).toEqual([]);
  });

  it('rejects values that are not JSON objects', () => {
    for (const value of [null, 'x', 3, [valid], undefined]) {
      expect(checkRecord(value)).toEqual(['record is not a JSON object']);
    }
  });

  it('names every missing required field', () => {
    expect(checkRecord({ timestamp: valid.timestamp, level: 'info' })).toEqual([
      'missing field "context"',
      'missing field "message"',
      'missing field "label"',
    ]);
  });

  it('requires the HTTP fields of HttpRequest and HttpResponse records', () => {
    expect(checkRecord({ ...valid, context: 'HttpRequest' })).toEqual([
      'missing field "method"',
      'missing field "originalUrl"',
    ]);
    expect(checkRecord({ ...valid, context: 'HttpResponse', method: 'GET', originalUrl: '/' })).toEqual([
      'missing field "statusCode"',
      'missing field "latencyMs"',
    ]);
    expect(
      checkRecord({ ...valid, context: 'HttpResponse', method: 'GET', originalUrl: '/', statusCode: 200, latencyMs: 3 }),
    ).toEqual([]);
  });

  it('reports a library field of the wrong JSON type', () => {
    expect(checkRecord({ ...valid, statusCode: '200' })).toEqual(['field "statusCode" is string, the contract says integer']);
    expect(checkRecord({ ...valid, latencyMs: 1.5 })).toEqual(['field "latencyMs" is number, the contract says integer']);
    expect(checkRecord({ ...valid, userId: 42 })).toEqual(['field "userId" is integer, the contract says string']);
    expect(checkRecord({ ...valid, requestBody: { a: 1 } })).toEqual(['field "requestBody" is object, the contract says string']);
    expect(checkRecord({ ...valid, aborted: 'true' })).toEqual(['field "aborted" is string, the contract says boolean']);
    expect(checkRecord({ ...valid, truncated: 1 })).toEqual(['field "truncated" is integer, the contract says boolean']);
    expect(checkRecord({ ...valid, traceId: null })).toEqual(['field "traceId" is null, the contract says string']);
    expect(checkRecord({ ...valid, errorStack: ['at x'] })).toEqual(['field "errorStack" is array, the contract says string']);
  });

  it('ignores the types of user metadata fields', () => {
    expect(checkRecord({ ...valid, orderId: 17, tags: ['a'], nested: { a: null } })).toEqual([]);
  });

  it('rejects an unknown level and a timestamp that is not ISO-8601 UTC with milliseconds', () => {
    expect(checkRecord({ ...valid, level: 'trace' })).toEqual(['field "level" is "trace", not a loglane level']);
    expect(checkRecord({ ...valid, timestamp: '2024-05-01 12:00:00' })).toEqual([
      'field "timestamp" is "2024-05-01 12:00:00", not an ISO-8601 UTC time',
    ]);
    expect(checkRecord({ ...valid, timestamp: '2024-05-01T12:00:00.000+02:00' })).toHaveLength(1);
  });
});

describe('the field table', () => {
  it('gives every library field one name and one type', () => {
    const names = [...BASE_FIELDS, ...DETAIL_FIELDS].map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    expect(LIBRARY_FIELDS.size).toBe(names.length + 1);
    expect(LIBRARY_FIELDS.get('truncated')?.type).toBe('boolean');
  });

  it('ranks levels most severe first, the way isLogLevel narrows them', () => {
    expect(LEVELS.map((l) => LEVEL_RANK[l])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(LEVELS.every(isLogLevel)).toBe(true);
    for (const value of ['trace', 'INFO', '', 3, undefined, 'toString', '__proto__']) expect(isLogLevel(value)).toBe(false);
  });
});

describe('RECORD_JSON_SCHEMA', () => {
  it('describes every library field with the JSON type checkRecord enforces', () => {
    const props = RECORD_JSON_SCHEMA.properties as Record<string, { type: string; enum?: string[] }>;
    expect(Object.keys(props).sort()).toEqual([...LIBRARY_FIELDS.keys()].sort());
    expect(props.statusCode?.type).toBe('integer');
    expect(props.requestBody?.type).toBe('string');
    expect(props.aborted?.type).toBe('boolean');
    expect(props.level).toEqual({ type: 'string', enum: [...LEVELS] });
    expect(RECORD_JSON_SCHEMA.required).toEqual(['timestamp', 'level', 'context', 'message', 'label']);
  });

  it('is plain JSON that survives a round trip', () => {
    expect(JSON.parse(JSON.stringify(RECORD_JSON_SCHEMA))).toEqual(RECORD_JSON_SCHEMA);
  });

  it('accepts what the logger writes, checked field by field against the schema types', () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (l) => lines.push(l) }, label: 'svc', version: '1.0.0', logUncaught: false });
    logger.error('boom', { err: new Error('bad'), orderId: 3 });
    const record = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    const props = RECORD_JSON_SCHEMA.properties as Record<string, { type: string }>;
    for (const [name, value] of Object.entries(record)) {
      const spec = props[name];
      if (!spec) continue;
      const actual = typeof value === 'number' && Number.isInteger(value) ? 'integer' : typeof value;
      expect(actual, name).toBe(spec.type);
    }
    expect(checkRecord(record)).toEqual([]);
  });
});
