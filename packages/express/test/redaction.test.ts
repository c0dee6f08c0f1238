// Planted secrets — in headers, body keys at any depth, the query string, bearer tokens and JWTs
// inside values, the response body — never reach a line.

import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { flavours, ofContext, settled, setup } from './helpers';

// Each secret is unique, so finding it anywhere in the output pinpoints a leak.
const SECRETS = {
  authorization: 'Bearer sk-live-AAAA1111',
  cookie: 'session=COOKIE2222',
  apiKeyHeader: 'APIKEY3333',
  password: 'PASSWORD4444',
  nestedToken: 'NESTEDTOKEN5555',
  card: '4111111111116666',
  queryToken: 'QUERYTOKEN7777',
  queryApiKey: 'QUERYAPIKEY8888',
  bearerInValue: 'BEARERVALUE9999',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJKV1QxMDEwIn0.c2lnbmF0dXJlMTAxMA',
  responseToken: 'RESPONSETOKEN1111',
  metaSecret: 'METASECRET1212',
};

describe.each(flavours)('redaction ($name)', ({ express }) => {
  it('no planted secret appears in any line', async () => {
    const ll = setup({ logRequestHeaders: true });
    const app = express();
    app.use(ll.middleware);
    app.use(express.json());
    app.post('/login', (req, res) => {
      ll.logger.info('login attempt', { clientSecret: SECRETS.metaSecret, user: (req.body as { user: string }).user });
      res.json({ user: 'ada', accessToken: SECRETS.responseToken, expiresIn: 3600 });
    });

    await request(app)
      .post(`/login?token=${SECRETS.queryToken}&api_key=${SECRETS.queryApiKey}&page=2`)
      .set('authorization', SECRETS.authorization)
      .set('cookie', SECRETS.cookie)
      .set('x-api-key', SECRETS.apiKeyHeader)
      .send({
        user: 'ada',
        password: SECRETS.password,
        profile: { settings: { refreshToken: SECRETS.nestedToken } },
        payment: { card: SECRETS.card },
        note: `please use Bearer ${SECRETS.bearerInValue} for this`,
        attachment: { id: SECRETS.jwt },
      })
      .expect(200);

    const records = await settled(ll);
    const output = ll.lines.join('');
    for (const [name, secret] of Object.entries(SECRETS)) {
      expect(output.includes(secret), `${name} leaked`).toBe(false);
    }
    // What is kept stays readable.
    const [req] = ofContext(records, 'HttpRequest');
    expect(req?.originalUrl).toBe('/login?token=[REDACTED]&api_key=[REDACTED]&page=2');
    expect(req?.message).toBe('POST /login');
    const body = JSON.parse(req?.requestBody as string) as Record<string, unknown>;
    expect(body).toMatchObject({ user: 'ada', password: '[REDACTED]', payment: { card: '[REDACTED]' } });
    expect(body.note).toBe('please use Bearer [REDACTED] for this');
    const headers = JSON.parse(req?.requestHeaders as string) as Record<string, unknown>;
    expect(headers.authorization).toBe('[REDACTED]');
    const [response] = ofContext(records, 'HttpResponse');
    expect(JSON.parse(response?.responseBody as string)).toEqual({ user: 'ada', accessToken: '[REDACTED]', expiresIn: 3600 });
    expect(ofContext(records, 'app')[0]).toMatchObject({ clientSecret: '[REDACTED]', user: 'ada' });
  });

  it('user redaction keys and paths from the logger options apply to bodies', async () => {
    const lines: string[] = [];
    const { loglane } = await import('@loglane/express');
    const ll = loglane({
      destination: { write: (line: string) => void lines.push(line) },
      logUncaught: false,
      redact: { keys: ['ssn'], paths: ['customer.dob'] },
    });
    const app = express();
    app.use(ll.middleware);
    app.use(express.json());
    app.post('/customers', (_req, res) => void res.status(201).send('created'));
    await request(app).post('/customers').send({ ssn: '078-05-1120', customer: { dob: '1970-01-01', name: 'Ada' } }).expect(201);
    await settled({ logger: ll.logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) });
    const output = lines.join('');
    expect(output).not.toContain('078-05-1120');
    expect(output).not.toContain('1970-01-01');
    expect(output).toContain('Ada');
  });
});
