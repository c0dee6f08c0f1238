// Shared by the benchmark scripts: medians, number formatting, the machine line, package versions,
// and rewriting one marked section of docs/performance.md (or bench/results/*.json) in place.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const rootDir = join(benchDir, '..');
export const docPath = join(rootDir, 'docs', 'performance.md');
export const resultsDir = join(benchDir, 'results');

const require = createRequire(join(benchDir, 'package.json'));

/** Median of a list of numbers (mean of the middle two for an even count). */
export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Spread of a list around its median: (max - min) / median, as a percentage. */
export function spreadPct(values) {
  const finite = values.filter((v) => Number.isFinite(v));
  const m = median(finite);
  if (!Number.isFinite(m) || m === 0) return Number.NaN;
  return ((Math.max(...finite) - Math.min(...finite)) / m) * 100;
}

/** `12,345` style integers. */
export function int(value) {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

/** A number with `digits` decimals. */
export function fixed(value, digits = 1) {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** A ratio like `1.23×`. */
export function ratio(value) {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

/** Version of an installed package, as resolved from the bench package. */
export function versionOf(name) {
  try {
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
  } catch {
    try {
      // Packages whose exports map hides package.json: walk up from the entry point.
      let dir = dirname(require.resolve(name));
      for (let i = 0; i < 6; i++) {
        const file = join(dir, 'package.json');
        if (existsSync(file)) {
          const pkg = JSON.parse(readFileSync(file, 'utf8'));
          if (pkg.name === name) return pkg.version;
        }
        dir = dirname(dir);
      }
    } catch {
      // not installed
    }
    return 'not installed';
  }
}

/** One line naming the machine: CPU model, cores, memory, Node version, platform. */
export function machineLine() {
  const cpu = cpus();
  const model = cpu[0]?.model?.trim() || 'unknown CPU';
  const memGiB = Math.round(totalmem() / 2 ** 30);
  return `${model}, ${cpu.length} cores, ${memGiB} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/** `name version` pairs as one comma-separated line. */
export function versionsLine(names) {
  return names.map((name) => `${name} ${versionOf(name)}`).join(', ');
}

/** A Markdown table from a header row and body rows. */
export function table(header, rows, align) {
  const sep = header.map((_, i) => (align?.[i] === 'l' ? '---' : '---:'));
  return [header, sep, ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');
}

/**
 * Replaces the text between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` in
 * docs/performance.md. A missing file or marker pair is an error: the doc's prose is written by
 * hand and the markers say where generated tables go.
 */
export function writeDocSection(name, markdown) {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const doc = readFileSync(docPath, 'utf8');
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from === -1 || to === -1 || to < from) {
    throw new Error(`bench: ${docPath} has no ${start} … ${end} markers; add them where the ${name} table belongs`);
  }
  const next = `${doc.slice(0, from + start.length)}\n${markdown.trim()}\n${doc.slice(to)}`;
  writeFileSync(docPath, next);
}

/** Saves raw results next to the scripts (bench/results/NAME.json) for later comparison. */
export function saveResults(name, data) {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(data, null, 2)}\n`);
}

/** Today's date as YYYY-MM-DD (UTC). */
export function today() {
  return new Date().toISOString().slice(0, 10);
}

/** Parses `--name value` and `--flag` arguments. */
export function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) continue;
    const key = arg.slice(2);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) args[key] = true;
    else {
      args[key] = next;
      i++;
    }
  }
  return args;
}
