// examples/nest-service (Nest 11 + @loglane/nest) in process, through supertest, with the jest matchers.
import 'reflect-metadata';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { LoglaneLoggerService } from '@loglane/nest';
import { type CapturedRecord, useLogCapture } from '@loglane/core/testing/jest';
import request from 'supertest';
import { AppModule, configureApp } from '../../nest-service/src/app.module';

const logs = useLogCapture();
const auth = { authorization: 'Bearer demo-token' };

let app: INestApplication;
let inventory: Server;
const inventorySaw: IncomingHttpHeaders[] = [];
let bootRecords: CapturedRecord[] = [];

beforeAll(async () => {
  // A stand-in for examples/express-inventory, on a loopback port of its own.
  inventory = createServer((req, res) => {
    inventorySaw.push(req.headers);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id: req.url?.split('/').pop(), stock: 3 }));
  });
  await new Promise<void>((resolve) => inventory.listen(0, '127.0.0.1', resolve));
  const inventoryUrl = `http://127.0.0.1:${(inventory.address() as AddressInfo).port}`;

  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ inventoryUrl })] }).compile();
  // As src/main.ts does: every line Nest prints goes through loglane.
  app = moduleRef.createNestApplication({ bufferLogs: true });
  app.useLogger(app.get(LoglaneLoggerService));
  configureApp(app);
  await app.init();
  // The capture started before this hook: keep what Nest wrote while booting (the first test clears it).
  bootRecords = logs.records;
});

afterAll(async () => {
  await app?.close();
  await new Promise((resolve) => inventory?.close(resolve));
});

describe('examples/nest-service', () => {
  it("captures Nest's own bootstrap lines as loglane records", () => {
    expect(bootRecords).toHaveLogged({ context: 'NestApplication', level: 'info', message: expect.stringContaining('successfully started') });
    expect(bootRecords).toHaveLogged({ context: 'RouterExplorer', message: expect.stringContaining('/users/:id, GET') });
    expect(bootRecords).toHaveValidRecords();
  });

  it('GET /users/:id: the request pair around the service line, all with the ids and the user', async () => {
    const res = await request(app.getHttpServer()).get('/users/user-1').set(auth).expect(200);
    expect(logs).toHaveLoggedInOrder([
      { context: 'HttpRequest', method: 'GET', originalUrl: '/users/user-1' },
      { context: 'UsersService', message: 'user found', foundId: 'user-1', userId: 'user-1' },
      {
        context: 'HttpResponse',
        statusCode: 200,
        route: '/users/:id',
        handler: 'UsersController.findOne',
        userId: 'user-1',
        latencyMs: expect.any(Number),
        responseBody: { id: 'user-1', name: 'Ada' },
      },
    ]);
    expect(logs).toHaveConsistentTraceIds(res.headers['x-trace-id'] as string);
    expect(logs).toHaveLoggedTimes({ context: 'HttpResponse' }, 1);
  });

  it('POST /users: the password is redacted in requestBody and appears on no line', async () => {
    await request(app.getHttpServer())
      .post('/users')
      .set(auth)
      .send({ name: 'Grace', email: 'grace@example.com', password: 'hopper-1906' })
      .expect(201);
    expect(logs).toHaveLogged({ context: 'HttpRequest', requestBody: { email: 'grace@example.com', password: '[REDACTED]' } });
    expect(logs).toHaveLogged({ context: 'UsersService', message: 'user created', createdId: expect.stringMatching(/^user-\d+$/) });
    expect(logs).toHaveNoLineContaining('hopper-1906');
  });

  it('a body that fails validation: a 400 HttpResponse naming the exception', async () => {
    await request(app.getHttpServer()).post('/users').set(auth).send({ name: 'x', email: 'not-an-email', password: 'p' }).expect(400);
    expect(logs).toHaveLogged({ context: 'HttpResponse', level: 'warn', statusCode: 400, errorType: 'BadRequestException' });
    expect(logs).not.toHaveLogged({ context: 'UsersService' });
  });

  it('a guard rejection: 401, still naming its handler', async () => {
    await request(app.getHttpServer()).get('/users/user-1').expect(401);
    expect(logs).toHaveLogged({ context: 'HttpResponse', statusCode: 401, errorType: 'UnauthorizedException', handler: 'UsersController.findOne' });
    expect(logs).toHaveConsistentTraceIds();
  });

  it('GET /health is not logged while it passes', async () => {
    await request(app.getHttpServer()).get('/health').expect(200);
    expect(logs).toHaveLoggedTimes({ originalUrl: '/health' }, 0);
  });

  it('GET /boom: one error record, with the stack as one string, and no second copy from Nest', async () => {
    await request(app.getHttpServer()).get('/boom').expect(500);
    expect(logs).toHaveLoggedTimes({ level: 'error' }, 1);
    expect(logs).toHaveLogged({
      context: 'HttpResponse',
      statusCode: 500,
      errorType: 'Error',
      errorMessage: 'the reports database is unreachable',
      errorStack: expect.stringContaining('HealthController.boom'),
    });
  });

  it('GET /inventory/:id continues the caller\'s trace and hands it to the inventory service', async () => {
    const parent = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await request(app.getHttpServer())
      .get('/inventory/sku-9')
      .set(auth)
      .set('traceparent', `00-${parent}-00f067aa0ba902b7-01`)
      .expect(200);
    expect(logs).toHaveConsistentTraceIds({ traceId: res.headers['x-trace-id'] as string, globalTraceId: parent });
    expect(logs).toHaveLogged({ context: 'InventoryController', message: 'asking the inventory service', globalTraceId: parent });
    expect(inventorySaw.at(-1)).toMatchObject({ 'x-global-trace-id': parent, traceparent: expect.stringContaining(parent) });
  });

  it('a matcher that should fail does fail, and its message shows the closest record first', async () => {
    await request(app.getHttpServer()).get('/users/nobody').set(auth).expect(404);
    let message = '';
    try {
      expect(logs).toHaveLogged({ context: 'HttpResponse', statusCode: 200, route: '/users/:id' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(
      'Expected a record matching\n  { context: "HttpResponse", statusCode: 200, route: "/users/:id" }\nbut none of the 2 captured records matches.\n\n' +
        'Nearest records:\n  #1 warn HttpResponse "GET /users/nobody 404 ',
    );
    expect(message).toMatch(/matches 2 of 3 fields\n {5}statusCode: expected 200, received 404\n/);
  });
});
