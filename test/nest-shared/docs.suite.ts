// docs/nest.md stays true: its example lines keep the record contract, and its options table
// names every option LoglaneModule.forRoot takes (read from the interfaces in the source).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRecord } from '@loglane/core';

const root = join(__dirname, '../..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** The member names of `export interface <name>` in a source file. */
function membersOf(source: string, name: string): string[] {
  const start = source.indexOf(`export interface ${name} `);
  if (start === -1) throw new Error(`interface ${name} not found`);
  const body = source.slice(start, source.indexOf('\n}', start));
  return [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]!);
}

describe('docs/nest.md', () => {
  const doc = read('docs/nest.md');

  it('has example lines that keep the record contract', () => {
    const lines = (doc.match(/```json\n[\s\S]*?```/g) ?? []).flatMap((b) => b.split('\n')).filter((l) => l.startsWith('{"timestamp"'));
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) expect(checkRecord(JSON.parse(line)), line).toEqual([]);
  });

  it('documents every option of LoglaneModule.forRoot, with its default', () => {
    const excluded = new Set(['logger', 'userId']); // HttpLoggingOptions members the module replaces
    const options = [
      ...membersOf(read('packages/core/src/logger.ts'), 'LoglaneOptions'),
      ...membersOf(read('packages/core/src/http.ts'), 'HttpLoggingOptions').filter((m) => !excluded.has(m)),
      ...membersOf(read('packages/core/src/trace.ts'), 'TraceOptions'),
      ...membersOf(read('packages/nest/src/options.ts'), 'LoglaneModuleOptions'),
    ];
    expect(options).toEqual(expect.arrayContaining(['label', 'ignore', 'traceHeaders', 'enhancers', 'userId', 'logger']));
    const table = doc.slice(doc.indexOf('## Options'), doc.indexOf('## What the module installs'));
    for (const option of options) expect(table, option).toMatch(new RegExp(`^\\| \`${option}\` \\| [^|]+ \\|`, 'm'));
  });
});
