// The pipeline docs stay true: every `npx -p @loglane/core loglane …` command they show runs as
// written (on a sample of real lines where it names a file), the type table matches the generators,
// and every relative link and anchor points at something that exists.

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTRACT_FIELDS, TIME_FIELD, athenaDdl, duckdbColumns, indexTemplate, runCli } from '@loglane/core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const pages = [
  ...readdirSync(join(root, 'docs', 'pipelines')).map((f) => join(root, 'docs', 'pipelines', f)),
  join(root, 'docs', 'record-schema.md'),
  join(root, 'README.md'),
];
const text = (file: string): string => readFileSync(file, 'utf8');

/** Shell commands of ```sh blocks, with `\` continuations joined. */
function shellCommands(markdown: string): string[] {
  const blocks = markdown.match(/```sh\n[\s\S]*?```/g) ?? [];
  return blocks.flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n')).map((l) => l.trim());
}

const dir = mkdtempSync(join(tmpdir(), 'loglane-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sample = join(dir, 'sample.ndjson');
writeFileSync(
  sample,
  [
    '{"timestamp":"2026-11-29T09:30:00.123Z","level":"info","context":"OrderService","message":"order placed","label":"orders-api","orderId":"o-17","totalCents":2599}',
    '{"timestamp":"2026-11-29T09:30:01.000Z","level":"info","context":"HttpResponse","message":"GET /orders/o-17 200 3ms","label":"orders-api","method":"GET","originalUrl":"/orders/o-17","statusCode":200,"latencyMs":3}',
  ].join('\n') + '\n',
);

async function run(args: string[], input = ''): Promise<{ code: number; out: string; err: string }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  stdin.end(input);
  return { code: await runCli(args, { stdin, stdout, stderr }), out, err };
}

describe('the loglane commands in the docs', () => {
  const commands = pages.flatMap((page) =>
    shellCommands(text(page))
      .filter((line) => line.startsWith('npx -p @loglane/core loglane '))
      .map((line) => ({ page: page.slice(root.length + 1), line })),
  );

  it('are there', () => {
    expect(commands.length).toBeGreaterThanOrEqual(10);
  });

  it.each(commands)('$page: $line', async ({ line }) => {
    // Drop the comment, the redirection of the output, and stdin redirection (fed below).
    const [command = ''] = line.split(/\s+#/);
    const words = command.replace(/\s*>\s*\S+\s*$/, '').split(/\s+/).slice(4);
    const fromStdin = words.includes('<');
    const args = words
      .filter((w, i) => w !== '<' && words[i - 1] !== '<')
      // Every file the command names is the sample (a glob in the docs stands for such files).
      .map((w, i, all) => (all[i - 1] === '--from' || /\.ndjson$|\*/.test(w) ? sample : w));
    const result = await run(args, fromStdin ? readFileSync(sample, 'utf8') : '');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out.length).toBeGreaterThan(0);
  });
});

describe('docs/pipelines/README.md: the loglane check report shown', () => {
  it('is what loglane check prints for such a day', async () => {
    const shown = /<!-- check-output -->\n```text\n([\s\S]*?)```/.exec(text(join(root, 'docs', 'pipelines', 'README.md')))?.[1];
    const line = (extra: Record<string, unknown>): string =>
      JSON.stringify({ timestamp: '2026-11-29T09:30:00.000Z', level: 'info', context: 'app', message: 'm', label: 'orders-api', ...extra });
    const day = [
      line({ orderId: 'o-1', qty: 2 }),
      line({ orderId: 'o-2', qty: 3 }),
      line({ orderId: 'o-3', qty: 2.5 }),
      line({ orderId: 'o-4', qty: '4' }),
      line({ orderId: 'o-5', qty: 2.5 }),
      line({ orderId: 'o-6' }),
      line({ orderId: 'o-7' }),
      line({ orderId: 'o-8' }),
      line({ OrderId: 'o-9' }),
      line({}),
      line({}),
      line({ note: 'x'.repeat(15360) }),
      line({}),
      'Error: listen EADDRINUSE',
      line({ statusCode: '200' }),
    ];
    const result = await run(['check'], `${day.join('\n')}\n`);
    expect(result.code).toBe(1);
    expect(result.out).toBe(shown);
  });
});

describe('docs/record-schema.md: the type table is what the generators do', () => {
  const rows = text(join(root, 'docs', 'record-schema.md'))
    .split('\n')
    .filter((l) => l.startsWith('| ') && l.includes('`'))
    .map((l) => l.split('|').map((c) => c.trim()));
  const row = (first: string): string[] => rows.find((r) => r[1] === first) ?? [];
  const ddl = athenaDdl({ location: 's3://b/p/' });
  const duck = duckdbColumns();
  const es = indexTemplate('elasticsearch').template.mappings.properties;

  it('integers, booleans and the time', () => {
    for (const f of CONTRACT_FIELDS.filter((x) => x.type === 'integer')) {
      expect(row('integer')[2]).toContain(`\`${f.name}\``);
      expect(ddl).toMatch(new RegExp(`^ {2}${f.name.toLowerCase()} +bigint,?$`, 'm'));
      expect(duck).toContain(`'${f.name}': 'BIGINT'`);
      expect(es[f.name]).toEqual({ type: 'long' });
    }
    for (const f of CONTRACT_FIELDS.filter((x) => x.type === 'boolean')) expect(row('boolean')[2]).toContain(`\`${f.name}\``);
    expect(row('string (the time)')[2]).toBe(`\`${TIME_FIELD}\``);
  });

  it('the fields the line cap may cut are the text + keyword ones', () => {
    const cut = CONTRACT_FIELDS.filter((f) => f.type === 'string' && f.cut !== undefined).map((f) => `\`${f.name}\``);
    expect(row('string the line cap may cut')[2]).toBe(cut.join(', '));
    const json = CONTRACT_FIELDS.filter((f) => f.type === 'json').map((f) => `\`${f.name}\``);
    expect(row('string (JSON text)')[2]).toBe(json.join(', '));
  });
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  return new Set(
    (markdown.match(/^#+ .+$/gm) ?? []).map((h) =>
      h
        .replace(/^#+ /, '')
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

describe('links in docs/pipelines', () => {
  const linked = pages
    .filter((p) => p.includes(`${join('docs', 'pipelines')}`))
    .flatMap((page) => [...text(page).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => ({ page, target: m[1] ?? '' })))
    .filter(({ target }) => !/^(https?:|mailto:)/.test(target));

  it.each(linked)('$target (in $page)', ({ page, target }) => {
    const [path = '', anchor] = target.split('#');
    const file = path === '' ? page : resolve(dirname(page), path);
    expect(existsSync(file), file).toBe(true);
    if (anchor) expect([...anchors(text(file))]).toContain(anchor);
  });
});
