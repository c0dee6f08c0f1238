#!/usr/bin/env node
// `loglane-pretty`: pipe a service's JSON lines through it for coloured, one-line-per-record output
// on a developer's terminal (`node server.js | npx loglane-pretty`). Lines that are not JSON pass through.

import { createInterface } from 'node:readline';
import { prettyLine } from './pretty.js';

const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  process.stdout.write(line.startsWith('{') ? prettyLine(line, color) : `${line}\n`);
});
