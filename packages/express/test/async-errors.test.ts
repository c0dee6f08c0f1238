// What really happens to an async handler that throws, in a child process with the built package
// (docs/express.md, "Errors"): Express 4 lets the rejection go unhandled and Node ends the process
// with a `fatal` record; wrapping the handler (or Express 5) records the error on HttpResponse.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkRecord } from '@loglane/core';
import { beforeAll, describe, expect, it } from 'vitest';

const pkg = resolve(__dirname, '..');
type Rec = Record<string, unknown>;

function run(express: 'express' | 'express4', mode: 'bare' | 'wrapped'): { status: number | null; records: Rec[]; stderr: string } {
  const child = spawnSync(process.execPath, [join(__dirname, 'fixtures', 'async-throw.cjs'), express, mode], {
    cwd: pkg,
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info', LOGLANE_PRETTY: '0' },
  });
  const records = child.stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const record = JSON.parse(line) as Rec;
      expect(checkRecord(record)).toEqual([]);
      return record;
    });
  return { status: child.status, records, stderr: child.stderr };
}

describe('an async handler that throws (child process, built package)', () => {
  beforeAll(() => {
    for (const dir of ['../core/dist/cjs', 'dist/cjs']) {
      expect(existsSync(join(pkg, dir, 'index.js')), `run \`pnpm run build\` first (${dir} is missing)`).toBe(true);
    }
  });

  it('Express 4, unwrapped: the process exits with a fatal record; no HttpResponse, no answer', () => {
    const { status, records, stderr } = run('express4', 'bare');
    expect(status).toBe(1);
    const [request, fatal] = records;
    expect(request).toMatchObject({ context: 'HttpRequest', originalUrl: '/orders' });
    expect(fatal).toMatchObject({ level: 'fatal', errorMessage: 'async failure', traceId: request?.traceId });
    expect(String(fatal?.message)).toContain('unhandledRejection');
    expect(records.filter((r) => r.context === 'HttpResponse')).toEqual([]);
    expect(stderr).not.toContain('client got');
  });

  it('Express 4, wrapped to pass the rejection to next(err): recorded on HttpResponse, the process lives', () => {
    const { status, records, stderr } = run('express4', 'wrapped');
    expect(status).toBe(0);
    expect(stderr).toContain('client got 500');
    expect(records.find((r) => r.context === 'HttpResponse')).toMatchObject({ statusCode: 500, errorMessage: 'async failure', level: 'error' });
    expect(records.filter((r) => r.level === 'fatal')).toEqual([]);
  });

  it('Express 5, unwrapped: recorded on HttpResponse, the process lives', () => {
    const { status, records, stderr } = run('express', 'bare');
    expect(status).toBe(0);
    expect(stderr).toContain('client got 500');
    expect(records.find((r) => r.context === 'HttpResponse')).toMatchObject({ statusCode: 500, errorMessage: 'async failure' });
  });
});
