// The generated definitions, checked structurally against the contract table: every contract field
// once, types as docs/record-schema.md documents them, reserved words quoted, explicit ES mappings.

import { describe, expect, it } from 'vitest';
import {
  CONTRACT_FIELDS,
  FieldInference,
  KEYWORD_IGNORE_ABOVE,
  SHIPPER_TIME_FIELD,
  TIME_FIELD,
  athenaDdl,
  duckdbColumns,
  generateSchema,
  glueDefinition,
  indexTemplate,
  parseFieldOption,
  recordColumns,
  recordJsonSchema,
} from '@loglane/core';
import type { FieldType } from '@loglane/core';

const LOCATION = 's3://acme-logs/loglane/';
/** The documented mapping of a contract type to Athena/Glue (Hive) types. */
const HIVE: Record<FieldType, string> = { string: 'string', integer: 'bigint', boolean: 'boolean', json: 'string' };

/** Column name → type, from the DDL's column list. */
function ddlColumns(ddl: string): Map<string, string> {
  const body = ddl.slice(ddl.indexOf('(\n') + 2, ddl.indexOf('\n)\n'));
  const columns = new Map<string, string>();
  for (const line of body.split('\n')) {
    const m = /^\s+(`[^`]+`|\w+)\s+(\w+)/.exec(line);
    if (!m?.[1] || !m[2]) throw new Error(`not a column line: ${line}`);
    if (columns.has(m[1])) throw new Error(`column ${m[1]} twice`);
    columns.set(m[1], m[2]);
  }
  return columns;
}

describe('athena', () => {
  const ddl = athenaDdl({ location: LOCATION, table: 'app_logs', fields: [{ key: 'orderId', type: 'string' }, { key: 'amount', type: 'double' }] });
  const columns = ddlColumns(ddl);

  it('has every contract field once, with its documented type, then the app fields', () => {
    const expected = CONTRACT_FIELDS.map((f) => [f.name === TIME_FIELD ? `\`${f.name}\`` : f.name.toLowerCase(), f.name === TIME_FIELD ? 'timestamp' : HIVE[f.type]]);
    expect([...columns.entries()]).toEqual([...expected, ['orderid', 'string'], ['amount', 'double']]);
  });

  it('quotes reserved words with backticks and nothing else', () => {
    expect(ddl).toMatch(/^ {2}`timestamp` +timestamp,$/m);
    expect([...columns.keys()].filter((c) => c.startsWith('`'))).toEqual(['`timestamp`']);
    const reserved = athenaDdl({ location: LOCATION, fields: [{ key: 'date', type: 'string' }, { key: 'user', type: 'string' }] });
    expect(reserved).toMatch(/^ {2}`date` +string,$/m);
    expect(reserved).toMatch(/^ {2}`user` +string$/m);
  });

  it('is Parquet partitioned by dt string at the location, with date partition projection', () => {
    expect(ddl).toMatch(/^CREATE EXTERNAL TABLE IF NOT EXISTS app_logs \(/);
    expect(ddl).toContain('PARTITIONED BY (dt string)\nSTORED AS PARQUET\n');
    expect(ddl).toContain(`LOCATION '${LOCATION}'`);
    expect(ddl).toContain("'projection.enabled' = 'true'");
    expect(ddl).toContain("'projection.dt.type' = 'date'");
    expect(ddl).toContain("'projection.dt.format' = 'yyyy-MM-dd'");
    expect(ddl).toContain("'projection.dt.range' = '2024-01-01,NOW'");
    expect(ddl).toContain(`'storage.location.template' = '${LOCATION}dt=\${dt}/'`);
  });

  it('refuses without a location, and a since that is not a day', () => {
    expect(() => athenaDdl()).toThrow(/--location s3:\/\/bucket\/prefix\//);
    expect(() => athenaDdl({ location: LOCATION, since: 'last year' })).toThrow(/YYYY-MM-DD/);
  });
});

describe('glue', () => {
  const glue = glueDefinition({ location: 's3://acme-logs/loglane', fields: [{ key: 'order-id', type: 'string' }, { key: 'retries', type: 'integer' }] });

  it('has every contract field once, lower-cased, with its documented type', () => {
    const cols = glue.TableInput.StorageDescriptor.Columns;
    expect(cols.map((c) => c.Name)).toEqual([...CONTRACT_FIELDS.map((f) => f.name.toLowerCase()), 'order_id', 'retries']);
    expect(new Set(cols.map((c) => c.Name)).size).toBe(cols.length);
    CONTRACT_FIELDS.forEach((f, i) => expect(cols[i]?.Type).toBe(f.name === TIME_FIELD ? 'timestamp' : HIVE[f.type]));
    expect(cols.at(-1)?.Type).toBe('bigint');
  });

  it('is read by OpenX JSON SerDe case-insensitively, mapping only the renamed columns', () => {
    const serde = glue.DataFormatConversionConfiguration.InputFormatConfiguration.Deserializer.OpenXJsonSerDe;
    expect(serde.CaseInsensitive).toBe(true);
    expect(serde.ColumnToJsonKeyMappings).toEqual({ order_id: 'order-id' });
    const mixed = glueDefinition({ location: LOCATION, fields: [{ key: 'Cart.Total', type: 'double' }] });
    expect(mixed.DataFormatConversionConfiguration.InputFormatConfiguration.Deserializer.OpenXJsonSerDe.ColumnToJsonKeyMappings).toEqual({ cart_total: 'cart.total' });
    expect(glue.DataFormatConversionConfiguration.OutputFormatConfiguration.Serializer.ParquetSerDe.Compression).toBe('SNAPPY');
    expect(glue.DataFormatConversionConfiguration.SchemaConfiguration).toEqual({ DatabaseName: 'default', TableName: 'loglane_logs', VersionId: 'LATEST' });
  });

  it('is a Parquet table partitioned by dt with projection, written under dt= prefixes', () => {
    expect(glue.TableInput.PartitionKeys).toEqual([{ Name: 'dt', Type: 'string', Comment: 'UTC day, YYYY-MM-DD' }]);
    expect(glue.TableInput.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
    expect(glue.TableInput.Parameters['projection.dt.type']).toBe('date');
    expect(glue.TableInput.Parameters['storage.location.template']).toBe('s3://acme-logs/loglane/dt=${dt}/');
    expect(glue.Prefix).toBe('loglane/dt=!{timestamp:yyyy-MM-dd}/');
    expect(glue.ErrorOutputPrefix).toBe('loglane-errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/');
  });

  it('refuses app fields that would share a column once lower-cased, and library field names', () => {
    expect(() => recordColumns([{ key: 'orderId', type: 'string' }, { key: 'OrderID', type: 'string' }])).toThrow(/"orderId" and "OrderID" would both be the column "orderid"/);
    expect(() => recordColumns([{ key: 'statusCode', type: 'string' }])).toThrow(/meta_statusCode/);
    expect(() => recordColumns([{ key: 'TraceID', type: 'string' }])).toThrow(/"traceId" and "TraceID"/);
  });
});

describe('elasticsearch and opensearch', () => {
  for (const engine of ['elasticsearch', 'opensearch'] as const) {
    const template = indexTemplate(engine);
    const mappings = template.template.mappings;

    it(`${engine}: every contract field has an explicit mapping of its type`, () => {
      expect(Object.keys(mappings.properties)).toEqual([...CONTRACT_FIELDS.map((f) => f.name), SHIPPER_TIME_FIELD]);
      expect(mappings.properties[SHIPPER_TIME_FIELD]).toEqual({ type: 'date' });
      for (const f of CONTRACT_FIELDS) {
        const m = mappings.properties[f.name];
        const type = f.name === TIME_FIELD ? 'date' : { string: f.cut === undefined ? 'keyword' : 'text', integer: 'long', boolean: 'boolean', json: 'text' }[f.type];
        expect(m?.type, f.name).toBe(type);
        if (m?.type === 'keyword') expect(m.ignore_above).toBe(KEYWORD_IGNORE_ABOVE);
      }
    });

    it(`${engine}: no guessing, and app fields that cannot conflict`, () => {
      expect(mappings.date_detection).toBe(false);
      expect(mappings.numeric_detection).toBe(false);
      const dynamic = Object.assign({}, ...mappings.dynamic_templates) as Record<string, { match_mapping_type: string; mapping: { type: string } }>;
      expect(dynamic.app_integers_as_double?.mapping.type).toBe('double');
      expect(dynamic.app_fractions_as_double?.mapping.type).toBe('double');
      expect(dynamic.app_strings_as_keyword?.mapping).toEqual({ type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE });
      expect(dynamic.app_objects_flat?.mapping.type).toBe(engine === 'opensearch' ? 'flat_object' : 'flattened');
    });
  }

  it('long strings are text with a keyword sub-field; bodies are text only', () => {
    const long = CONTRACT_FIELDS.find((f) => f.type === 'string' && f.cut !== undefined);
    const body = CONTRACT_FIELDS.find((f) => f.type === 'json');
    const props = indexTemplate('elasticsearch').template.mappings.properties;
    expect(props[long?.name ?? '']).toEqual({ type: 'text', fields: { keyword: { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE } } });
    expect(props[body?.name ?? '']).toEqual({ type: 'text' });
  });
});

describe('duckdb and json-schema', () => {
  it('duckdb: a read_json columns struct with every column typed', () => {
    const spec = duckdbColumns({ fields: [{ key: "it's", type: 'boolean' }] });
    expect(spec.startsWith(`{'${TIME_FIELD}': 'TIMESTAMP', `)).toBe(true);
    expect(spec.endsWith(`'it''s': 'BOOLEAN'}`)).toBe(true);
    for (const f of CONTRACT_FIELDS) expect(spec).toContain(`'${f.name}': '`);
  });

  it('json-schema: timestamp is a date-time, every field typed, HTTP kinds require their fields', () => {
    const schema = recordJsonSchema() as { properties: Record<string, { type: string; format?: string }>; allOf: unknown[] };
    expect(schema.properties[TIME_FIELD]).toEqual({ type: 'string', format: 'date-time' });
    expect(Object.keys(schema.properties)).toEqual(CONTRACT_FIELDS.map((f) => f.name));
    expect(schema.allOf).toHaveLength(2);
  });

  it('generateSchema prints each format and refuses an unknown one', () => {
    expect(JSON.parse(generateSchema('opensearch'))).toEqual(indexTemplate('opensearch'));
    expect(() => generateSchema('mysql' as never)).toThrow(/unknown format "mysql"/);
  });
});

describe('app fields: --field and --from', () => {
  it('parses name:type with aliases, and refuses nonsense', () => {
    expect(parseFieldOption('orderId:string')).toEqual({ key: 'orderId', type: 'string' });
    expect(parseFieldOption('amount:float')).toEqual({ key: 'amount', type: 'double' });
    expect(parseFieldOption('a:b:long')).toEqual({ key: 'a:b', type: 'integer' });
    expect(() => parseFieldOption('orderId')).toThrow(/expected name:type/);
    expect(() => parseFieldOption('orderId:uuid')).toThrow(/unknown type "uuid"/);
  });

  it('infers one type per app field, numbers as double, skipping library fields and bad lines', () => {
    const inference = new FieldInference();
    for (const line of [
      '{"timestamp":"2026-01-01T00:00:00.000Z","level":"info","orderId":"o-1","qty":2,"paid":true,"note":null}',
      'not json',
      '{"qty":2.5,"meta_level":"gold"}',
    ])
      inference.add(line);
    expect(inference.fields()).toEqual([
      { key: 'orderId', type: 'string' },
      { key: 'qty', type: 'double' },
      { key: 'paid', type: 'boolean' },
      { key: 'note', type: 'string' },
      { key: 'meta_level', type: 'string' },
    ]);
  });

  it('refuses a field with two types, naming it and the lines; --field overrides', () => {
    const inference = new FieldInference();
    inference.add('{"orderId":"o-1"}');
    inference.add('{"orderId":17}');
    inference.add('{"order":{"id":1}}');
    expect(() => inference.fields()).toThrow(/"orderId" is string \(first on line 1\) and integer \(first on line 2\).*"order" is object/);
    expect(() => inference.fields(new Set(['orderId', 'order']))).not.toThrow();
  });
});
