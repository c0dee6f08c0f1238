// Service B of the demo: an inventory API. The orders service calls it; its records carry the
// globalTraceId the orders service sent, and a traceId of its own.

import express from 'express';
import { loglane } from '@loglane/express';

/**
 * @typedef {object} InventoryOptions
 * @property {import('@loglane/express').LoglaneLogger} [logger] write to this logger (tests pass an in-memory one)
 */

/**
 * Builds the inventory app. Stock lives in memory; the app is the same whether it listens on a port
 * (`server.mjs`) or is driven in-process by supertest.
 * @param {InventoryOptions} [options]
 * @returns {{ app: import('express').Express, logger: import('@loglane/express').LoglaneLogger }}
 */
export function createInventoryApp(options = {}) {
  const { middleware, errorHandler, logger } = loglane({ label: 'inventory-api', version: '1.0.0', ...options });
  const log = logger.child('StockService');
  /** @type {Map<string, number>} */
  const stock = new Map([
    ['A-1', 5],
    ['B-2', 0],
    ['C-3', 12],
  ]);
  let nextReservation = 1;

  const app = express();
  app.use(middleware);
  app.use(express.json());

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/stock/:sku', (req, res) => {
    const available = stock.get(req.params.sku);
    if (available === undefined) {
      res.status(404).json({ error: `unknown sku ${req.params.sku}` });
      return;
    }
    res.json({ sku: req.params.sku, available });
  });

  app.post('/reservations', (req, res) => {
    const { sku, qty } = /** @type {{ sku?: unknown, qty?: unknown }} */ (req.body ?? {});
    if (typeof sku !== 'string' || typeof qty !== 'number' || !Number.isInteger(qty) || qty < 1) {
      res.status(400).json({ error: 'sku (string) and qty (positive integer) are required' });
      return;
    }
    const available = stock.get(sku) ?? 0;
    if (available < qty) {
      log.warn('not enough stock', { sku, qty, available });
      res.status(409).json({ error: 'not enough stock', sku, available });
      return;
    }
    stock.set(sku, available - qty);
    const reservationId = `r-${nextReservation++}`;
    log.info('stock reserved', { reservationId, sku, qty, left: available - qty });
    res.status(201).json({ reservationId, sku, qty });
  });

  // loglane records the error, then passes it on to the app's own JSON error handler.
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
