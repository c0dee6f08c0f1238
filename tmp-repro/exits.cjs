const { createLogger } = require('../packages/core/dist/cjs/index.js');
const mode = process.argv[2];
const app = createLogger({ label: 'app' });
if (mode === 'handleExit') { createLogger({ destination: { handleExit: false, maxBufferChars: 10 } }); for (let i = 0; i < 5000; i++) app.info('line ' + i); process.exit(0); }
if (mode === 'devfull') { for (let i = 0; i < 3; i++) app.info('x'.repeat(100000)); setTimeout(() => { app.info('after'); }, 50); }
if (mode === 'prepend') { process.prependOnceListener('SIGTERM', () => { setTimeout(() => { app.info('app shutdown ran'); process.exit(0); }, 100); }); setTimeout(() => process.kill(process.pid, 'SIGTERM'), 50); setTimeout(() => {}, 5000); }
if (mode === 'uncaught') { process.on('uncaughtException', (e) => app.info('app handled ' + e.message)); setTimeout(() => { throw new Error('boom'); }, 10); setTimeout(() => app.info('still alive'), 100); }
if (mode === 'unhandled-monitor') { process.on('uncaughtExceptionMonitor', () => {}); Promise.reject(new Error('rej')); }
if (mode === 'sigint-once-before') { process.once('SIGINT', () => { app.info('app sigint'); }); setTimeout(() => process.kill(process.pid, 'SIGINT'), 50); setTimeout(() => app.info('alive after SIGINT'), 300); }
if (mode === 'exit-in-exit') { process.on('exit', () => app.info('from exit listener')); for (let i = 0; i < 10; i++) app.info('q' + i); }
