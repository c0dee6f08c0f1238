// Hostile traffic through a fresh Express 4 and 5 app (issue #8): oversized and malformed input,
// record-forging headers and bodies, spoofed addresses and trace headers. Every line must stay one
// valid record within the cap, with our library fields, two records per request, nothing forged.

import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type HostileReply, checkHostileRun, hostileRequests, sendRaw } from './hostile-corpus';
import { type Running, flavours, listen, setup, waitFor } from './helpers';

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe.each(flavours)('hostile traffic through $name', ({ express, name }) => {
  it('keeps every line one valid record within the cap, with our ids and one record pair per request', async () => {
    const ll = setup({ logRequestHeaders: true });
    const app = express();
    app.use(ll.middleware);
    app.use(express.json({ limit: '100kb' }));
    app.use(express.urlencoded({ extended: false, limit: '100kb' }));
    app.use(express.text({ limit: '100kb' }));
    const handler = ll.logger.child('Handler');
    // Every path: `app.use` matches all paths on both majors (their route syntaxes differ).
    app.use((req, res) => {
      // The app logs what the client sent as its own metadata: client-chosen keys.
      const body: unknown = req.body;
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) handler.info('body received', body as Record<string, unknown>);
      else handler.info('body received', { body });
      res.json({ received: body ?? null, query: req.query });
    });
    app.use(ll.errorHandler);
    app.use((err: { status?: number }, _req: unknown, res: { status(n: number): { json(b: unknown): void } }, _next: unknown) => {
      res.status(err.status ?? 500).json({ error: 'rejected' });
    });
    running = await listen(app);
    const { port } = running.server.address() as AddressInfo;
    const replies: HostileReply[] = [];
    for (const request of hostileRequests('/api/things')) replies.push(await sendRaw(port, request));
    const reached = replies.filter((r) => r.traceId !== undefined).length;
    await waitFor(() => (ll.lines.filter((l) => l.includes('"context":"HttpResponse"')).length >= reached ? true : undefined), 'every HttpResponse');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const figures = checkHostileRun({ lines: ll.lines, replies, maxLineBytes: 15_360, label: 'test-svc', appContexts: ['Handler'] });
    // The requests Node's parser refuses never reach the app: no ids, no records.
    expect(replies.filter((r) => r.traceId === undefined).map((r) => [r.name, r.status])).toEqual([
      ['header section over 16 KB (refused by Node: 431)', 431],
      ['a newline inside a header value (refused by Node: 400)', 400],
      ['a carriage return inside a header value (refused by Node: 400)', 400],
      ['a raw non-ASCII byte in the path (refused by Node: 400)', 400],
    ]);
    expect(figures.reachedApp).toBe(figures.requests - 4);
    // The ids a client sent are never ours; a valid traceparent still continues its trace.
    const forgedReply = replies.find((r) => r.name === 'a client-chosen x-trace-id');
    expect(forgedReply?.traceId).not.toBe('forged-trace-id');
    const records = ll.records();
    const continued = records.find((r) => r.traceId === forgedReply?.traceId);
    expect(continued?.globalTraceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    // The spoofed X-Forwarded-For is not the client address (Express's trust proxy is off).
    const spoofed = records.find((r) => r.traceId === replies.find((x) => x.name === 'x-forwarded-for spoofing')?.traceId);
    expect(String(spoofed?.ip)).toMatch(/127\.0\.0\.1$/);
    // Secrets a client sent stay redacted wherever they landed.
    for (const line of ll.lines) {
      expect(line).not.toContain('hunter2');
      expect(line).not.toContain('secret-token-123');
      expect(line).not.toContain('abc.def.ghi');
    }
    console.log(`${name}: ${JSON.stringify(figures)}`);
  });
});
