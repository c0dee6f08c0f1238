// `loglane check` and lintLines: each kind of problem found with its count and first line, clean
// lines pass, the command exits non-zero on any problem, and `loglane-pretty` keeps lines apart.

import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_LINE_BYTES, createLogger, lintLines, runCli } from '@loglane/core';
import type { LintProblem } from '@loglane/core';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', '..', 'packages', 'core', 'dist', 'cjs');
const good = (extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ timestamp: '2026-11-29T10:00:00.000Z', level: 'info', context: 'app', message: 'm', label: 'svc', ...extra });

const tmp = mkdtempSync(join(tmpdir(), 'loglane-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const pick = (problems: LintProblem[], kind: LintProblem['kind']): LintProblem[] => problems.filter((p) => p.kind === kind);

describe('lintLines', () => {
  it('passes clean lines, from a sync or an async iterable', async () => {
    const lines = [good({ orderId: 'o-1', qty: 2 }), good({ orderId: 'o-2', qty: 3 })];
    expect(await lintLines(lines)).toEqual({ lines: 2, records: 2, problems: [] });
    async function* stream(): AsyncGenerator<string> {
      yield* lines;
    }
    expect((await lintLines(stream())).problems).toEqual([]);
  });

  it('reports a type conflict per path with counts and the first offending line, integer vs fraction included', async () => {
    const report = await lintLines([good({ qty: 2 }), good({ qty: 3 }), good({ qty: 2.5 }), good({ qty: '4' }), good({ qty: 2.5 }), good({ qty: null })]);
    expect(pick(report.problems, 'type-conflict')).toEqual([
      { kind: 'type-conflict', path: 'qty', detail: 'integer on 2 lines (first 1), fraction on 2 lines (first 3), string on 1 line (first 4)', count: 3, firstLine: 3 },
    ]);
  });

  it('walks nested objects (nestedMeta) by path', async () => {
    const report = await lintLines([good({ order: { id: 1 } }), good({ order: { id: 'o-1' } })]);
    expect(pick(report.problems, 'type-conflict').map((p) => [p.path, p.firstLine])).toEqual([['order.id', 2]]);
  });

  it('reports keys that collide once lower-cased, in one record and across records', async () => {
    const report = await lintLines([good({ orderId: 'a', OrderId: 'b' }), good({ userRef: 'x' }), good({ userref: 'y' }), good({ userref: 'z' }), good({ userRef: 'w' })]);
    const collisions = pick(report.problems, 'case-collision');
    expect(collisions.map((p) => [p.path, p.firstLine, p.count])).toEqual([
      ['OrderId', 1, 1],
      ['orderid', 1, 1],
      ['userref', 3, 2],
    ]);
    expect(collisions[0]?.detail).toContain('"orderId" and "OrderId" are in one record');
    expect(collisions[2]?.detail).toBe('"userRef" (2 lines) and "userref" (2 lines) are one column once lower-cased');
  });

  it('reports lines over the cap, lines that are not one JSON object, and contract violations', async () => {
    const report = await lintLines([good({ pad: 'x'.repeat(300) }), '{"oops', '[1,2]', '', good({ statusCode: '200' }), '{"message":"no level"}'], { maxLineBytes: 256 });
    expect(report.lines).toBe(6);
    expect(report.records).toBe(3);
    expect(pick(report.problems, 'over-cap')).toEqual([{ kind: 'over-cap', path: '', detail: 'longer than 256 bytes', count: 1, firstLine: 1 }]);
    expect(pick(report.problems, 'not-json-object').map((p) => [p.detail, p.firstLine])).toEqual([
      ['not JSON', 2],
      ['a JSON array, not an object', 3],
      ['blank line', 4],
    ]);
    expect(pick(report.problems, 'contract').map((p) => [p.detail, p.firstLine])).toEqual([
      ['field "statusCode" is string, the contract says integer', 5],
      ['missing field "timestamp"', 6],
      ['missing field "level"', 6],
      ['missing field "context"', 6],
      ['missing field "label"', 6],
    ]);
  });

  it('checks against the cap the logger itself writes to by default', () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (l) => lines.push(l) }, logUncaught: false, label: 'svc' });
    // A line just under the default cap is written whole; one just over it is cut to fit.
    logger.info('x'.repeat(DEFAULT_MAX_LINE_BYTES - 150));
    logger.info('x'.repeat(DEFAULT_MAX_LINE_BYTES));
    const [under, over] = lines.map((l) => JSON.parse(l) as { truncated?: boolean });
    expect(under?.truncated).toBeUndefined();
    expect(over?.truncated).toBe(true);
    for (const line of lines) expect(Buffer.byteLength(line.replace(/\n$/, ''))).toBeLessThanOrEqual(DEFAULT_MAX_LINE_BYTES);
  });

  it('defaults the cap to the library’s 15360 bytes and reports progress', async () => {
    const seen: number[] = [];
    const lines = [good({ pad: 'x'.repeat(15360) }), ...Array.from({ length: 4 }, () => good())];
    const report = await lintLines(lines, { onProgress: (n) => seen.push(n), progressEvery: 2 });
    expect(pick(report.problems, 'over-cap')).toHaveLength(1);
    expect(seen).toEqual([2, 4]);
  });
});

describe('runCli', () => {
  async function cli(args: string[], input = ''): Promise<{ code: number; out: string; err: string }> {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    stdin.end(input);
    const code = await runCli(args, { stdin, stdout, stderr });
    return { code, out, err };
  }

  it('check: exit 0 on clean stdin, 1 with the report on any problem, --json for machines', async () => {
    expect(await cli(['check'], `${good()}\n${good()}\n`)).toEqual({ code: 0, out: 'ok: 2 lines, 2 records, no problems\n', err: '' });
    const bad = await cli(['check'], `${good({ n: 1 })}\n${good({ n: 'one' })}\n`);
    expect(bad.code).toBe(1);
    expect(bad.out).toBe('type-conflict    n: integer on 1 line (first 1), string on 1 line (first 2) — 1 line, first on line 2\n1 problem in 2 lines (2 records)\n');
    const json = await cli(['check', '--json', '--max-line-bytes', '10'], `${good()}\n`);
    expect(json.code).toBe(1);
    expect((JSON.parse(json.out) as { problems: LintProblem[] }).problems[0]?.kind).toBe('over-cap');
  });

  it('check prints a key holding terminal controls as escapes, never the controls themselves', async () => {
    // A metadata key a client chose: ESC [2J clears the screen, ESC ]0; retitles the window, a line
    // break would fake a report line of its own.
    const key = '\u001b[2J\u001b]0;owned\u0007\nok: 0 lines\u009b';
    const bad = await cli(['check'], `${good({ [key]: 1 })}\n${good({ [key]: 'one' })}\n`);
    expect(bad.code).toBe(1);
    // eslint-disable-next-line no-control-regex -- no control character but the report's own line breaks
    expect(bad.out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(bad.out.split('\n')).toHaveLength(3); // the problem, the summary, and the final break
    expect(bad.out).toContain('\\u001b[2J\\u001b]0;owned\\u0007\\nok: 0 lines\\u009b: integer on 1 line');
  });

  it('check shows a running count on stderr when it is a terminal, and clears it at the end', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = Object.assign(new PassThrough(), { isTTY: true });
    let err = '';
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    stdout.resume();
    stdin.end(`${Array.from({ length: 20_001 }, () => good()).join('\n')}\n`);
    expect(await runCli(['check'], { stdin, stdout, stderr })).toBe(0);
    expect(err).toBe('\rloglane check: 10000 lines\rloglane check: 20000 lines\r\u001b[K');
    // Not a terminal: nothing on stderr (see the first test of this block).
  });

  it('check reads files given as arguments', async () => {
    const a = join(tmp, 'a.ndjson');
    const b = join(tmp, 'b.ndjson');
    writeFileSync(a, `${good({ x: 1 })}\n`);
    writeFileSync(b, `${good({ x: true })}\n`);
    const result = await cli(['check', a, b]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('first on line 2');
  });

  it('schema: --field and --from add columns; a two-typed sample is refused with the reason', async () => {
    const sample = join(tmp, 'sample.ndjson');
    writeFileSync(sample, `${good({ orderId: 'o-1', amount: 12.5 })}\n${good({ orderId: 'o-2', amount: 3 })}\n`);
    const ok = await cli(['schema', '--format', 'duckdb', '--from', sample, '--field', 'amount:integer', '--field', 'region:string']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/'truncated': 'BOOLEAN', 'amount': 'BIGINT', 'region': 'VARCHAR', 'orderId': 'VARCHAR'\}\n$/);
    writeFileSync(sample, `${good({ orderId: 'o-1' })}\n${good({ orderId: 2 })}\n`);
    const refused = await cli(['schema', '--format', 'athena', '--location', 's3://b/p/', '--from', sample]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('"orderId" is string (first on line 1) and integer (first on line 2)');
    expect(refused.out).toBe('');
  });

  it('pretty: one line out per line in, JSON or not', async () => {
    const result = await cli(['pretty'], `{half a line\n${good({ orderId: 'o-1' })}\n`);
    expect(result.code).toBe(0);
    expect(result.out.split('\n')).toEqual(['{half a line', expect.stringMatching(/INFO {4}\[app\] m orderId=o-1$/), '']);
  });

  it('usage errors exit 2 with the usage', async () => {
    const noFormat = await cli(['schema']);
    expect(noFormat.code).toBe(2);
    expect(noFormat.err).toContain('--format is one of athena, glue, elasticsearch, opensearch, duckdb, json-schema');
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['check', '--nope'])).code).toBe(2);
    expect((await cli(['schema', '--format'])).code).toBe(2);
    expect((await cli(['check', 'stray', '--json=yes'])).code).toBe(2);
    expect((await cli(['--help'])).code).toBe(0);
  });

  it('athena without --location says what it needs', async () => {
    const result = await cli(['schema', '--format', 'athena']);
    expect(result.code).toBe(1);
    expect(result.err).toContain('athena needs --location s3://bucket/prefix/');
  });
});

describe('the built bins', () => {
  const built = existsSync(join(dist, 'cli.js'));
  const run = promisify(execFile);

  it.runIf(built)('loglane-pretty keeps a line that starts with { but is not JSON on its own line', async () => {
    const child = spawn(process.execPath, [join(dist, 'pretty-cli.js')], { env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stdin.end(`{not json\n${good({ orderId: 'o-1' })}\nplain text\n`);
    await new Promise((resolve) => child.once('exit', resolve));
    const shown = out.split('\n');
    expect(shown[0]).toBe('{not json');
    expect(shown[1]).toMatch(/INFO {4}\[app\] m orderId=o-1$/);
    expect(shown[2]).toBe('plain text');
  });

  it.runIf(built)('loglane --help and a schema through the bin', async () => {
    expect((await run(process.execPath, [join(dist, 'cli.js'), '--help'])).stdout).toContain('loglane schema --format');
    const { stdout } = await run(process.execPath, [join(dist, 'cli.js'), 'schema', '--format', 'elasticsearch']);
    expect((JSON.parse(stdout) as { template: { mappings: { date_detection: boolean } } }).template.mappings.date_detection).toBe(false);
  });
});
