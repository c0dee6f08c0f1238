// End to end at a fixed request rate: autocannon (in this process) sends `--rate` requests per second
// to one server process per variant (bench/http/server.mjs), so every variant serves the same
// requests at the same pace and its CPU per request is comparable: under run.mjs's unlimited load a
// slower server batches more requests per turn, which changes what each one costs. Shows the
// server's user and system CPU per request (system is the kernel's socket work), and the CPU each
// variant adds over the first variant given: medians, and means with a bootstrap interval over
// rounds (and as a ratio to `--reference`), the order reversed every round.
//
//   node bench/http/fixed-rate.mjs [--only none,pino-http,loglane] [--rate 3000] [--rounds 3] [--duration 6] [--reference pino-http]
//
// With 10 rounds it can tell steps of about 10 µs per request on a 2-core machine (one run of one
// server moves ±7 µs); the interval on each mean says how much a given run can tell.
//
// BENCH_SERVER_ARGS='--trace-gc' passes Node options to the servers (their stdout is shown then);
// '--cpu-prof --cpu-prof-dir=/tmp/prof' profiles each server.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { median, parseArgs } from '../lib/report.mjs';
import { bootstrapInterval, mean, meanAt } from '../lib/stats.mjs';
import { HEADERS, REQUESTS } from './requests.mjs';

const serverPath = fileURLToPath(new URL('./server.mjs', import.meta.url));
const args = parseArgs(process.argv.slice(2));
const variants = typeof args.only === 'string' ? args.only.split(',') : ['none', 'pino-http', 'loglane'];
const rate = Number(args.rate ?? 3000);
const rounds = Number(args.rounds ?? 3);
const duration = Number(args.duration ?? 6);
const serverArgs = process.env.BENCH_SERVER_ARGS ? process.env.BENCH_SERVER_ARGS.split(' ') : [];

/** A server process for `name`, once it listens: its port, a CPU sample over IPC, and a stop. */
function start(name) {
  return new Promise((resolve, reject) => {
    const proc = fork(serverPath, [name], { execArgv: serverArgs, stdio: ['ignore', serverArgs.length > 0 ? 'inherit' : 'ignore', 'inherit', 'ipc'] });
    let waiting;
    proc.once('exit', (code) => reject(new Error(`bench: server ${name} exited with ${code}`)));
    proc.on('message', (/** @type {{ type: string, port?: number }} */ message) => {
      if (message.type !== 'ready') return waiting?.(message);
      resolve({
        port: message.port,
        sample: () => new Promise((done) => ((waiting = done), proc.send({ type: 'sample' }))),
        stop: () => new Promise((done) => (proc.removeAllListeners('exit'), proc.once('exit', done), proc.send({ type: 'stop' }))),
      });
    });
  });
}

const load = (port, seconds) =>
  autocannon({ url: `http://127.0.0.1:${port}`, connections: 10, duration: seconds, headers: HEADERS, requests: REQUESTS, overallRate: rate });

const runs = Object.fromEntries(variants.map((v) => [v, []]));
for (let round = 0; round < rounds; round++) {
  for (const name of round % 2 === 0 ? variants : [...variants].reverse()) {
    const server = await start(name);
    try {
      await load(server.port, 2);
      const before = await server.sample();
      await load(server.port, duration);
      const after = await server.sample();
      const served = after.served - before.served;
      runs[name].push({ user: (after.userUs - before.userUs) / served, system: (after.systemUs - before.systemUs) / served });
    } finally {
      await server.stop();
    }
  }
}
const total = (r) => r.user + r.system;
const base = variants[0];
const reference = typeof args.reference === 'string' ? args.reference : variants.includes('pino-http') ? 'pino-http' : undefined;
const addedOf = (name) => runs[name].map((r, i) => total(r) - total(runs[base][i]));
const range = ([low, high], digits = 1) => `${low.toFixed(digits)}–${high.toFixed(digits)}`;
console.log(
  `${rate} requests/s, ${rounds} rounds of ${duration} s after a 2 s warm-up, each server in its own process, the order reversed every round; ` +
    `server CPU µs per request: medians, and the mean added over ${base} with a 95 % bootstrap interval over rounds` +
    `${reference ? ` (and its ratio to ${reference}'s, the rounds resampled together)` : ''}\n`,
);
console.log(
  `| variant | user | system | total | added over ${base}, median | added, mean (95 %) |${reference ? ` ÷ ${reference} (95 %) |` : ''}\n` +
    `| --- | ---: | ---: | ---: | ---: | ---: |${reference ? ' ---: |' : ''}`,
);
for (const name of variants) {
  const added = addedOf(name);
  const row = [median(runs[name].map((r) => r.user)), median(runs[name].map((r) => r.system)), median(runs[name].map(total))].map((x) => x.toFixed(1));
  const cells = name === base ? ['—', '—'] : [median(added).toFixed(1), `${mean(added).toFixed(1)} (${range(bootstrapInterval(rounds, (ix) => meanAt(added, ix)))})`];
  if (reference) {
    const ref = addedOf(reference);
    cells.push(name === base ? '—' : `${(mean(added) / mean(ref)).toFixed(2)}× (${range(bootstrapInterval(rounds, (ix) => meanAt(added, ix) / meanAt(ref, ix)), 2)})`);
  }
  console.log(`| ${name} | ${row.join(' | ')} | ${cells.join(' | ')} |`);
}
