// The loggers compared by core-throughput.mjs. Each variant logs the same record (a message, five
// metadata fields with one nested object, and the two trace ids) and discards it or writes it to
// /dev/null. A variant is `{ log(), settle() }`: `log` writes one record, `settle` resolves once every
// record logged so far has reached the sink (winston's stream pipeline is asynchronous).
import { openSync, createWriteStream } from 'node:fs';
import pino from 'pino';
import winston from 'winston';
import TransportStream from 'winston-transport';

// LOGLANE_CORE=/path/to/dist/esm/index.js measures another build of core (an A/B of a change).
export const core = await import(process.env.LOGLANE_CORE ?? '@loglane/core');
const { createLogger, createFdDestination, getTraceContext } = core;

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

function devNull() {
  return openSync('/dev/null', 'w');
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
  'loglane-fd': {
    title: 'loglane `logger.info`',
    group: 'fd',
    sink: '`createFdDestination({ fd })` (queued, `writeSync` each turn)',
    make() {
      const destination = createFdDestination({ fd: devNull(), handleExit: false });
      const logger = createLogger({ label: LABEL, version: VERSION, destination });
      return { log: () => logger.info(MESSAGE, META), settle: turn };
    },
  },
  'pino-fd': {
    title: 'pino, loglane-shaped line',
    group: 'fd',
    sink: '`pino.destination({ dest })` (sonic-boom, sync: pino\'s default)',
    make() {
      const logger = pino(pinoLikeLoglane, pino.destination({ dest: devNull() }));
      const fields = { ...idFields(), ...META };
      return { log: () => logger.info(fields, MESSAGE), settle: turn };
    },
  },
  'pino-fd-async': {
    title: 'pino, loglane-shaped line',
    group: 'fd',
    sink: '`pino.destination({ dest, sync: false })` (sonic-boom, buffered)',
    make() {
      const dest = pino.destination({ dest: devNull(), sync: false });
      const logger = pino(pinoLikeLoglane, dest);
      const fields = { ...idFields(), ...META };
      return { log: () => logger.info(fields, MESSAGE), settle: turn };
    },
  },
  'winston-fd': {
    title: 'winston, timestamp + json',
    group: 'fd',
    sink: '`transports.Stream` over `fs.createWriteStream` on the fd',
    make() {
      const stream = createWriteStream('', { fd: devNull() });
      const transport = new winston.transports.Stream({ stream });
      let logged = 0;
      let done = 0;
      transport.on('logged', () => done++);
      const logger = plainWinston(transport);
      const fields = { ...idFields(), ...META };
      return {
        log: () => {
          logged++;
          logger.info(MESSAGE, fields);
        },
        settle: () => until(() => done >= logged && stream.writableLength === 0),
      };
    },
  },
};
