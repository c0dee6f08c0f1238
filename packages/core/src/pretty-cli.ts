#!/usr/bin/env node
// `loglane-pretty`: pipe a service's JSON lines through it for coloured, one-line-per-record output
// on a developer's terminal (`node server.js | npx -p @loglane/core loglane-pretty`). Lines that are
// not JSON pass through, each still on a line of its own.

import { runPretty } from './downstream/commands.js';

const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
void runPretty({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, color });
