// The trace context of a request is entered in middleware: controller, service, guard,
// interceptor and filter all see the same ids, 1,000 overlapping requests never see each other's,
// and the ids go on to the next service through HttpService (axios) and fetch.
import { type IncomingHttpHeaders, Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpModule, HttpService } from '@nestjs/axios';
import { Controller, Get, Headers, Inject, Injectable, Logger, Param } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { propagateTrace, runWithTraceContext, withTraceHeaders } from '@loglane/nest';
import { FIXTURE, Probe } from './fixture-app';
import { PLATFORMS, type TestApp, createTestApp, eventually, expectValidRecords } from './harness';

@Injectable()
class EchoService {
  private readonly logger = new Logger('EchoService');

  async echo(n: number): Promise<number> {
    await pause();
    this.logger.log('echo', { n });
    await pause();
    return n;
  }
}

function pause(): Promise<void> {
  return new Promise((resolve) => {
    // A random mix of timers and immediates, so that requests finish out of order.
    if (Math.random() < 0.5) setTimeout(resolve, Math.floor(Math.random() * 8));
    else setImmediate(resolve);
  });
}

@Controller('echo')
class EchoController {
  private readonly logger = new Logger('EchoController');
  constructor(@Inject(EchoService) private readonly service: EchoService) {}

  @Get(':n')
  async echo(@Param('n') n: string): Promise<{ n: number }> {
    await pause();
    this.logger.log('start', { n: Number(n) });
    return { n: await this.service.echo(Number(n)) };
  }
}

/** A 32-hex global trace id for request n. */
const idOf = (n: number): string => n.toString(16).padStart(32, 'a');

function get(port: number, path: string, headers: Record<string, string>, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(PLATFORMS)('trace context, Nest on %s', (platform) => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    for (const t of apps.splice(0)) await t.close();
  });

  it('is the same in guard, interceptor, controller, service and exception filter', async () => {
    const t = await createTestApp(FIXTURE, { platform });
    apps.push(t);
    await request(t.server).get('/users/5/filtered').set('authorization', 'Bearer good').expect(418);
    await eventually(() => expect(t.sink.of('HttpResponse')).toHaveLength(1));
    const response = t.sink.of('HttpResponse')[0]!;
    const seen = t.app.get(Probe).seen;
    expect(seen.map((s) => s.where)).toEqual(['guard', 'interceptor', 'controller', 'service', 'filter']);
    for (const sighting of seen) {
      expect(sighting, sighting.where).toEqual({ where: sighting.where, traceId: response.traceId, globalTraceId: response.globalTraceId });
    }
    // The app's lines of the request carry the same ids.
    for (const line of [...t.sink.of('UserService'), ...t.sink.of('TeapotFilter')]) {
      expect(line).toMatchObject({ traceId: response.traceId, globalTraceId: response.globalTraceId });
    }
  });

  it('reaches a handler after its JSON body has been read and parsed', async () => {
    const t = await createTestApp(FIXTURE, { platform });
    apps.push(t);
    await request(t.server)
      .post('/users')
      .set('authorization', 'Bearer good')
      .send({ name: 'Grace', email: 'grace@example.com', password: 'hopper-1906' })
      .expect(201);
    await eventually(() => expect(t.sink.of('HttpResponse')).toHaveLength(1));
    const response = t.sink.of('HttpResponse')[0]!;
    expect(t.sink.of('UserController')[0]).toMatchObject({ message: 'creating Grace', traceId: response.traceId, userId: 'u-42' });
    expect(t.app.get(Probe).seen.every((s) => s.traceId === response.traceId)).toBe(true);
  });

  it('keeps 1,000 overlapping requests apart: no id crosses from one request to another', async () => {
    const t = await createTestApp({ controllers: [EchoController], providers: [EchoService] }, { platform, loglane: { logResponseBody: false } });
    apps.push(t);
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const agent = new Agent({ keepAlive: true, maxSockets: 128 });
    const total = 1000;
    try {
      const statuses = await Promise.all(
        Array.from({ length: total }, (_, n) => get(port, `/echo/${n}`, { 'x-global-trace-id': idOf(n) }, agent)),
      );
      expect(statuses.every((s) => s === 200)).toBe(true);
    } finally {
      agent.destroy();
    }
    await eventually(() => expect(t.sink.of('HttpResponse')).toHaveLength(total), 10_000);
    expectValidRecords(t.sink);
    const traceOf = new Map<number, string>();
    for (const record of t.sink.of('HttpRequest')) {
      const n = Number(String(record.originalUrl).split('/')[2]);
      expect(record.globalTraceId).toBe(idOf(n));
      traceOf.set(n, record.traceId as string);
    }
    expect(new Set(traceOf.values()).size).toBe(total);
    for (const record of t.sink.of('HttpResponse')) {
      const n = Number(String(record.originalUrl).split('/')[2]);
      expect(record).toMatchObject({ globalTraceId: idOf(n), traceId: traceOf.get(n), statusCode: 200, handler: 'EchoController.echo' });
    }
    const appLines = [...t.sink.of('EchoController'), ...t.sink.of('EchoService')];
    expect(appLines).toHaveLength(2 * total);
    for (const line of appLines) {
      const n = line.n as number;
      expect(line.globalTraceId).toBe(idOf(n));
      expect(line.traceId).toBe(traceOf.get(n));
    }
  });
});

@Controller('items')
class ItemsController {
  @Get(':id')
  item(@Param('id') id: string, @Headers() headers: IncomingHttpHeaders): { id: string; traceparent?: string; forwarded?: string } {
    return { id, traceparent: headers.traceparent as string | undefined, forwarded: headers['x-global-trace-id'] as string | undefined };
  }
}

const DOWNSTREAM = Symbol('downstream url');

@Controller('outbound')
class OutboundController {
  constructor(
    @Inject(HttpService) private readonly http: HttpService,
    @Inject(DOWNSTREAM) private readonly downstream: { url: string },
  ) {
    propagateTrace(http);
  }

  @Get('axios')
  async viaAxios(): Promise<unknown> {
    const res = await firstValueFrom(this.http.get<unknown>(`${this.downstream.url}/items/1`));
    return res.data;
  }

  @Get('fetch')
  async viaFetch(): Promise<unknown> {
    const res = await fetch(`${this.downstream.url}/items/2`, withTraceHeaders({ headers: { accept: 'application/json' } }));
    return res.json();
  }
}

describe('outbound calls carry the trace to the next service', () => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    for (const t of apps.splice(0)) await t.close();
  });

  it.each(['axios', 'fetch'])('through %s: the next service logs the same globalTraceId', async (client) => {
    const downstream = await createTestApp({ controllers: [ItemsController] });
    apps.push(downstream);
    await downstream.app.listen(0, '127.0.0.1');
    const { port } = downstream.app.getHttpServer().address() as AddressInfo;
    const upstream = await createTestApp({
      imports: [HttpModule],
      controllers: [OutboundController],
      providers: [{ provide: DOWNSTREAM, useValue: { url: `http://127.0.0.1:${port}` } }],
    });
    apps.push(upstream);
    const res = await request(upstream.server).get(`/outbound/${client}`).expect(200);
    await eventually(() => expect(upstream.sink.of('HttpResponse')).toHaveLength(1));
    await eventually(() => expect(downstream.sink.of('HttpRequest')).toHaveLength(1));
    const up = upstream.sink.of('HttpResponse')[0]!;
    const down = downstream.sink.of('HttpRequest')[0]!;
    expect(down.globalTraceId).toBe(up.globalTraceId);
    expect(down.traceId).not.toBe(up.traceId);
    expect(res.body.forwarded).toBe(up.globalTraceId);
    expect(res.body.traceparent).toMatch(new RegExp(`^00-${String(up.globalTraceId)}-[0-9a-f]{16}-01$`));
  });

  it('keeps headers a call sets itself, installs once, and adds nothing outside a trace context', () => {
    type Config = { headers?: unknown };
    const interceptors: Array<(c: Config) => Config> = [];
    const axiosLike = { interceptors: { request: { use: (fn: (c: Config) => Config) => interceptors.push(fn) } } };
    propagateTrace(axiosLike);
    propagateTrace({ axiosRef: axiosLike });
    expect(interceptors).toHaveLength(1);
    const intercept = interceptors[0]!;
    expect(intercept({ headers: {} })).toEqual({ headers: {} });
    runWithTraceContext(
      () => {
        // A plain headers object (axios < 1) and an AxiosHeaders-like one (has/set).
        expect(intercept({ headers: { 'x-global-trace-id': 'mine' } }).headers).toEqual({
          'x-global-trace-id': 'mine',
          traceparent: expect.stringMatching(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/),
        });
        const bag = new Map<string, string>([['traceparent', 'theirs']]);
        intercept({ headers: { has: (n: string) => bag.has(n), set: (n: string, v: string) => bag.set(n, v) } });
        expect(Object.fromEntries(bag)).toEqual({ traceparent: 'theirs', 'x-global-trace-id': '4bf92f3577b34da6a3ce929d0e0e4736' });
        const init = withTraceHeaders({ method: 'POST', headers: { traceparent: 'theirs' } });
        expect(Object.fromEntries(new globalThis.Headers(init.headers))).toEqual({ traceparent: 'theirs', 'x-global-trace-id': '4bf92f3577b34da6a3ce929d0e0e4736' });
        expect(init.method).toBe('POST');
      },
      { globalTraceId: '4bf92f3577b34da6a3ce929d0e0e4736' },
    );
    expect(withTraceHeaders({ method: 'POST' })).toEqual({ method: 'POST' });
  });
});
