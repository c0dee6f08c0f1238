// The volume levers in Nest, on Express and on Fastify: bodies on error (the request body on
// HttpResponse), sampling that writes a request whole or not at all and never drops a failure or a
// warning, and a caller's decision honoured.
import { BadRequestException, Body, Controller, Get, Logger, Param, Post } from '@nestjs/common';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { SAMPLED_HEADER } from '@loglane/core';
import type { LoglaneModuleOptions } from '@loglane/nest';
import { PLATFORMS, type Rec, type TestApp, createTestApp, eventually, expectValidRecords } from './harness';

@Controller('items')
class ItemsController {
  private readonly log = new Logger('ItemsController');

  @Get(':id')
  findOne(@Param('id') id: string): { id: string; name: string } {
    this.log.log(`item ${id} read`);
    if (id === 'low') this.log.warn('stock is low');
    return { id, name: 'Lamp' };
  }

  @Post()
  create(@Body() body: { qty?: unknown }): { created: unknown } {
    this.log.log('creating item');
    if (typeof body.qty !== 'number') throw new BadRequestException('qty must be a number');
    return { created: body };
  }

  @Get('fail/now')
  fail(): never {
    this.log.log('about to fail');
    throw new Error('pricing down');
  }
}

/** Contexts of each request's records, by traceId, in the order written. */
function requests(records: readonly Rec[]): string[][] {
  const by = new Map<string, string[]>();
  for (const r of records) {
    if (typeof r.traceId !== 'string') continue;
    by.set(r.traceId, [...(by.get(r.traceId) ?? []), r.context as string]);
  }
  return [...by.values()];
}

describe.each(PLATFORMS)('volume levers, Nest on %s', (platform) => {
  let t: TestApp | undefined;
  const app = async (loglane: LoglaneModuleOptions): Promise<TestApp> => {
    t = await createTestApp({ controllers: [ItemsController] }, { platform, loglane });
    return t;
  };
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('bodies on error: none for a success, both on HttpResponse for a 400', async () => {
    const { server, sink } = await app({ volume: { requestBody: 'onError', responseBody: 'onError' } });
    await request(server).post('/items').send({ qty: 1 }).expect(201);
    await request(server).post('/items').send({ qty: 'two' }).expect(400);
    await eventually(() => expect(sink.of('HttpResponse')).toHaveLength(2));
    expectValidRecords(sink);
    for (const r of sink.of('HttpRequest')) expect(r).not.toHaveProperty('requestBody');
    const [ok, bad] = sink.of('HttpResponse');
    expect(ok).not.toHaveProperty('requestBody');
    expect(ok).not.toHaveProperty('responseBody');
    expect(bad?.requestBody).toBe('{"qty":"two"}');
    expect(String(bad?.responseBody)).toContain('qty must be a number');
  });

  it('sampling: a sampled-out success writes nothing; a thrown error, a warning and a 400 write the whole request, in order', async () => {
    const { server, sink } = await app({ volume: { sampling: { rate: 0 } } });
    await request(server).get('/items/a').expect(200);
    await request(server).get('/items/fail/now').expect(500);
    await request(server).get('/items/low').expect(200);
    await request(server).post('/items').send({ qty: 'two' }).expect(400);
    await eventually(() => expect(sink.of('HttpResponse')).toHaveLength(3));
    await new Promise((r) => setTimeout(r, 30));
    expectValidRecords(sink);
    expect(requests(sink.records())).toEqual([
      ['HttpRequest', 'ItemsController', 'HttpResponse'],
      ['HttpRequest', 'ItemsController', 'ItemsController', 'HttpResponse'],
      ['HttpRequest', 'ItemsController', 'HttpResponse'],
    ]);
    expect(sink.of('HttpResponse').map((r) => [r.originalUrl, r.statusCode])).toEqual([
      ['/items/fail/now', 500],
      ['/items/low', 200],
      ['/items', 400],
    ]);
    expect(sink.of('HttpResponse')[0]?.errorMessage).toBe('pricing down');
  });

  it('a caller that says "sampled" is honoured', async () => {
    const { server, sink } = await app({ volume: { sampling: { rate: 0 } } });
    await request(server).get('/items/a').set(SAMPLED_HEADER, '1').expect(200);
    await request(server).get('/items/b').set(SAMPLED_HEADER, '0').expect(200);
    await eventually(() => expect(sink.of('HttpResponse')).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 30));
    expect(sink.of('HttpResponse').map((r) => r.originalUrl)).toEqual(['/items/a']);
    expect(requests(sink.records())).toEqual([['HttpRequest', 'ItemsController', 'HttpResponse']]);
  });
});
