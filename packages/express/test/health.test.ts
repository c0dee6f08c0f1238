// The health-check filter: probes are not logged whatever their query string or mount prefix,
// unless they fail; the filter is configurable and can be turned off.

import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { flavours, ofContext, settled, setup } from './helpers';

describe.each(flavours)('health checks ($name)', ({ express }) => {
  function build(options: Parameters<typeof setup>[0] = {}) {
    const ll = setup(options);
    const app = express();
    app.use(ll.middleware);
    let healthy = true;
    const probe = (_req: unknown, res: { status(n: number): { send(b: string): void } }) => {
      if (healthy) res.status(200).send('ok');
      else res.status(503).send('down');
    };
    app.get('/health', probe);
    app.get('/healthz', probe);
    app.get('/ready', probe);
    app.get('/metrics', probe);
    app.get('/favicon.ico', probe);
    const api = express.Router();
    api.get('/health', probe);
    api.get('/internal/status', probe);
    api.get('/throw-health', () => {
      throw new Error('db unreachable');
    });
    app.use('/api/v1', api);
    app.get('/orders', (_req, res) => void res.send('orders'));
    app.use(ll.errorHandler);
    return { ll, app, setHealthy: (v: boolean) => (healthy = v) };
  }

  it('healthy probes are not logged, with a query string, a trailing slash, other case or a mount prefix', async () => {
    const { ll, app } = build();
    for (const url of ['/health', '/health?probe=kube', '/healthz', '/ready', '/metrics', '/favicon.ico', '/api/v1/health', '/api/v1/health?x=1', '/HEALTH', '/health/']) {
      await request(app).get(url).expect(200);
    }
    await request(app).get('/orders').expect(200);
    const records = await settled(ll);
    // Only the ordinary request is there.
    expect(records.map((r) => r.originalUrl)).toEqual(['/orders', '/orders']);
  });

  it('a failing probe is logged: both records, error level', async () => {
    const { ll, app, setHealthy } = build();
    setHealthy(false);
    await request(app).get('/api/v1/health?probe=1').expect(503);
    const records = await settled(ll);
    expect(records.map((r) => [r.context, r.level])).toEqual([
      ['HttpRequest', 'info'],
      ['HttpResponse', 'error'],
    ]);
    expect(records[1]).toMatchObject({ statusCode: 503, route: '/api/v1/health', originalUrl: '/api/v1/health?probe=1' });
  });

  it('a probe that throws is logged with its error', async () => {
    const ll = setup({ ignore: ['/throw-health'] });
    const app = express();
    app.use(ll.middleware);
    app.get('/throw-health', () => {
      throw new Error('db unreachable');
    });
    app.use(ll.errorHandler);
    await request(app).get('/throw-health').expect(500);
    const [response] = ofContext(await settled(ll), 'HttpResponse');
    expect(response).toMatchObject({ statusCode: 500, errorMessage: 'db unreachable' });
  });

  it('custom rules (exact, prefix, RegExp, function) are added to the defaults', async () => {
    const { ll, app } = build({ ignore: ['/api/v1/internal/*', '/orders'] });
    for (const url of ['/api/v1/internal/status', '/orders', '/health', '/metrics']) await request(app).get(url).expect(200);
    await request(app).get('/healthz?last=1').expect(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Neither the app's rules nor the defaults let anything through.
    expect(ll.records()).toEqual([]);
  });

  it('ignoreDefaults: false leaves only the rules given (exact, prefix, RegExp, function)', async () => {
    const { ll, app } = build({
      ignore: ['/api/v1/internal/*', /^\/ready$/, (path) => path === '/metrics'],
      ignoreDefaults: false,
    });
    for (const url of ['/api/v1/internal/status', '/ready', '/metrics', '/health']) await request(app).get(url).expect(200);
    const records = await settled(ll);
    // `/health` is logged: the defaults are off.
    expect(records.map((r) => r.originalUrl)).toEqual(['/health', '/health']);
  });

  it('ignore: false logs probes too', async () => {
    const { ll, app } = build({ ignore: false });
    await request(app).get('/health').expect(200);
    expect((await settled(ll)).map((r) => r.context)).toEqual(['HttpRequest', 'HttpResponse']);
  });
});
