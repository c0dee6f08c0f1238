// One benchmark server in its own process: `node http/server.mjs VARIANT`, started by run.mjs with an
// IPC channel. It sends `{ port }` once listening; on `{ type: 'sample' }` it answers with its CPU
// time so far and the number of responses it has finished, so run.mjs can take deltas around a run.
import { startServer } from './apps.mjs';

const name = process.argv[2];
if (!name || !process.send) throw new Error('bench: run by http/run.mjs (node http/server.mjs VARIANT, with IPC)');

const server = await startServer(name);
let served = 0;
server.on('request', (_req, res) => {
  res.once('finish', () => {
    served++;
  });
});
process.on('message', (/** @type {{ type?: string } | undefined} */ message) => {
  if (message?.type === 'sample') {
    const cpu = process.cpuUsage();
    process.send({ type: 'sample', cpuUs: cpu.user + cpu.system, userUs: cpu.user, systemUs: cpu.system, served, rss: process.memoryUsage().rss });
  } else if (message?.type === 'stop') {
    server.close();
    process.exit(0);
  }
});
process.send({ type: 'ready', port: server.address().port });
