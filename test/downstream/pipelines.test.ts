// The pipeline configs under examples/pipelines/, checked structurally (nothing here can run Fluent
// Bit, Firehose or Elasticsearch): the keys each recipe relies on, and the generated parts equal to
// what `loglane schema` prints today. Plus the archive replay script against a stand-in _bulk API.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { load } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { TIME_FIELD, generateSchema, glueDefinition } from '@loglane/core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const pipelines = join(root, 'examples', 'pipelines');
const read = (path: string): string => readFileSync(join(pipelines, path), 'utf8');
const json = <T>(path: string): T => JSON.parse(read(path)) as T;
const yaml = <T>(path: string): T => load(read(path)) as T;

/** The options examples/pipelines/generate.mjs generates the committed files with (`node examples/pipelines/generate.mjs` after a contract change). */
const OPTIONS = {
  location: 's3://acme-logs/loglane/',
  table: 'loglane_logs',
  database: 'logs',
  region: 'eu-west-1',
  roleArn: 'arn:aws:iam::123456789012:role/firehose-loglane',
};

type Processor = { Type: string; Parameters?: { ParameterName: string; ParameterValue: string }[] };
interface DeliveryStream {
  DeliveryStreamName: string;
  DeliveryStreamType: string;
  ExtendedS3DestinationConfiguration: {
    BucketARN: string;
    Prefix: string;
    ErrorOutputPrefix: string;
    CompressionFormat: string;
    BufferingHints: { SizeInMBs: number; IntervalInSeconds: number };
    DataFormatConversionConfiguration: unknown;
    ProcessingConfiguration?: { Enabled: boolean; Processors: Processor[] };
    S3BackupMode: string;
    S3BackupConfiguration: { Prefix: string; CompressionFormat: string };
  };
}

describe('Athena tables and Firehose streams', () => {
  const glue = glueDefinition(OPTIONS);

  it('the committed DDL and Glue table input are what loglane schema prints', () => {
    expect(read('athena/create-table.sql')).toBe(generateSchema('athena', OPTIONS));
    expect(json('athena/glue-table-input.json')).toEqual({ DatabaseName: glue.DatabaseName, TableInput: glue.TableInput });
  });

  for (const file of ['firehose/delivery-stream-fluent-bit.json', 'firehose/delivery-stream-cloudwatch.json']) {
    it(`${file}: generated conversion, dt= prefixes, Parquet's own compression, a raw backup`, () => {
      const stream = json<DeliveryStream>(file);
      const s3 = stream.ExtendedS3DestinationConfiguration;
      expect(stream.DeliveryStreamType).toBe('DirectPut');
      expect(s3.DataFormatConversionConfiguration).toEqual(glue.DataFormatConversionConfiguration);
      expect(s3.Prefix).toBe(glue.Prefix);
      expect(s3.ErrorOutputPrefix).toBe(glue.ErrorOutputPrefix);
      expect(`s3://${s3.BucketARN.replace('arn:aws:s3:::', '')}/${s3.Prefix.replace(/dt=.*$/, '')}`).toBe(OPTIONS.location);
      // Format conversion writes Snappy-compressed Parquet, so S3 compression stays off; the largest buffer.
      expect(s3.CompressionFormat).toBe('UNCOMPRESSED');
      expect(s3.BufferingHints).toEqual({ SizeInMBs: 128, IntervalInSeconds: 300 });
      expect(s3.S3BackupMode).toBe('Enabled');
      expect(s3.S3BackupConfiguration.CompressionFormat).toBe('GZIP');
      expect(s3.S3BackupConfiguration.Prefix).toMatch(/dt=!\{timestamp:yyyy-MM-dd\}\/$/);
    });
  }

  it('Firehose may read exactly the generated Glue table and write the bucket the streams name', () => {
    const policy = json<{ Statement: { Action: string[]; Resource: string[] }[] }>('firehose/firehose-role-policy.json');
    const [glueRead, s3Write] = policy.Statement;
    expect(glueRead?.Action).toEqual(['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions']);
    expect(glueRead?.Resource).toContain(`arn:aws:glue:${OPTIONS.region}:123456789012:table/${OPTIONS.database}/${OPTIONS.table}`);
    const bucket = json<DeliveryStream>('firehose/delivery-stream-fluent-bit.json').ExtendedS3DestinationConfiguration.BucketARN;
    expect(s3Write?.Resource).toEqual([bucket, `${bucket}/*`]);
    expect(s3Write?.Action).toContain('s3:PutObject');
    const trust = json<{ Statement: { Principal: { Service: string } }[] }>('firehose/firehose-role-trust.json');
    expect(trust.Statement[0]?.Principal.Service).toBe('firehose.amazonaws.com');
    expect(OPTIONS.roleArn).toMatch(/:role\/firehose-loglane$/);
  });

  it('the CloudWatch stream decompresses, extracts the messages and delimits them, in that order, without Lambda', () => {
    const processing = json<DeliveryStream>('firehose/delivery-stream-cloudwatch.json').ExtendedS3DestinationConfiguration.ProcessingConfiguration;
    expect(processing?.Enabled).toBe(true);
    expect(processing?.Processors).toEqual([
      { Type: 'Decompression', Parameters: [{ ParameterName: 'CompressionFormat', ParameterValue: 'GZIP' }] },
      { Type: 'CloudWatchLogProcessing', Parameters: [{ ParameterName: 'DataMessageExtraction', ParameterValue: 'true' }] },
      { Type: 'AppendDelimiterToRecord' },
    ]);
    expect(json<DeliveryStream>('firehose/delivery-stream-fluent-bit.json').ExtendedS3DestinationConfiguration.ProcessingConfiguration).toBeUndefined();
  });

  it('the subscription filter sends the whole log group to that stream', () => {
    const filter = json<Record<string, string>>('cloudwatch/subscription-filter.json');
    const stream = json<DeliveryStream>('firehose/delivery-stream-cloudwatch.json');
    expect(filter.filterPattern).toBe('');
    expect(filter.destinationArn).toMatch(new RegExp(`:deliverystream/${stream.DeliveryStreamName}$`));
    const task = json<{ containerDefinitions: { logConfiguration: { logDriver: string; options: Record<string, string> } }[] }>('cloudwatch/ecs-task-definition.json');
    expect(task.containerDefinitions[0]?.logConfiguration.logDriver).toBe('awslogs');
    expect(task.containerDefinitions[0]?.logConfiguration.options['awslogs-group']).toBe(filter.logGroupName);
  });
});

describe('Fluent Bit', () => {
  interface Plugin {
    name: string;
    [key: string]: unknown;
  }
  const config = yaml<{ pipeline: { inputs: Plugin[]; filters: Plugin[]; outputs: Plugin[] } }>('fluent-bit/fluent-bit.yaml');
  const stream = json<DeliveryStream>('firehose/delivery-stream-fluent-bit.json');

  it('tails container logs with the docker and cri multiline parsers', () => {
    const tail = config.pipeline.inputs.find((p) => p.name === 'tail');
    expect(tail?.['multiline.parser']).toBe('docker, cri');
    expect(String(tail?.path)).toMatch(/\*\.log$/);
  });

  it('keeps stdout lines that are JSON objects, and sends the line itself to the stream', () => {
    expect(config.pipeline.filters.map((f) => [f.name, f.regex])).toEqual([
      ['grep', 'stream ^stdout$'],
      ['grep', 'log ^\\{'],
    ]);
    const out = config.pipeline.outputs[0];
    expect(out).toMatchObject({ name: 'kinesis_firehose', log_key: 'log', delivery_stream: stream.DeliveryStreamName, region: OPTIONS.region });
  });

  it('ECS FireLens: a fluentbit log router, the app on awsfirelens with the same output options', () => {
    const task = json<{ containerDefinitions: Record<string, unknown>[] }>('fluent-bit/ecs-task-definition.json');
    const router = task.containerDefinitions.find((c) => c.firelensConfiguration !== undefined) as { firelensConfiguration: { type: string; options: Record<string, string> } };
    expect(router.firelensConfiguration.type).toBe('fluentbit');
    expect(router.firelensConfiguration.options['enable-ecs-log-metadata']).toBe('false');
    const app = task.containerDefinitions.find((c) => c.logConfiguration !== undefined) as { logConfiguration: { logDriver: string; options: Record<string, string> } };
    expect(app.logConfiguration.logDriver).toBe('awsfirelens');
    expect(app.logConfiguration.options).toEqual({ Name: 'kinesis_firehose', region: OPTIONS.region, delivery_stream: stream.DeliveryStreamName, log_key: 'log' });
    const taskPolicy = json<{ Statement: { Action: string[]; Resource: string }[] }>('fluent-bit/task-role-policy.json');
    expect(taskPolicy.Statement[0]?.Action).toEqual(['firehose:PutRecordBatch']);
    expect(taskPolicy.Statement[0]?.Resource).toMatch(new RegExp(`:deliverystream/${stream.DeliveryStreamName}$`));
  });
});

describe('Elasticsearch + Kibana stack', () => {
  interface Service {
    image: string;
    command?: string[];
    volumes?: string[];
    depends_on?: Record<string, { condition: string }>;
  }
  const compose = yaml<{ services: Record<string, Service> }>('elasticsearch/docker-compose.yml');
  const filebeat = yaml<Record<string, unknown>>('elasticsearch/filebeat.yml');
  const template = json<{ index_patterns: string[] }>('elasticsearch/loglane-template.json');

  it('the committed template is what loglane schema prints', () => {
    expect(read('elasticsearch/loglane-template.json')).toBe(generateSchema('elasticsearch'));
  });

  it('loads the template before Kibana and Filebeat start', () => {
    const loader = compose.services.template;
    expect(loader?.command).toEqual(expect.arrayContaining(['PUT', 'http://elasticsearch:9200/_index_template/loglane', '@/loglane-template.json']));
    expect(loader?.volumes).toContain('./loglane-template.json:/loglane-template.json:ro');
    expect(loader?.depends_on?.elasticsearch?.condition).toBe('service_healthy');
    for (const name of ['kibana', 'filebeat']) expect(compose.services[name]?.depends_on?.template?.condition).toBe('service_completed_successfully');
    const dataView = JSON.parse(compose.services['data-view']?.command?.at(-1) ?? '{}') as { data_view: { title: string; timeFieldName: string } };
    expect(dataView.data_view).toMatchObject({ title: template.index_patterns[0], timeFieldName: TIME_FIELD });
  });

  it('Filebeat decodes each line to the top level and writes to indices the template covers', () => {
    const input = (filebeat['filebeat.inputs'] as { type: string; parsers: { ndjson?: Record<string, unknown> }[] }[])[0];
    expect(input?.type).toBe('filestream');
    expect(input?.parsers[0]?.ndjson).toEqual({ target: '', overwrite_keys: true, add_error_key: true });
    const index = (filebeat['output.elasticsearch'] as { index: string }).index;
    expect(index).toBe('loglane-%{+yyyy.MM.dd}');
    expect(template.index_patterns).toEqual(['loglane-*']);
    expect(filebeat['setup.template.enabled']).toBe(false);
    expect(filebeat['setup.ilm.enabled']).toBe(false);
    expect(filebeat['setup.template.pattern']).toBe(template.index_patterns[0]);
    const stamp = (filebeat.processors as { timestamp?: { field: string; layouts: string[]; test: string[] } }[])[0]?.timestamp;
    expect(stamp?.field).toBe(TIME_FIELD);
    // Go's reference time in the record's own form: 2006-01-02T15:04:05.999Z ↔ 2026-11-29T09:30:00.123Z.
    expect(stamp?.layouts).toEqual(['2006-01-02T15:04:05.999Z']);
    expect(stamp?.test[0]).toBe(new Date(stamp?.test[0] ?? '').toISOString());
  });
});

describe('replay.mjs: a day of archived lines into _bulk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loglane-replay-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const record = (day: string, n: number): string =>
    JSON.stringify({ [TIME_FIELD]: `${day}T10:00:00.${String(n).padStart(3, '0')}Z`, level: 'info', context: 'app', message: `m${n} {braces} "quoted"`, label: 'svc' });
  const envelope = (type: string, messages: string[]): string =>
    JSON.stringify({ messageType: type, owner: '123456789012', logGroup: '/ecs/svc', logStream: 's', subscriptionFilters: ['f'], logEvents: messages.map((message, i) => ({ id: String(i), timestamp: 0, message })) });

  async function replay(files: string[], reply: (body: string) => object): Promise<{ code: number; stdout: string; stderr: string; bodies: string[] }> {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(req.url === '/_bulk' ? reply(body) : { error: 'not found' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const es = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(pipelines, 'elasticsearch', 'replay.mjs'), '--es', es, ...files], (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    await new Promise((resolve) => server.close(resolve));
    return { ...result, bodies };
  }

  const ok = (body: string): object => ({ errors: false, items: body.split('\n').filter((_l, i) => i % 2 === 0).map(() => ({ index: { status: 201 } })) });

  it('reads plain and gzip NDJSON, concatenated objects and CloudWatch envelopes, into each record’s daily index', async () => {
    const plain = join(dir, 'a.ndjson');
    writeFileSync(plain, `${record('2026-11-28', 1)}\n${record('2026-11-29', 2)}\n`);
    const gz = join(dir, 'b.ndjson.gz');
    writeFileSync(gz, gzipSync(`${record('2026-11-29', 3)}${record('2026-11-29', 4)}`));
    const cw = join(dir, 'c.gz');
    // Two gzip members, as Firehose's raw backup of a CloudWatch subscription holds them.
    writeFileSync(cw, Buffer.concat([gzipSync(envelope('CONTROL_MESSAGE', ['CWL CONTROL MESSAGE: Checking health of destination Firehose.'])), gzipSync(envelope('DATA_MESSAGE', [record('2026-11-29', 5), record('2026-11-29', 6)]))]));
    const result = await replay([plain, gz, cw], ok);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('replay: 6 records sent, 0 without a timestamp skipped, 0 rejected');
    const lines = result.bodies.join('').trimEnd().split('\n');
    const pairs = lines.filter((_l, i) => i % 2 === 0).map((action, i) => [(JSON.parse(action) as { index: { _index: string } }).index._index, (JSON.parse(lines[i * 2 + 1] ?? '') as { message: string }).message]);
    expect(pairs).toEqual([
      ['loglane-2026.11.28', 'm1 {braces} "quoted"'],
      ['loglane-2026.11.29', 'm2 {braces} "quoted"'],
      ['loglane-2026.11.29', 'm3 {braces} "quoted"'],
      ['loglane-2026.11.29', 'm4 {braces} "quoted"'],
      ['loglane-2026.11.29', 'm5 {braces} "quoted"'],
      ['loglane-2026.11.29', 'm6 {braces} "quoted"'],
    ]);
  });

  it('exits 1 with the reasons when Elasticsearch rejects documents', async () => {
    const file = join(dir, 'bad.ndjson');
    writeFileSync(file, `${record('2026-11-29', 7)}\n`);
    const result = await replay([file], () => ({
      errors: true,
      items: [{ index: { status: 400, error: { type: 'document_parsing_exception', reason: 'failed to parse field [statusCode] of type [long]' } } }],
    }));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('1 rejected');
    expect(result.stderr).toContain('rejected: document_parsing_exception: failed to parse field [statusCode] of type [long]');
  });
});
