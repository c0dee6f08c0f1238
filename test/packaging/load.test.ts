// The built packages load from CommonJS (`require`) and from ESM (`import`) with the same exports,
// and both builds share one trace context.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const fixtures = join(__dirname, 'fixtures');
const entries = ['@loglane/core', '@loglane/core/testing'];

function run(file: string, args: string[] = []): unknown {
  return JSON.parse(execFileSync(process.execPath, [join(fixtures, file), ...args], { cwd: __dirname, encoding: 'utf8' }));
}

describe('built packages', () => {
  it('are built (the test command builds before testing)', () => {
    expect(existsSync(join(__dirname, '../../packages/core/dist/cjs/index.js')), 'run `pnpm run build` first').toBe(true);
    expect(existsSync(join(__dirname, '../../packages/core/dist/esm/index.js'))).toBe(true);
  });

  it('load with require() and import, exporting the same names', () => {
    const required = run('load.cjs', entries) as Record<string, string[]>;
    const imported = run('load.mjs', entries) as Record<string, string[]>;
    expect(required['@loglane/core']).toContain('createLogger');
    for (const entry of entries) {
      expect(required[entry]?.length).toBeGreaterThan(0);
      expect(imported[entry]).toEqual(required[entry]);
    }
  });

  it('share one copy of the code, and so one trace context, between require() and import', () => {
    const result = run('dual.mjs') as { oneCopy: boolean; line: Record<string, unknown> };
    expect(result.oneCopy).toBe(true);
    expect(result.line.globalTraceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(result.line.label).toBe('dual');
  });
});
