// The figures of docs/volume.md: bytes per 1,000 requests of the scripted shop traffic before and
// after each volume lever, measured on a real Express app. Each lever must cut bytes without ever
// splitting a request's records or losing an error, and the docs' figures must stay within 3%.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkRecord, type LoglaneOptions } from '@loglane/core';
import type { LoglaneExpressOptions } from '@loglane/express';
import { describe, expect, it } from 'vitest';
import { MIX_SIZE, type MixRun, type Rec, byRequest, runMix, scriptMix } from './volume-traffic';

/** One row of the docs' table: its first cell, and the options it was measured with. */
interface Lever {
  row: string;
  options: Omit<LoglaneExpressOptions, 'logger'>;
  logger?: LoglaneOptions;
}

const LEVERS: readonly Lever[] = [
  { row: 'defaults', options: {} },
  { row: 'response bodies on error', options: { volume: { responseBody: 'onError' } } },
  { row: 'both bodies on error', options: { volume: { requestBody: 'onError', responseBody: 'onError' } } },
  { row: 'record budget 1 KB', options: {}, logger: { maxRecordBytes: 1024 } },
  { row: 'sampling 10%', options: { volume: { sampling: { rate: 0.1 } } } },
  { row: 'bodies on error + sampling 10%', options: { volume: { requestBody: 'onError', responseBody: 'onError', sampling: { rate: 0.1 } } } },
];

const DOC = readFileSync(join(__dirname, '../../../docs/volume.md'), 'utf8');

/** The number in the `column`th cell (0-based) of the table row whose first cell is `row`. */
function documented(row: string, column: number): number {
  const line = DOC.split('\n').find((l) => l.startsWith(`| ${row} |`));
  if (line === undefined) throw new Error(`docs/volume.md has no row "${row}"`);
  const cell = line.split('|')[column + 1]?.trim() ?? '';
  return Number(cell.replace(/[,%\s]/g, ''));
}

const perThousand = (bytes: number): number => Math.round((bytes * 1000) / MIX_SIZE);
const near = (measured: number, doc: number, tolerance = 0.03): boolean => Math.abs(measured - doc) <= Math.abs(doc) * tolerance + 1;

/** Every request's records go together: none, or an HttpRequest and an HttpResponse; every failure and warning is there. */
function checkWhole(run: MixRun): void {
  const script = scriptMix();
  const failing = script.filter((r) => r.status >= 500).length;
  const clientErrors = script.filter((r) => r.status >= 400 && r.status < 500).length;
  const warnings = script.filter((r) => r.status === 401).length;
  for (const record of run.records) expect(checkRecord(record)).toEqual([]);
  for (const [traceId, records] of byRequest(run.records)) {
    const contexts = records.map((r) => r.context);
    expect(contexts.filter((c) => c === 'HttpRequest'), traceId).toHaveLength(1);
    expect(contexts.filter((c) => c === 'HttpResponse'), traceId).toHaveLength(1);
    expect(contexts[0], traceId).toBe('HttpRequest');
    expect(contexts[contexts.length - 1], traceId).toBe('HttpResponse');
  }
  const responses = run.records.filter((r) => r.context === 'HttpResponse');
  expect(responses.filter((r) => (r.statusCode as number) >= 500)).toHaveLength(failing);
  expect(responses.filter((r) => (r.statusCode as number) >= 400 && (r.statusCode as number) < 500)).toHaveLength(clientErrors);
  expect(responses.filter((r) => (r.statusCode as number) >= 500).every((r) => r.errorMessage === 'pricing service unavailable')).toBe(true);
  expect(run.records.filter((r) => r.level === 'warn' && r.context === 'ShopService')).toHaveLength(warnings);
}

/** Bytes of the `"requestBody":…` and `"responseBody":…` members of a line. */
function bodyBytes(line: string): number {
  const record = JSON.parse(line) as Rec;
  let bytes = 0;
  for (const name of ['requestBody', 'responseBody']) {
    if (typeof record[name] === 'string') bytes += Buffer.byteLength(`,"${name}":${JSON.stringify(record[name])}`);
  }
  return bytes;
}

describe('bytes per 1,000 requests of the shop traffic (docs/volume.md)', () => {
  const runs = new Map<string, MixRun>();

  it.each(LEVERS)('$row', async (lever) => {
    const run = await runMix(lever.options, lever.logger);
    runs.set(lever.row, run);
    checkWhole(run);
    const bytes = perThousand(run.bytes);
    const base = runs.get('defaults');
    const share = base === undefined ? 100 : Math.round((run.bytes / base.bytes) * 100);
    // Printed so that the table can be regenerated: `| row | bytes | % of defaults |`.
    console.log(`| ${lever.row} | ${bytes.toLocaleString('en-US')} | ${share}% |`);
    expect(near(bytes, documented(lever.row, 2)), `${lever.row}: measured ${bytes}, documented ${documented(lever.row, 2)}`).toBe(true);
    expect(Math.abs(share - documented(lever.row, 3)), `${lever.row}: ${share}% of defaults`).toBeLessThanOrEqual(2);
    if (lever.row !== 'defaults') expect(run.bytes).toBeLessThan((base as MixRun).bytes);
  });

  it('successful requests and their bodies: the share of the bytes the docs give', async () => {
    const base = runs.get('defaults') ?? (await runMix());
    const requests = byRequest(base.records);
    let successBytes = 0;
    let successBodyBytes = 0;
    for (const line of base.lines) {
      const record = JSON.parse(line) as Rec;
      const response = requests.get(record.traceId as string)?.find((r) => r.context === 'HttpResponse');
      if (response === undefined || (response.statusCode as number) >= 400) continue;
      successBytes += Buffer.byteLength(line);
      successBodyBytes += bodyBytes(line);
    }
    const successShare = Math.round((successBytes / base.bytes) * 100);
    const bodyShare = Math.round((successBodyBytes / base.bytes) * 100);
    console.log(`successful requests: ${successShare}% of the bytes, their bodies ${bodyShare}%`);
    expect(Math.abs(successShare - documented('successful requests', 1))).toBeLessThanOrEqual(2);
    expect(Math.abs(bodyShare - documented('their bodies', 1))).toBeLessThanOrEqual(2);
  });
});
