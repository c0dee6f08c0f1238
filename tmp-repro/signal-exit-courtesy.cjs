// Repro: SIGTERM no longer ends a process that loads both loglane and signal-exit (used by execa,
// write-file-atomic, proper-lockfile, tsx, nyc, ink, …). Each listener re-raises the signal only when it
// is alone; each sees the other, both decline, and the process runs on. Without loglane, signal-exit
// re-raises and the process dies by SIGTERM; without signal-exit, loglane does.
// Run: node tmp-repro/signal-exit-courtesy.cjs [3|4] [noloader]
const path = require('node:path');
const version = process.argv[2] ?? '4';
const signalExit = require(path.resolve(__dirname, `../node_modules/.pnpm/signal-exit@${version === '3' ? '3.0.7' : '4.1.0'}/node_modules/signal-exit`));
if (process.argv[3] !== 'nologlane') require('../packages/core/dist/cjs/index.js').createLogger().info('up');
const onExit = signalExit.onExit ?? signalExit;
onExit(() => {});
setTimeout(() => process.kill(process.pid, 'SIGTERM'), 100);
setTimeout(() => { console.log('STILL RUNNING 1 s after SIGTERM'); process.exit(3); }, 1000);
