// The matched route template on HttpResponse: router mount paths, sub-apps, nested routers, and
// errors forwarded out of a router (where Express has already restored `req.baseUrl`).

import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { flavours, ofContext, settled, setup } from './helpers';

describe.each(flavours)('route templates ($name)', ({ express, major }) => {
  function build() {
    const ll = setup();
    const app = express();
    app.use(ll.middleware);

    const users = express.Router();
    users.get('/:id', (req, res) => void res.json({ id: req.params.id }));
    users.get('/:id/fail', (_req, _res, next) => next(new Error('nope')));
    users.get('/:id/throw', () => {
      throw new Error('thrown in a nested router');
    });
    users.get('/', (_req, res) => void res.json([]));

    const v1 = express.Router();
    v1.use('/users', users);
    v1.get('/status', (_req, res) => void res.send('ok'));

    const api = express.Router();
    api.use('/v1', v1);
    api.get('/users/:id', (req, res) => void res.json({ flat: req.params.id }));
    app.use('/api', api);

    const admin = express();
    admin.get('/reports/:year', (req, res) => void res.json({ year: req.params.year }));
    app.use('/admin', admin);

    app
      .route('/books/:isbn')
      .get((_req, res) => void res.send('book'))
      .put((_req, res) => void res.status(204).end());
    app.get(/^\/legacy\/(\d+)$/, (_req, res) => void res.send('legacy'));
    app.get(['/alias-a', '/alias-b'], (_req, res) => void res.send('alias'));

    app.use(ll.errorHandler);
    return { ll, app };
  }

  it.each([
    ['/api/users/42', '/api/users/:id'],
    ['/api/v1/users/42', '/api/v1/users/:id'],
    ['/api/v1/users', '/api/v1/users'],
    ['/api/v1/status?verbose=1', '/api/v1/status'],
    ['/admin/reports/2024', '/admin/reports/:year'],
    ['/books/978-3', '/books/:isbn'],
    ['/legacy/12', '/^\\/legacy\\/(\\d+)$/'],
    ['/alias-b', '/alias-a,/alias-b'],
  ])('GET %s → %s', async (url, template) => {
    const { ll, app } = build();
    await request(app).get(url).expect(200);
    const [response] = ofContext(await settled(ll), 'HttpResponse');
    expect(response).toMatchObject({ route: template, originalUrl: url });
  });

  it('errors forwarded out of nested routers keep the full template', async () => {
    const { ll, app } = build();
    await request(app).get('/api/v1/users/7/fail').expect(500);
    await request(app).get('/api/v1/users/7/throw').expect(500);
    const responses = ofContext(await settled(ll, 2), 'HttpResponse');
    expect(responses.map((r) => [r.route, r.errorMessage])).toEqual([
      ['/api/v1/users/:id/fail', 'nope'],
      ['/api/v1/users/:id/throw', 'thrown in a nested router'],
    ]);
  });

  it('no route matched: no route field', async () => {
    const { ll, app } = build();
    await request(app).get('/api/v1/nothing').expect(404);
    const [response] = ofContext(await settled(ll), 'HttpResponse');
    expect(response).not.toHaveProperty('route');
  });

  it('a catch-all route is reported as written', async () => {
    const ll = setup();
    const app = express();
    app.use(ll.middleware);
    const splat = major === 5 ? '/files/*path' : '/files/*';
    app.get(splat, (_req, res) => void res.send('file'));
    await request(app).get('/files/a/b/c.txt').expect(200);
    const [response] = ofContext(await settled(ll), 'HttpResponse');
    expect(response?.route).toBe(splat);
  });

  it('a mount path with parameters carries the request’s values (Express keeps no template for mounts)', async () => {
    const ll = setup();
    const app = express();
    app.use(ll.middleware);
    const tenant = express.Router();
    tenant.get('/orders/:id', (_req, res) => void res.send('ok'));
    app.use('/tenants/:tenantId', tenant);
    await request(app).get('/tenants/acme/orders/5').expect(200);
    const [response] = ofContext(await settled(ll), 'HttpResponse');
    expect(response?.route).toBe('/tenants/acme/orders/:id');
  });

  it('the app can still read and replace req.route', async () => {
    const ll = setup();
    const app = express();
    app.use(ll.middleware);
    app.get('/seen/:id', (req, res) => void res.json({ path: (req.route as { path: string }).path }));
    const res = await request(app).get('/seen/1').expect(200);
    expect(res.body).toEqual({ path: '/seen/:id' });
    await settled(ll);
  });
});
