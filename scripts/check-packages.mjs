// The packages as published, linted: publint (package.json fields, exports, files) and
// are-the-types-wrong (types for every entry under node10, node16 CJS/ESM and bundler resolution),
// both on the tarballs `pnpm pack` produces. Exits 1 on any problem. Part of the test command.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { packAll, root } from '../test/packaging/pack.mjs';

const work = mkdtempSync(join(tmpdir(), 'loglane-check-packages-'));
const attw = join(root, 'node_modules', '.bin', 'attw');
let problems = 0;
try {
  const tarballs = packAll(join(work, 'tarballs'));
  for (const [name, tarball] of Object.entries(tarballs)) {
    const bytes = readFileSync(tarball);
    const { messages, pkg } = await publint({ pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }, strict: true });
    console.log(`\n--- publint ${name}: ${messages.length === 0 ? 'no problems' : `${messages.length} problems`}`);
    for (const m of messages) console.log(`  ${m.type}: ${formatMessage(m, pkg) ?? m.code}`);
    // strict: suggestions and warnings count as problems too.
    problems += messages.length;
    console.log(`--- attw ${name}`);
    const result = spawnSync(attw, ['--format', 'table-flipped', tarball], { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } });
    if (result.status !== 0) problems++;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(problems === 0 ? '\npublint and attw: no problems' : `\npublint and attw: ${problems} problems`);
process.exit(problems === 0 ? 0 : 1);
