// Regenerates the files under examples/pipelines/ that `loglane schema` makes (the Athena DDL, the
// Glue table input, the Firehose streams' conversion settings, the Elasticsearch template), from the
// built @loglane/core. Run after a change to the record contract: `npm run build && node examples/pipelines/generate.mjs`.
// test/downstream/pipelines.test.ts fails while they differ from what the command prints.

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { generateSchema, glueDefinition } = createRequire(import.meta.url)(join(here, '..', '..', 'packages', 'core', 'dist', 'cjs', 'index.js'));

/** The options of every generated example (docs/pipelines shows the same `loglane schema` commands). */
const OPTIONS = {
  location: 's3://acme-logs/loglane/',
  table: 'loglane_logs',
  database: 'logs',
  region: 'eu-west-1',
  roleArn: 'arn:aws:iam::123456789012:role/firehose-loglane',
};

const glue = glueDefinition(OPTIONS);
const write = (path, text) => writeFileSync(join(here, path), text);
const writeJson = (path, value) => write(path, `${JSON.stringify(value, null, 2)}\n`);

write('athena/create-table.sql', generateSchema('athena', OPTIONS));
writeJson('athena/glue-table-input.json', { DatabaseName: glue.DatabaseName, TableInput: glue.TableInput });
write('elasticsearch/loglane-template.json', generateSchema('elasticsearch'));
for (const file of ['firehose/delivery-stream-fluent-bit.json', 'firehose/delivery-stream-cloudwatch.json']) {
  const stream = JSON.parse(readFileSync(join(here, file), 'utf8'));
  Object.assign(stream.ExtendedS3DestinationConfiguration, {
    Prefix: glue.Prefix,
    ErrorOutputPrefix: glue.ErrorOutputPrefix,
    DataFormatConversionConfiguration: glue.DataFormatConversionConfiguration,
  });
  writeJson(file, stream);
}
console.log('examples/pipelines: generated files written');
