// OpenTelemetry's winston instrumentation (its logs bridge) receives what logger.info() writes: the
// record as written (redacted), its level, and the span it was written in; exactly once, even after
// the app adds a transport of its own. Runs in a child process with the SDK preloaded.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Result {
  lines: Record<string, unknown>[];
  appTransport: string[];
  logRecords: { body: unknown; severityText: string; traceId?: string; spanId?: string; attributes: Record<string, unknown> }[];
}

const fixtures = join(__dirname, 'fixtures');
const result = JSON.parse(
  execFileSync(process.execPath, ['--require', join(fixtures, 'otel-setup.cjs'), join(fixtures, 'winston-bridge.cjs')], {
    cwd: __dirname,
    encoding: 'utf8',
  }),
) as Result;

describe('the winston instrumentation with a loglane logger', () => {
  it('sends every written record to the OTel Logs SDK once, with the level and the span', () => {
    expect(result.lines.map((l) => l.message)).toEqual(['login', 'failed', 'after an app transport was added']);
    expect(result.logRecords.map((r) => r.body)).toEqual(result.lines.map((l) => l.message));
    expect(result.logRecords.map((r) => r.severityText)).toEqual(['info', 'error', 'warn']);
    for (const [index, record] of result.logRecords.entries()) {
      const line = result.lines[index] ?? {};
      expect(record.traceId).toBe(line.globalTraceId);
      expect(record.spanId).toBe(line.spanId);
    }
    expect(result.appTransport).toEqual(['after an app transport was added']);
  });

  it('sends the record as written: redacted, with the error fields, never the raw metadata', () => {
    const [login, failed] = result.logRecords;
    expect(login?.attributes.password).toBe('[REDACTED]');
    expect(JSON.stringify(result.logRecords)).not.toContain('hunter2');
    const { message: _m, level: _l, ...rest } = result.lines[1] ?? {};
    expect(failed?.attributes).toEqual(rest);
    expect(failed?.attributes).toMatchObject({ errorType: 'TypeError', errorMessage: 'bad input' });
  });
});
