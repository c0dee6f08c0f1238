// Hostile traffic through a fresh Nest app on Express and on Fastify (issue #8): the corpus of
// packages/express/test/hostile-corpus.ts, sent as raw bytes. Every line must stay one valid record
// within the cap, with our library fields, one record pair per request that reached the app.
import { All, Body, Controller, Logger, Query } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type HostileReply, checkHostileRun, hostileRequests, sendRaw } from '../../packages/express/test/hostile-corpus';
import { PLATFORMS, type TestApp, createTestApp, eventually } from './harness';

@Controller('api/things')
class ThingsController {
  private readonly logger = new Logger('Handler');

  @All()
  receive(@Body() body: unknown, @Query() query: unknown): { received: unknown; query: unknown } {
    // The app logs what the client sent as its own metadata: client-chosen keys.
    this.logger.log('body received', typeof body === 'object' && body !== null ? body : { body });
    return { received: body ?? null, query };
  }
}

let current: TestApp | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe.each(PLATFORMS)('hostile traffic through Nest on %s', (platform) => {
  it('keeps every line one valid record within the cap, with our ids and one record pair per request', async () => {
    current = await createTestApp({ controllers: [ThingsController] }, { platform, loglane: { logRequestHeaders: true } });
    await current.app.listen(0, '127.0.0.1');
    const { port } = (current.app.getHttpServer() as { address(): AddressInfo }).address();
    const sink = current.sink;
    // Bootstrap lines (no request, no ids) are not part of the run.
    const before = sink.lines.length;
    const replies: HostileReply[] = [];
    for (const request of hostileRequests('/api/things')) replies.push(await sendRaw(port, request));
    const reached = replies.filter((r) => r.traceId !== undefined).length;
    await eventually(() => expect(sink.lines.slice(before).filter((l) => l.includes('"context":"HttpResponse"')).length).toBe(reached), 5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const figures = checkHostileRun({ lines: sink.lines.slice(before), replies, maxLineBytes: 15_360, label: 'nest-test', appContexts: ['Handler'] });
    // Everything reached the app and was recorded but what Node's HTTP parser refuses, and on
    // Fastify a path that does not decode, which Fastify's router answers 400 before any middleware.
    const refused = replies.filter((r) => r.traceId === undefined).map((r) => r.name);
    expect(refused).toEqual([
      'header section over 16 KB (refused by Node: 431)',
      'a newline inside a header value (refused by Node: 400)',
      'a carriage return inside a header value (refused by Node: 400)',
      ...(platform === 'fastify' ? ['percent-encoded lone surrogate and invalid UTF-8 in the path'] : []),
      'a raw non-ASCII byte in the path (refused by Node: 400)',
    ]);
    for (const line of sink.lines) {
      expect(line).not.toContain('hunter2');
      expect(line).not.toContain('secret-token-123');
      expect(line).not.toContain('abc.def.ghi');
    }
    console.log(`nest ${platform}: ${JSON.stringify(figures)}`);
  });
});
