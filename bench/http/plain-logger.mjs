// The reference the in-process benchmark holds loglane to: a plain hand-written Express middleware
// that writes loglane's two records (HttpRequest with the redacted request body, HttpResponse with
// the response body), trace ids from the platform and an AsyncLocalStorage context, in a few dozen
// lines. It shows what the work itself costs when done once per request and nothing more.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';

const SECRET_KEYS = new Set(['password', 'token', 'secret', 'authorization']);
const redact = (key, value) => (SECRET_KEYS.has(key) ? '[REDACTED]' : value);

/**
 * Mount after `express.json()`. Lines go to `fd`, queued and written with one `writeSync` per
 * event-loop turn (as loglane's fd destination does).
 * @param {{ fd: number, label: string, version: string }} options
 */
export function plainLogger({ fd, label, version }) {
  const storage = new AsyncLocalStorage();
  const prefix = `,"label":${JSON.stringify(label)},"version":${JSON.stringify(version)}`;
  let queue = '';
  const flush = () => {
    const text = queue;
    queue = '';
    writeSync(fd, text);
  };
  const write = (line) => {
    if (queue === '') setImmediate(flush);
    queue += `${line}\n`;
  };
  const head = (context, message, ctx) =>
    `{"timestamp":"${new Date().toISOString()}","level":"info","context":"${context}","message":${JSON.stringify(message)}${prefix},"traceId":"${ctx.traceId}","globalTraceId":"${ctx.globalTraceId}"`;
  const middleware = (req, res, next) => {
    const started = performance.now();
    const header = req.headers['x-global-trace-id'];
    const ctx = { traceId: randomUUID(), globalTraceId: typeof header === 'string' ? header : randomUUID().replaceAll('-', '') };
    res.setHeader('x-trace-id', ctx.traceId);
    const common = `,"method":"${req.method}","originalUrl":${JSON.stringify(req.originalUrl)},"ip":${JSON.stringify(req.ip)},"userAgent":${JSON.stringify(req.headers['user-agent'] ?? '')}`;
    const requestBody = req.body === undefined ? '' : `,"requestBody":${JSON.stringify(JSON.stringify(req.body, redact))}`;
    write(`${head('HttpRequest', `${req.method} ${req.originalUrl}`, ctx)}${common}${requestBody}}`);
    let responseBody = '';
    const json = res.json;
    res.json = function jsonOnce(value) {
      responseBody = `,"responseBody":${JSON.stringify(JSON.stringify(value, redact))}`;
      return json.call(this, value);
    };
    res.once('finish', () => {
      const ms = Math.round(performance.now() - started);
      const route = req.route?.path === undefined ? '' : `,"route":${JSON.stringify(req.baseUrl + req.route.path)}`;
      write(
        `${head('HttpResponse', `${req.method} ${req.originalUrl} ${res.statusCode} ${ms}ms`, ctx)}${common}${route},"statusCode":${res.statusCode},"latencyMs":${ms}${responseBody}}`,
      );
    });
    storage.run(ctx, next);
  };
  return { middleware, storage };
}
