// The built package (dist/cjs through require, dist/esm through import) in a child process with
// Express 4 and 5: stdout holds nothing but valid loglane lines, and the records are complete.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkRecord } from '@loglane/core';
import { beforeAll, describe, expect, it } from 'vitest';

const pkg = resolve(__dirname, '..');

describe('the built package', () => {
  beforeAll(() => {
    for (const dir of ['../core/dist/cjs', '../core/dist/esm', 'dist/cjs', 'dist/esm']) {
      expect(existsSync(join(pkg, dir, 'index.js')), `run \`pnpm run build\` first (${dir} is missing)`).toBe(true);
    }
  });

  it('require() and import give the same exports', () => {
    const names = (code: string, type: 'commonjs' | 'module'): string[] =>
      JSON.parse(
        spawnSync(process.execPath, [`--input-type=${type}`, '-e', code], { cwd: pkg, encoding: 'utf8', timeout: 20_000 }).stdout,
      ) as string[];
    const required = names("console.log(JSON.stringify(Object.keys(require('@loglane/express')).sort()))", 'commonjs');
    const imported = names("const m = await import('@loglane/express'); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default').sort()))", 'module');
    expect(required).toContain('loglane');
    expect(required).toContain('outboundTraceHeaders');
    expect(imported).toEqual(required);
  });

  it.each([
    ['cjs', 'express4'],
    ['cjs', 'express'],
    ['mjs', 'express4'],
    ['mjs', 'express'],
  ])('dist-app.%s with %s', (ext, express) => {
    const run = spawnSync(process.execPath, [join(__dirname, 'fixtures', `dist-app.${ext}`), express], {
      cwd: pkg,
      encoding: 'utf8',
      env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info', LOGLANE_PRETTY: '0' },
      timeout: 20_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n').filter((line) => line !== '');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const record of records) expect(checkRecord(record)).toEqual([]);
    expect(records.map((r) => [r.context, r.originalUrl ?? r.message])).toEqual([
      ['HttpRequest', '/api/items/7'],
      ['Items', 'saving'],
      ['HttpResponse', '/api/items/7'],
      ['HttpRequest', '/api/fail'],
      ['HttpResponse', '/api/fail'],
    ]);
    const [request, appLine, created, , failed] = records;
    expect(request?.requestBody).toBe('{"name":"x","password":"[REDACTED]"}');
    expect(appLine?.traceId).toBe(request?.traceId);
    expect(created).toMatchObject({ statusCode: 201, route: '/api/items/:id', userId: 'u-1', traceId: request?.traceId });
    expect(failed).toMatchObject({ statusCode: 500, route: '/api/fail', errorType: 'Error', errorMessage: 'dist failure' });
  });
});
