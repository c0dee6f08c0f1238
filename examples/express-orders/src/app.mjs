// Service A of the demo: an orders API. It logs its own lines, resolves the signed-in user, and
// calls the inventory service with fetch + outboundTraceHeaders(), so that both services' records
// of one order share a globalTraceId.

import express from 'express';
import { loglane, outboundTraceHeaders } from '@loglane/express';

/**
 * @typedef {object} OrdersOptions
 * @property {string} inventoryUrl base URL of the inventory service (`http://127.0.0.1:4001`)
 * @property {import('@loglane/express').LoglaneLogger} [logger] write to this logger (tests pass an in-memory one)
 */

/** @typedef {import('express').Request & { user?: { id: string } }} AuthedRequest */

/**
 * Builds the orders app.
 * @param {OrdersOptions} options
 * @returns {{ app: import('express').Express, logger: import('@loglane/express').LoglaneLogger }}
 */
export function createOrdersApp({ inventoryUrl, ...options }) {
  const { middleware, errorHandler, logger } = loglane(
    /** @type {import('@loglane/express').LoglaneExpressOptions<AuthedRequest>} */ ({
      label: 'orders-api',
      version: '1.0.0',
      // Asked when each record is written: HttpResponse gets the user that auth found.
      userId: (req) => req.user?.id,
      ...options,
    }),
  );
  const log = logger.child('OrderService');
  /** @type {Map<string, { id: string, sku: string, qty: number, reservationId?: string }>} */
  const orders = new Map([['o-1001', { id: 'o-1001', sku: 'C-3', qty: 1 }]]);
  let nextOrder = 1002;

  const app = express();
  app.use(middleware);
  app.use(express.json());

  // A stand-in for real auth: `Authorization: Bearer demo-<userId>`.
  app.use((req, _res, next) => {
    const match = /^Bearer demo-([\w-]+)$/.exec(req.headers.authorization ?? '');
    if (match?.[1]) /** @type {AuthedRequest} */ (req).user = { id: match[1] };
    next();
  });

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  const api = express.Router();

  api.post('/login', (req, res) => {
    const { email, password } = /** @type {{ email?: string, password?: string }} */ (req.body ?? {});
    if (!email || password !== 'correct horse battery staple') {
      log.warn('login refused', { email });
      res.status(401).json({ error: 'bad credentials' });
      return;
    }
    log.info('login', { email });
    res.json({ token: `demo-${email.split('@')[0]}`, expiresIn: 3600 });
  });

  api.get('/orders/:id', (req, res) => {
    const order = orders.get(req.params.id);
    if (!order) {
      res.status(404).json({ error: 'no such order' });
      return;
    }
    res.json(order);
  });

  api.get('/orders/:id/invoice', () => {
    // A handler that throws: Express passes the error to loglane's errorHandler, then to ours.
    throw new Error('invoice service is not configured');
  });

  api.post('/orders', async (req, res) => {
    const { sku, qty } = /** @type {{ sku?: string, qty?: number }} */ (req.body ?? {});
    log.info('placing order', { sku, qty });
    // The trace ids travel with the call: traceparent + x-global-trace-id.
    const reply = await fetch(`${inventoryUrl}/reservations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...outboundTraceHeaders() },
      body: JSON.stringify({ sku, qty }),
    });
    const reservation = /** @type {{ reservationId?: string, error?: string }} */ (await reply.json());
    if (!reply.ok) {
      log.warn('inventory refused the reservation', { status: reply.status, reason: reservation.error });
      res.status(409).json({ error: reservation.error ?? 'not available' });
      return;
    }
    const order = { id: `o-${nextOrder++}`, sku: String(sku), qty: Number(qty), reservationId: reservation.reservationId };
    orders.set(order.id, order);
    log.info('order placed', { orderId: order.id, reservationId: order.reservationId });
    res.status(201).json(order);
  });

  app.use('/api', api);

  // loglane records the error on HttpResponse and passes it on; this handler answers the client.
  app.use(errorHandler);
  app.use(jsonErrors);

  return { app, logger };
}

/**
 * The app's own error handler: a JSON answer with the error's status (500 when it has none).
 * @param {{ status?: unknown, message?: unknown }} err
 * @param {import('express').Request} _req
 * @param {import('express').Response} res
 * @param {import('express').NextFunction} _next
 */
function jsonErrors(err, _req, res, _next) {
  const status = typeof err?.status === 'number' ? err.status : 500;
  res.status(status).json({ error: status < 500 ? String(err.message) : 'internal error' });
}
