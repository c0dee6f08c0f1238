// The loggers compared by core-throughput.mjs. Each variant logs the same record (a message, five
// metadata fields with one nested object, and the two trace ids) and discards it (group `discard`) or
// writes it through the logger's own stdout destination (group `sink`: the runner points fd 1 at
// /dev/null, a file or a pipe). A variant is `{ log(), settle(), finish?(), dropped?() }`: `log` writes
// one record, `settle` resolves once every record logged so far has reached the logger's sink (winston's
// stream pipeline is asynchronous), `finish` once every line has been written to fd 1, `dropped` counts
// the lines the destination gave up on.
import pino from 'pino';
import winston from 'winston';
import TransportStream from 'winston-transport';

// LOGLANE_CORE=/path/to/dist/esm/index.js measures another build of core (an A/B of a change).
export const core = await import(process.env.LOGLANE_CORE ?? '@loglane/core');
const { createLogger, getTraceContext, stdoutDestination } = core;

export const MESSAGE = 'order placed';
export const META = Object.freeze({
  orderId: 'ord_8f3a2c91',
  customerId: 'cus_4417',
  amount: 129.95,
  items: 3,
  shipping: { country: 'DE', method: 'express', insured: true },
});
const LABEL = 'bench-service';
const VERSION = '1.4.2';

/** Resolves after one turn of the event loop (lets setImmediate-scheduled writes run). */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A winston transport that counts and discards: the winston equivalent of `{ write() {} }`. */
class DiscardTransport extends TransportStream {
  count = 0;
  /** @override */
  log(_info, callback) {
    this.count++;
    callback();
  }
}

/** Waits until `done()` is true, one event-loop turn at a time. */
async function until(done) {
  await turn();
  while (!done()) await turn();
}

/** Resolves after about `ms` milliseconds, without spinning the event loop. */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A pino logger on a sonic-boom stream, as a sink variant: `finish` resolves once sonic-boom holds
 * nothing (its `_len` counts buffered and in-flight characters; `flush(cb)` calls back at once when
 * `minLength` is 0, which is pino's default, so it cannot tell).
 */
function pinoOnStream(logger, stream) {
  const fields = { ...idFields(), ...META };
  return {
    log: () => logger.info(fields, MESSAGE),
    settle: turn,
    finish: async () => {
      while (stream._writing || stream._len > 0) await sleep(1);
    },
    dropped: () => 0,
  };
}

/** The trace ids of the current loglane context, as plain fields for pino and winston. */
function idFields() {
  const trace = getTraceContext();
  if (!trace) throw new Error('bench: variants must run inside runWithTraceContext');
  return { traceId: trace.traceId, globalTraceId: trace.globalTraceId };
}

/** pino options that make its line carry what loglane's carries (ISO time, level name, label, version). */
const pinoLikeLoglane = {
  messageKey: 'message',
  base: { label: LABEL, version: VERSION },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
};

function plainWinston(transport) {
  return winston.createLogger({
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { label: LABEL, version: VERSION },
    transports: [transport],
  });
}

/**
 * name → { title, group, sink, make(sample) }. `sample(line)` receives the first line written, so
 * the report can show that the records are comparable.
 */
export const VARIANTS = {
  'loglane': {
    title: 'loglane `logger.info`',
    group: 'discard',
    sink: '`{ write() {} }` LineSink',
    make(sample) {
      const logger = createLogger({ label: LABEL, version: VERSION, destination: { write: sample } });
      return { log: () => logger.info(MESSAGE, META), settle: turn };
    },
  },
  'loglane-transport': {
    title: 'loglane + 1 app winston transport',
    group: 'discard',
    sink: '`{ write() {} }` + `logger.winston.add(discard transport)`',
    make(sample) {
      const logger = createLogger({ label: LABEL, version: VERSION, destination: { write: sample } });
      const extra = new DiscardTransport();
      logger.winston.add(extra);
      let logged = 0;
      return {
        log: () => {
          logged++;
          logger.info(MESSAGE, META);
        },
        settle: () => until(() => extra.count >= logged),
      };
    },
  },
  'loglane-winston': {
    title: 'loglane via `logger.winston.info`',
    group: 'discard',
    sink: '`{ write() {} }` LineSink',
    make(sample) {
      let written = 0;
      const logger = createLogger({
        label: LABEL,
        version: VERSION,
        destination: {
          write(line) {
            written++;
            sample(line);
          },
        },
      });
      let logged = 0;
      return {
        log: () => {
          logged++;
          logger.winston.info(MESSAGE, META);
        },
        settle: () => until(() => written >= logged),
      };
    },
  },
  'pino': {
    title: 'pino, loglane-shaped line',
    group: 'discard',
    sink: '`{ write() {} }` stream',
    make(sample) {
      const logger = pino(pinoLikeLoglane, { write: sample });
      const fields = { ...idFields(), ...META };
      return { log: () => logger.info(fields, MESSAGE), settle: turn };
    },
  },
  'pino-default': {
    title: 'pino, default options',
    group: 'discard',
    sink: '`{ write() {} }` stream',
    make(sample) {
      const logger = pino({}, { write: sample });
      const fields = { ...idFields(), ...META };
      return { log: () => logger.info(fields, MESSAGE), settle: turn };
    },
  },
  'pino-child': {
    title: 'pino, ids bound once in a child',
    group: 'discard',
    sink: '`{ write() {} }` stream',
    make(sample) {
      const logger = pino(pinoLikeLoglane, { write: sample }).child(idFields());
      return { log: () => logger.info(META, MESSAGE), settle: turn };
    },
  },
  'winston': {
    title: 'winston, timestamp + json',
    group: 'discard',
    sink: 'transport whose `log()` discards',
    make(sample) {
      const transport = new DiscardTransport();
      const original = transport.log.bind(transport);
      let first = true;
      transport.log = (info, callback) => {
        if (first) {
          first = false;
          sample(`${info[Symbol.for('message')]}\n`);
        }
        original(info, callback);
      };
      const logger = plainWinston(transport);
      const fields = { ...idFields(), ...META };
      let logged = 0;
      return {
        log: () => {
          logged++;
          logger.info(MESSAGE, fields);
        },
        settle: () => until(() => transport.count >= logged),
      };
    },
  },
  'loglane-out': {
    title: 'loglane `logger.info`',
    group: 'sink',
    sink: 'its stdout destination (queued, written each turn, or at once past 256 Ki queued characters)',
    make() {
      const logger = createLogger({ label: LABEL, version: VERSION });
      const destination = stdoutDestination();
      return {
        log: () => logger.info(MESSAGE, META),
        settle: turn,
        finish: async () => destination.flushSync(),
        dropped: () => destination.dropped,
      };
    },
  },
  'pino-out': {
    title: 'pino, loglane-shaped line',
    group: 'sink',
    sink: "pino's default stdout destination (sonic-boom, `sync: false`)",
    make() {
      const logger = pino(pinoLikeLoglane);
      return pinoOnStream(logger, logger[pino.symbols.streamSym]);
    },
  },
  'pino-out-sync': {
    title: 'pino, loglane-shaped line',
    group: 'sink',
    sink: '`pino.destination({ dest: 1, sync: true })` (sonic-boom, one `writeSync` per record)',
    make() {
      const stream = pino.destination({ dest: 1, sync: true });
      return pinoOnStream(pino(pinoLikeLoglane, stream), stream);
    },
  },
};
