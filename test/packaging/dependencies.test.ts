// Every dependency a package declares is imported by its built files, and every package its built
// files import (code and declarations) is declared: what npm installs for a user is exactly what
// runs. Reads dist/ (needs `pnpm run build`), where the imports are what ships.
import { readFileSync, readdirSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '../..');

/**
 * Peers declared on purpose although no built file imports them, with the reason (kept short; the
 * package's README says it in full).
 */
const UNIMPORTED_PEERS: Record<string, Record<string, string>> = {
  '@loglane/express': { express: 'optional: guards the Express major the middleware was written for (4.17+ or 5); never installed on its own' },
  '@loglane/core': {
    '@opentelemetry/api': 'optional: the API 1.x registry on globalThis is read, never imported; npm warns of an API major whose registry it cannot read',
  },
};

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** `lodash/fp` -> `lodash`, `@scope/pkg/sub` -> `@scope/pkg`; undefined for relative paths and builtins. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || isBuiltin(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Package name -> built files importing it (require, import, import(), `declare module`, `/// <reference types>`). */
function importsOf(dist: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(js|d\.ts)$/.test(entry.name)) continue;
    const file = join(entry.parentPath, entry.name);
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const specifiers = [...info.importedFiles, ...info.typeReferenceDirectives, ...(info.ambientExternalModules ?? []).map((fileName) => ({ fileName }))].map((f) => f.fileName);
    for (const specifier of specifiers) {
      const name = packageOf(specifier);
      if (name) out.set(name, [...(out.get(name) ?? []), file.slice(root.length + 1)]);
    }
  }
  return out;
}

/** Keys that an object of the JSON text has more than once, as `path.key`. */
function repeatedKeys(text: string): string[] {
  const repeated: string[] = [];
  // JSON.parse keeps the last of two equal keys and says nothing: the tokens show both. A string
  // followed by `:` is a key of the innermost open object.
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, text);
  const stack: Set<string>[] = [];
  let path: string[] = [];
  let lastString: string | undefined;
  for (let token = scanner.scan(); token !== ts.SyntaxKind.EndOfFileToken; token = scanner.scan()) {
    if (token === ts.SyntaxKind.OpenBraceToken) {
      stack.push(new Set());
      path = [...path, lastString ?? ''];
    } else if (token === ts.SyntaxKind.CloseBraceToken) {
      stack.pop();
      path = path.slice(0, -1);
    } else if (token === ts.SyntaxKind.StringLiteral) lastString = scanner.getTokenValue();
    else if (token === ts.SyntaxKind.ColonToken && lastString !== undefined) {
      const keys = stack[stack.length - 1];
      if (keys?.has(lastString)) repeated.push([...path.slice(1), lastString].join('.'));
      keys?.add(lastString);
    }
  }
  return repeated;
}

describe.each(['core', 'express', 'nest'])('packages/%s', (dir) => {
  const manifestText = readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8');
  const manifest = JSON.parse(manifestText) as Manifest;

  it('has no key twice in package.json (JSON keeps the last: a second peerDependencies hides the first)', () => {
    expect(repeatedKeys(manifestText)).toEqual([]);
  });
  const imported = importsOf(join(root, 'packages', dir, 'dist'));
  const deps = Object.keys(manifest.dependencies ?? {});
  const peers = Object.keys(manifest.peerDependencies ?? {});

  it('imports every dependency it declares', () => {
    const unused = deps.filter((d) => !imported.has(d));
    expect(unused, `declared in ${manifest.name}'s dependencies, imported by no built file`).toEqual([]);
  });

  it('imports every peer it declares, or says why not', () => {
    const allowed = UNIMPORTED_PEERS[manifest.name] ?? {};
    const unused = peers.filter((p) => !imported.has(p) && allowed[p] === undefined);
    expect(unused, `peers of ${manifest.name} that no built file imports`).toEqual([]);
    for (const peer of Object.keys(allowed)) {
      expect(peers, `${peer} is listed as an unimported peer of ${manifest.name} but not declared`).toContain(peer);
      expect(manifest.peerDependenciesMeta?.[peer]?.optional, `an unimported peer must be optional: ${peer}`).toBe(true);
    }
  });

  it('declares every package its built files import', () => {
    const declared = new Set([...deps, ...peers, manifest.name]);
    const undeclared = [...imported].filter(([name]) => !declared.has(name)).map(([name, files]) => `${name} (${files[0]})`);
    expect(undeclared, `imported by ${manifest.name}'s built files but not declared`).toEqual([]);
  });
});
