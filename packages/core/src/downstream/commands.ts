// The `loglane` command's subcommands (`schema`, `check`, `pretty`) as functions over streams, so
// the bin stays a two-line file and tests can run a command in-process.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { prettyLine } from '../pretty.js';
import { FieldInference, parseFieldOption } from './columns.js';
import { SCHEMA_FORMATS, generateSchema } from './formats.js';
import type { SchemaFormat } from './formats.js';
import { DEFAULT_MAX_LINE_BYTES, formatLintReport, lintLines } from './lint.js';

/** Where a command reads and writes (the process's streams in the bin). */
export interface CommandIo {
  /** Lines to read when no file is named (`check`, `pretty`). */
  stdin: NodeJS.ReadableStream;
  /** The command's output: the definition, the report, the pretty lines. */
  stdout: NodeJS.WritableStream;
  /** Errors and, when `isTTY`, the progress line of `check`. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Colour the pretty output. @default false */
  color?: boolean;
}

/** `loglane --help`. */
export const USAGE = `usage: loglane <command> [options]

  loglane schema --format <${SCHEMA_FORMATS.join('|')}> [options]
      Prints a table definition made from the record contract.
      --table <name>            table name (athena, glue; default loglane_logs)
      --database <name>         Glue database (glue; default default)
      --location s3://b/prefix/ where the dt=YYYY-MM-DD/ folders are (required for athena, glue)
      --since YYYY-MM-DD        first day of partition projection (athena, glue; default 2024-01-01)
      --region <r> --role-arn <arn>  Firehose SchemaConfiguration (glue; default left out)
      --index-pattern <p>       index pattern, repeatable (elasticsearch, opensearch; default loglane-*)
      --field name:type         an app metadata column, repeatable; type: string, integer, double,
                                boolean, timestamp, json
      --from <file.ndjson>      add a column for every app field seen in these lines (refuses a
                                field that has two types); --field wins over what --from infers

  loglane check [--max-line-bytes N] [--json] [file ...]
      Reads JSON lines (stdin when no file) and reports type conflicts, keys that collide once
      lower-cased, lines over the cap (default ${DEFAULT_MAX_LINE_BYTES}), lines that are not one JSON object
      and records that break the contract. Exit status 1 when there is any problem.

  loglane pretty
      One coloured line per record, for a terminal (same as loglane-pretty).
`;

function linesOf(input: NodeJS.ReadableStream): AsyncIterable<string> {
  return createInterface({ input, crlfDelay: Infinity });
}

/** `loglane pretty` / `loglane-pretty`: every line out as one line; lines that are not JSON pass through. */
export async function runPretty(io: CommandIo): Promise<number> {
  for await (const line of linesOf(io.stdin)) {
    const text = line.startsWith('{') ? prettyLine(line, io.color ?? false) : line;
    // prettyLine hands back a line it cannot parse unchanged, without its newline.
    io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
  return 0;
}

async function runSchema(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      format: { type: 'string' },
      table: { type: 'string' },
      database: { type: 'string' },
      location: { type: 'string' },
      since: { type: 'string' },
      region: { type: 'string' },
      'role-arn': { type: 'string' },
      'index-pattern': { type: 'string', multiple: true },
      field: { type: 'string', multiple: true },
      from: { type: 'string' },
    },
  });
  const format = values.format;
  if (!format || !(SCHEMA_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format is one of ${SCHEMA_FORMATS.join(', ')}`);
  }
  const declared = (values.field ?? []).map(parseFieldOption);
  const fields = [...declared];
  if (values.from !== undefined) {
    const inference = new FieldInference();
    for await (const line of linesOf(createReadStream(values.from))) inference.add(line);
    fields.push(...inference.fields(new Set(declared.map((f) => f.key))));
  }
  io.stdout.write(
    generateSchema(format as SchemaFormat, {
      fields,
      table: values.table,
      database: values.database,
      location: values.location,
      since: values.since,
      region: values.region,
      roleArn: values['role-arn'],
      indexPatterns: values['index-pattern'],
    }),
  );
  return 0;
}

async function* linesOfAll(files: string[], stdin: NodeJS.ReadableStream): AsyncIterable<string> {
  if (files.length === 0) {
    yield* linesOf(stdin);
    return;
  }
  for (const file of files) yield* linesOf(createReadStream(file));
}

async function runCheck(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'max-line-bytes': { type: 'string' }, json: { type: 'boolean' } },
  });
  const cap = values['max-line-bytes'] === undefined ? DEFAULT_MAX_LINE_BYTES : Number(values['max-line-bytes']);
  if (!Number.isInteger(cap) || cap <= 0) throw new UsageError('--max-line-bytes is a positive integer');
  const tty = io.stderr.isTTY === true;
  const report = await lintLines(linesOfAll(positionals, io.stdin), {
    maxLineBytes: cap,
    onProgress: tty ? (n) => io.stderr.write(`\rloglane check: ${n} lines`) : undefined,
  });
  if (tty) io.stderr.write('\r\u001b[K');
  io.stdout.write(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatLintReport(report));
  return report.problems.length === 0 ? 0 : 1;
}

/** A mistake in the command line: printed with the usage, exit status 2. */
class UsageError extends Error {}

/**
 * Runs `loglane <args>` and resolves to its exit status: 0 done (check: no problem), 1 check found
 * problems or the command failed (the reason on stderr), 2 a wrong command line.
 */
export async function runCli(args: readonly string[], io: CommandIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'schema':
        return await runSchema(rest, io);
      case 'check':
        return await runCheck(rest, io);
      case 'pretty':
        return await runPretty(io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown }).code;
    const usage = err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_'));
    io.stderr.write(`loglane ${command ?? ''}: ${message}\n${usage ? `\n${USAGE}` : ''}`);
    return usage ? 2 : 1;
  }
}
