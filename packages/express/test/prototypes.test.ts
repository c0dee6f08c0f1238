// The once-per-app hooks: loglane follows requests through the app's own request and response
// prototypes, never Express's or node:http's shared ones, adds no property to the request, and
// still works where the middleware runs in a mounted sub-app (hooks on each request there).

import { IncomingMessage, ServerResponse } from 'node:http';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { flavours, ofContext, settled, setup } from './helpers';

/** The functions of the shared prototypes loglane must leave alone. */
function sharedFunctions(express: { request: object; response: object }): unknown[] {
  const sources = [IncomingMessage.prototype, ServerResponse.prototype, express.request, express.response] as Record<string, unknown>[];
  return sources.flatMap((source) => ['emit', 'write', 'end', 'writeHead', 'json', 'route'].map((name) => Object.getOwnPropertyDescriptor(source, name)?.value));
}

describe.each(flavours)('prototype hooks ($name)', ({ express }) => {
  it('hooks the app’s own prototypes only, adds no own property but loglane’s exchange to the request, leaves other apps alone', async () => {
    const before = sharedFunctions(express);
    const ll = setup();
    const app = express();
    app.use(ll.middleware);
    let ownKeys: (string | symbol)[] = [];
    let bareKeys: (string | symbol)[] = [];
    app.get('/users/:id', (req, res) => {
      ownKeys = Reflect.ownKeys(req);
      res.json({ id: req.params.id });
    });
    app.use(ll.errorHandler);
    await request(app).get('/users/1').expect(200);
    await request(app).get('/users/2').expect(200);
    const [, response] = ofContext(await settled(ll, 2), 'HttpResponse');
    expect(response).toMatchObject({ route: '/users/:id', responseBody: '{"id":"2"}' });

    const bare = express();
    bare.get('/users/:id', (req, res) => {
      bareKeys = Reflect.ownKeys(req);
      res.json({ id: req.params.id });
    });
    await request(bare).get('/users/3').expect(200).expect({ id: '3' });
    // No own property beyond those of a request of an app without loglane (which has one more:
    // `route`, that Express assigns and loglane's accessor on the app's prototype takes), except
    // one symbol: the exchange lives on the request, not in a WeakMap, which V8's young-generation
    // GC does not free (test/young-gc.test.ts); the matched route lives on the exchange. A symbol
    // is not in `Object.keys`, `for…in` or `JSON.stringify(req)`.
    const added = ownKeys.filter((k) => !bareKeys.includes(k));
    expect(added.map((k) => (typeof k === 'symbol' ? k.description : k))).toEqual(['loglane.exchange']);
    expect(ownKeys.length).toBeGreaterThan(10);
    expect(sharedFunctions(express)).toEqual(before);
    expect(Object.prototype.hasOwnProperty.call(app.response, 'emit')).toBe(true);
    expect(Object.prototype.hasOwnProperty.call(bare.response, 'emit')).toBe(false);
  });

  it('middleware in a mounted sub-app: records, bodies and route as in a top-level app', async () => {
    const ll = setup();
    const outer = express();
    const inner = express();
    inner.use(ll.middleware);
    inner.use(express.json());
    inner.post('/items/:id', (req, res) => {
      res.status(201).send(`made ${String((req.body as { name?: string }).name)}`);
    });
    inner.use(ll.errorHandler);
    outer.use('/api', inner);
    await request(outer).post('/api/items/9').send({ name: 'box' }).expect(201);
    const [req, res] = await settled(ll, 1);
    expect(req).toMatchObject({ context: 'HttpRequest', requestBody: '{"name":"box"}' });
    expect(res).toMatchObject({ context: 'HttpResponse', statusCode: 201, route: '/api/items/:id', responseBody: '"made box"' });
  });
});
