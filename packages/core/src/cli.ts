#!/usr/bin/env node
// `loglane`: `loglane schema --format athena|glue|elasticsearch|opensearch|duckdb|json-schema`,
// `loglane check < lines.ndjson`, `loglane pretty` (see docs/pipelines/README.md and `loglane --help`).

import { runCli } from './downstream/commands.js';

const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
void runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, color }).then((code) => {
  process.exitCode = code;
});
