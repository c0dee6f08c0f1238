#!/usr/bin/env node
// Replays archived loglane records into Elasticsearch (the docker-compose stack beside this file):
// `node replay.mjs [--es http://127.0.0.1:9200] [--index-prefix loglane-] [--dry-run] <file or folder>...`
//
// Reads what a day's archive on S3 holds, as downloaded with `aws s3 cp --recursive`:
//   - NDJSON lines (.ndjson, .json, .log), plain or gzip-compressed (Firehose's raw source backup);
//   - concatenated JSON objects without newlines (`{...}{...}`, Firehose records with no delimiter);
//   - CloudWatch Logs subscription envelopes (`{"messageType":"DATA_MESSAGE","logEvents":[...]}`,
//     gzip, several per file): each log event's message is one record; CONTROL_MESSAGEs are skipped.
// Each record goes to the daily index of its own `timestamp` (loglane-2026.11.29), in _bulk batches.
// Exits 1 if Elasticsearch rejects any document, printing the first reasons. No dependencies.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const BATCH_DOCS = 1000;
const BATCH_BYTES = 5 * 1024 * 1024;

function parseArgs(argv) {
  const options = { es: 'http://127.0.0.1:9200', indexPrefix: 'loglane-', dryRun: false, paths: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--es') options.es = argv[++i] ?? options.es;
    else if (arg === '--index-prefix') options.indexPrefix = argv[++i] ?? options.indexPrefix;
    else if (arg === '--dry-run') options.dryRun = true;
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: node replay.mjs [--es http://127.0.0.1:9200] [--index-prefix loglane-] [--dry-run] <file or folder>...');
      process.exit(0);
    } else options.paths.push(arg);
  }
  if (options.paths.length === 0) {
    console.error('replay: give the archive files or folders to replay (see --help)');
    process.exit(2);
  }
  return options;
}

/** Every file under the given paths, in name order (Firehose names objects by time). */
function filesOf(paths) {
  const files = [];
  for (const path of paths) {
    if (statSync(path).isDirectory()) files.push(...filesOf(readdirSync(path).sort().map((name) => join(path, name))));
    else files.push(path);
  }
  return files;
}

/** The file's text, gunzipped when it starts with the gzip magic bytes (all members of a multi-member file). */
function textOf(file) {
  const bytes = readFileSync(file);
  return (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** Splits text into its top-level JSON objects, newline-separated or not, keeping each one's exact text. */
export function* jsonObjects(text) {
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) yield text.slice(start, i + 1);
    }
  }
}

/** The loglane lines in one archive file: CloudWatch envelopes are opened, records pass as they are. */
export function* recordLines(text) {
  for (const object of jsonObjects(text)) {
    let parsed;
    try {
      parsed = JSON.parse(object);
    } catch {
      continue;
    }
    if (Array.isArray(parsed.logEvents) && typeof parsed.messageType === 'string') {
      if (parsed.messageType !== 'DATA_MESSAGE') continue;
      for (const event of parsed.logEvents) {
        // Message extraction's job: each event's message is one line the service wrote.
        for (const line of String(event.message ?? '').split('\n')) if (line.trim() !== '') yield line;
      }
    } else yield object;
  }
}

/** The daily index of a record, from its own time; undefined when it has none. */
function indexOf(line, prefix) {
  const match = /"timestamp":"(\d{4})-(\d{2})-(\d{2})T/.exec(line);
  return match ? `${prefix}${match[1]}.${match[2]}.${match[3]}` : undefined;
}

async function send(es, body) {
  const res = await fetch(`${es.replace(/\/$/, '')}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
  if (!res.ok) throw new Error(`_bulk answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
  const reply = await res.json();
  const failed = (reply.items ?? []).map((item) => item.index ?? item.create).filter((r) => r?.error);
  return { failed: failed.length, reasons: failed.slice(0, 3).map((r) => `${r.error.type}: ${r.error.reason}`) };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  let sent = 0;
  let skipped = 0;
  let failed = 0;
  const reasons = [];
  let batch = '';
  let docs = 0;
  const flush = async () => {
    if (docs === 0) return;
    if (!options.dryRun) {
      const result = await send(options.es, batch);
      failed += result.failed;
      if (reasons.length < 3) reasons.push(...result.reasons);
    }
    sent += docs;
    batch = '';
    docs = 0;
  };
  for (const file of filesOf(options.paths)) {
    for (const line of recordLines(textOf(file))) {
      const index = indexOf(line, options.indexPrefix);
      if (index === undefined) {
        skipped++;
        continue;
      }
      batch += `${JSON.stringify({ index: { _index: index } })}\n${line}\n`;
      docs++;
      if (docs >= BATCH_DOCS || batch.length >= BATCH_BYTES) await flush();
    }
  }
  await flush();
  console.log(`replay: ${sent} records ${options.dryRun ? 'read (dry run)' : 'sent'}, ${skipped} without a timestamp skipped, ${failed} rejected`);
  for (const reason of reasons.slice(0, 3)) console.error(`  rejected: ${reason}`);
  return failed > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`replay: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
