// The table definitions `loglane schema` prints (Athena DDL, Glue + Firehose JSON, an Elasticsearch
// or OpenSearch index template, DuckDB's read_json columns, JSON Schema), all made from recordColumns().

import { ALWAYS_PRESENT_BY_CONTEXT, ALWAYS_PRESENT_FIELDS, KIND_FIELD, RECORD_JSON_SCHEMA, TIME_FIELD } from '../schema.js';
import { recordColumns } from './columns.js';
import type { AppField, Column, ColumnType } from './columns.js';

/** The formats `loglane schema --format` prints. */
export const SCHEMA_FORMATS = ['athena', 'glue', 'elasticsearch', 'opensearch', 'duckdb', 'json-schema'] as const;

/** One of `SCHEMA_FORMATS`. */
export type SchemaFormat = (typeof SCHEMA_FORMATS)[number];

/** Options of `generateSchema` (and of `loglane schema`). */
export interface SchemaOptions {
  /** The app's own metadata fields (`--field`, `--from`), after the contract's fields. @default [] */
  fields?: readonly AppField[];
  /** Table name (Athena, Glue). @default 'loglane_logs' */
  table?: string;
  /** Glue database (glue). @default 'default' */
  database?: string;
  /**
   * Where the Parquet files live, `s3://bucket/prefix/`; partitions are `dt=YYYY-MM-DD/` below it.
   * Required for athena and glue.
   */
  location?: string;
  /** First day partition projection knows of (athena, glue), `YYYY-MM-DD`. @default '2024-01-01' */
  since?: string;
  /** AWS region of the Glue table, for Firehose's SchemaConfiguration (glue). @default left out */
  region?: string;
  /** IAM role Firehose reads the Glue table with (glue). @default left out */
  roleArn?: string;
  /** Index pattern the template applies to (elasticsearch, opensearch). @default ['loglane-*'] */
  indexPatterns?: readonly string[];
}

/** Partition column of the tables on S3: the UTC day, `YYYY-MM-DD`. */
export const PARTITION_COLUMN = 'dt';

const DEFAULT_TABLE = 'loglane_logs';
const DEFAULT_SINCE = '2024-01-01';
/** Keyword values longer than this are kept in _source but not indexed (Lucene's term limit is 32 KiB). */
export const KEYWORD_IGNORE_ABOVE = 1024;

/**
 * Words Athena's DDL (Hive) reserves; a column of that name is quoted with backticks in
 * CREATE TABLE. From https://docs.aws.amazon.com/athena/latest/ug/reserved-words.html
 */
const ATHENA_DDL_RESERVED = new Set(
  (
    'all alter and array as authorization between bigint binary boolean both by cache case cast char column conf constraint commit create ' +
    'cross cube current current_date current_timestamp cursor database date dayofweek decimal delete describe distinct div double drop else end ' +
    'exchange exists extended external extract false fetch float floor following for foreign from full function grant group grouping having if ' +
    'import in inner insert int integer intersect interval into is join lateral left less like local macro map more none not null numeric of on ' +
    'only or order out outer over partialscan partition percent preceding precision preserve primary procedure range reads reduce regexp ' +
    'references revoke right rlike rollback rollup row rows select set smallint start table tablesample then time timestamp to transform ' +
    'trigger true truncate unbounded union uniquejoin update user using utc_timestamp values varchar views when where window with'
  ).split(' '),
);

const HIVE_TYPE: Readonly<Record<ColumnType, string>> = {
  string: 'string',
  integer: 'bigint',
  double: 'double',
  boolean: 'boolean',
  timestamp: 'timestamp',
  json: 'string',
};

const DUCKDB_TYPE: Readonly<Record<ColumnType, string>> = {
  string: 'VARCHAR',
  integer: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
  json: 'VARCHAR',
};

/** Prints one format as text (SQL, or JSON with two-space indentation), ending in a newline. */
export function generateSchema(format: SchemaFormat, options: SchemaOptions = {}): string {
  switch (format) {
    case 'athena':
      return athenaDdl(options);
    case 'glue':
      return `${JSON.stringify(glueDefinition(options), null, 2)}\n`;
    case 'elasticsearch':
    case 'opensearch':
      return `${JSON.stringify(indexTemplate(format, options), null, 2)}\n`;
    case 'duckdb':
      return `${duckdbColumns(options)}\n`;
    case 'json-schema':
      return `${JSON.stringify(recordJsonSchema(options), null, 2)}\n`;
    default:
      throw new Error(`unknown format "${String(format)}" (one of ${SCHEMA_FORMATS.join(', ')})`);
  }
}

function requireLocation(options: SchemaOptions, format: string): string {
  const location = options.location;
  if (!location || !/^s3:\/\/[^/]+/.test(location)) {
    throw new Error(`${format} needs --location s3://bucket/prefix/ (where the dt=YYYY-MM-DD/ folders are)`);
  }
  return location.endsWith('/') ? location : `${location}/`;
}

function partitionProjection(location: string, since: string): Record<string, string> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(since)) throw new Error(`--since "${since}": expected YYYY-MM-DD`);
  return {
    'projection.enabled': 'true',
    [`projection.${PARTITION_COLUMN}.type`]: 'date',
    [`projection.${PARTITION_COLUMN}.format`]: 'yyyy-MM-dd',
    [`projection.${PARTITION_COLUMN}.range`]: `${since},NOW`,
    [`projection.${PARTITION_COLUMN}.interval`]: '1',
    [`projection.${PARTITION_COLUMN}.interval.unit`]: 'DAYS',
    'storage.location.template': `${location}${PARTITION_COLUMN}=\${${PARTITION_COLUMN}}/`,
  };
}

/** An Athena DDL column name: backticks when Hive reserves the word. */
export function athenaColumnName(column: string): string {
  return ATHENA_DDL_RESERVED.has(column) ? `\`${column}\`` : column;
}

/** `CREATE EXTERNAL TABLE` over Parquet partitioned by `dt`, with partition projection on `dt`. */
export function athenaDdl(options: SchemaOptions = {}): string {
  const location = requireLocation(options, 'athena');
  const columns = recordColumns(options.fields);
  const width = Math.max(...columns.map((c) => athenaColumnName(c.column).length));
  const lines = columns.map((c, i) => {
    const comment = c.type === 'json' ? ` COMMENT 'JSON text'` : c.key.toLowerCase() !== c.column ? ` COMMENT 'JSON key ${c.key}'` : '';
    return `  ${athenaColumnName(c.column).padEnd(width)} ${HIVE_TYPE[c.type]}${comment}${i < columns.length - 1 ? ',' : ''}`;
  });
  const properties = Object.entries({ ...partitionProjection(location, options.since ?? DEFAULT_SINCE), 'parquet.compression': 'SNAPPY' });
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${options.table ?? DEFAULT_TABLE} (`,
    ...lines,
    ')',
    `PARTITIONED BY (${PARTITION_COLUMN} string)`,
    'STORED AS PARQUET',
    `LOCATION '${location}'`,
    'TBLPROPERTIES (',
    properties.map(([k, v]) => `  '${k}' = '${v}'`).join(',\n'),
    ');',
    '',
  ].join('\n');
}

/** Glue column of a table input. */
export interface GlueColumn {
  Name: string;
  Type: string;
  Comment?: string;
}

/** What `loglane schema --format glue` prints: the Glue table and Firehose's settings that read it. */
export interface GlueDefinition {
  /** `aws glue create-table --database-name <DatabaseName> --table-input <TableInput>`. */
  DatabaseName: string;
  TableInput: {
    Name: string;
    TableType: 'EXTERNAL_TABLE';
    PartitionKeys: GlueColumn[];
    Parameters: Record<string, string>;
    StorageDescriptor: {
      Columns: GlueColumn[];
      Location: string;
      InputFormat: string;
      OutputFormat: string;
      SerdeInfo: { SerializationLibrary: string; Parameters: Record<string, string> };
    };
  };
  /** `ExtendedS3DestinationConfiguration.DataFormatConversionConfiguration` of the Firehose stream. */
  DataFormatConversionConfiguration: {
    Enabled: true;
    SchemaConfiguration: { DatabaseName: string; TableName: string; VersionId: 'LATEST'; Region?: string; RoleARN?: string };
    InputFormatConfiguration: {
      Deserializer: {
        OpenXJsonSerDe: { CaseInsensitive: true; ConvertDotsInJsonKeysToUnderscores: false; ColumnToJsonKeyMappings: Record<string, string> };
      };
    };
    OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } };
  };
  /** `ExtendedS3DestinationConfiguration.Prefix`: Firehose writes each object under the UTC day it arrived. */
  Prefix: string;
  /** `ExtendedS3DestinationConfiguration.ErrorOutputPrefix` (required once Prefix uses `!{...}`). */
  ErrorOutputPrefix: string;
}

/**
 * The Glue table (Parquet, partitioned by `dt`, partition projection on) and the Firehose record
 * format conversion that fills it: OpenX JSON SerDe, keys matched case-insensitively (Glue's column
 * names are lower case), and a `ColumnToJsonKeyMappings` entry for every column whose name is not
 * the lower-cased key (`order-id` → `order_id`).
 */
export function glueDefinition(options: SchemaOptions = {}): GlueDefinition {
  const location = requireLocation(options, 'glue');
  const table = options.table ?? DEFAULT_TABLE;
  const database = options.database ?? 'default';
  const columns = recordColumns(options.fields);
  const mappings: Record<string, string> = {};
  // CaseInsensitive lower-cases the JSON keys before they are matched, so a mapping names the key
  // lower-cased too (a mixed-case key in a mapping would never match).
  for (const c of columns) if (c.column !== c.key.toLowerCase()) mappings[c.column] = c.key.toLowerCase();
  const prefix = location.replace(/^s3:\/\/[^/]+\/?/, '');
  const schemaConfiguration: GlueDefinition['DataFormatConversionConfiguration']['SchemaConfiguration'] = {
    DatabaseName: database,
    TableName: table,
    VersionId: 'LATEST',
    ...(options.region ? { Region: options.region } : {}),
    ...(options.roleArn ? { RoleARN: options.roleArn } : {}),
  };
  return {
    DatabaseName: database,
    TableInput: {
      Name: table,
      TableType: 'EXTERNAL_TABLE',
      PartitionKeys: [{ Name: PARTITION_COLUMN, Type: 'string', Comment: 'UTC day, YYYY-MM-DD' }],
      Parameters: { classification: 'parquet', EXTERNAL: 'TRUE', 'parquet.compression': 'SNAPPY', ...partitionProjection(location, options.since ?? DEFAULT_SINCE) },
      StorageDescriptor: {
        Columns: columns.map((c) => ({
          Name: c.column,
          Type: HIVE_TYPE[c.type],
          ...(c.type === 'json' ? { Comment: 'JSON text' } : c.key.toLowerCase() !== c.column ? { Comment: `JSON key ${c.key}` } : {}),
        })),
        Location: location,
        InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        SerdeInfo: {
          SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
          Parameters: { 'serialization.format': '1' },
        },
      },
    },
    DataFormatConversionConfiguration: {
      Enabled: true,
      SchemaConfiguration: schemaConfiguration,
      InputFormatConfiguration: {
        Deserializer: { OpenXJsonSerDe: { CaseInsensitive: true, ConvertDotsInJsonKeysToUnderscores: false, ColumnToJsonKeyMappings: mappings } },
      },
      OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
    },
    Prefix: `${prefix}${PARTITION_COLUMN}=!{timestamp:yyyy-MM-dd}/`,
    ErrorOutputPrefix: `${prefix.replace(/\/$/, '')}-errors/!{firehose:error-output-type}/${PARTITION_COLUMN}=!{timestamp:yyyy-MM-dd}/`,
  };
}

/**
 * The time field shippers add to every document (Filebeat, Logstash, Fluent Bit's `es` output with
 * `Logstash_Format`). With date detection off it needs an explicit `date` mapping too.
 */
export const SHIPPER_TIME_FIELD = '@timestamp';

/** One field's mapping in an index template. */
export type FieldMapping = Record<string, unknown>;

/** What `loglane schema --format elasticsearch|opensearch` prints: a composable index template. */
export interface IndexTemplate {
  index_patterns: string[];
  priority: number;
  template: {
    mappings: {
      dynamic: true;
      date_detection: false;
      numeric_detection: false;
      dynamic_templates: Record<string, FieldMapping>[];
      properties: Record<string, FieldMapping>;
    };
  };
  _meta: Record<string, string>;
}

/**
 * The mapping of a column: short strings are `keyword`; long strings (message, URL, user agent,
 * error message, stack) are `text` with a `keyword` sub-field for exact match and aggregations up to
 * `KEYWORD_IGNORE_ABOVE`; JSON text (bodies, headers) is `text` only (searchable by word, never
 * aggregated, never a term over Lucene's limit); numbers are `long`/`double`; the time is a `date`.
 */
export function fieldMapping(column: Pick<Column, 'type' | 'long'>): FieldMapping {
  switch (column.type) {
    case 'timestamp':
      return { type: 'date', format: 'strict_date_optional_time' };
    case 'integer':
      return { type: 'long' };
    case 'double':
      return { type: 'double' };
    case 'boolean':
      return { type: 'boolean' };
    case 'json':
      return { type: 'text' };
    case 'string':
      return column.long
        ? { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE } } }
        : { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE };
  }
}

/**
 * An index template with an explicit mapping for every column (and the shippers' `@timestamp`), `date_detection` and
 * `numeric_detection` off, and dynamic templates for undeclared app fields that cannot conflict:
 * every number is a `double` (an integer first and a fraction later are one type), every string a
 * `keyword`, nested objects (`nestedMeta: true`) one `flattened` (Elasticsearch) or `flat_object`
 * (OpenSearch) field instead of a column per client-chosen key.
 */
export function indexTemplate(engine: 'elasticsearch' | 'opensearch', options: SchemaOptions = {}): IndexTemplate {
  const columns = recordColumns(options.fields);
  return {
    index_patterns: [...(options.indexPatterns ?? ['loglane-*'])],
    priority: 200,
    template: {
      mappings: {
        dynamic: true,
        date_detection: false,
        numeric_detection: false,
        dynamic_templates: [
          { app_integers_as_double: { match_mapping_type: 'long', mapping: { type: 'double' } } },
          { app_fractions_as_double: { match_mapping_type: 'double', mapping: { type: 'double' } } },
          { app_strings_as_keyword: { match_mapping_type: 'string', mapping: { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE } } },
          { app_objects_flat: { match_mapping_type: 'object', mapping: { type: engine === 'opensearch' ? 'flat_object' : 'flattened' } } },
        ],
        properties: {
          ...Object.fromEntries(columns.map((c) => [c.key, fieldMapping(c)])),
          [SHIPPER_TIME_FIELD]: { type: 'date' },
        },
      },
    },
    _meta: { description: 'loglane record v1', generated_by: 'loglane schema' },
  };
}

/**
 * DuckDB's `read_json(..., columns = {...})` spec: every column with its explicit type, so no type is
 * guessed from the data (`'timestamp': 'TIMESTAMP'` parses the ISO-8601 UTC time).
 */
export function duckdbColumns(options: SchemaOptions = {}): string {
  const columns = recordColumns(options.fields);
  return `{${columns.map((c) => `'${c.key.replace(/'/g, "''")}': '${DUCKDB_TYPE[c.type]}'`).join(', ')}}`;
}

const JSON_SCHEMA_TYPE: Readonly<Record<ColumnType, Record<string, unknown>>> = {
  string: { type: 'string' },
  integer: { type: 'integer' },
  double: { type: 'number' },
  boolean: { type: 'boolean' },
  timestamp: { type: 'string', format: 'date-time' },
  json: { type: 'string', contentMediaType: 'application/json' },
};

/**
 * JSON Schema (draft 2020-12) of a line: every column's type (`timestamp` a `date-time`, `level` one
 * of the levels), the fields each kind of record always has, and metadata values that are scalars
 * (objects and arrays are written as JSON text unless `nestedMeta` is on).
 */
export function recordJsonSchema(options: SchemaOptions = {}): Record<string, unknown> {
  const columns = recordColumns(options.fields);
  const contract: Readonly<Record<string, object>> = RECORD_JSON_SCHEMA.properties;
  // Library fields keep the contract's own schema (the level's enum), plus the time's format.
  const schemaOf = (c: Column): object => (c.library && c.key !== TIME_FIELD ? contract[c.key] : undefined) ?? JSON_SCHEMA_TYPE[c.type];
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    // Not RECORD_JSON_SCHEMA's $id: this schema is stricter, and one validator may load both.
    $id: 'https://loglane.dev/schema/record-v1-line.json',
    title: 'loglane record v1, one line (loglane schema --format json-schema)',
    type: 'object',
    required: [...ALWAYS_PRESENT_FIELDS],
    properties: Object.fromEntries(
      columns.map((c) => [c.key, schemaOf(c)]),
    ),
    additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
    allOf: Object.entries(ALWAYS_PRESENT_BY_CONTEXT).map(([context, required]) => ({
      if: { properties: { [KIND_FIELD]: { const: context } }, required: [KIND_FIELD] },
      then: { required: [...required] },
    })),
  };
}
