// Runs the inventory service on PORT (0, the default, picks a free port). Everything it prints is a
// loglane JSON line, including the one that says which port it listens on.

import { createInventoryApp } from './app.mjs';

const { app, logger } = createInventoryApp();
const log = logger.child('Server');
const server = app.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : undefined;
  log.info(`listening on http://127.0.0.1:${port}`, { port });
});

// Graceful shutdown: stop accepting, close idle keep-alive sockets, let the loop end; loglane
// flushes what is queued when the process exits.
for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) {
  process.once(signal, () => {
    log.info('shutting down', { signal });
    server.close();
    server.closeIdleConnections();
  });
}
