import { fork } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
const get = (url, agent) => new Promise((resolve, reject) => { const r = httpRequest(url, { agent }, (res) => { const c = []; res.on('data', (d) => c.push(d)); res.on('end', () => resolve(Buffer.concat(c).toString())); }); r.on('error', reject); r.end(); });
async function run(mode, n) {
  const child = fork('zz-server.mjs', [mode]);
  const port = await new Promise((r) => child.once('message', r));
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const url = `http://127.0.0.1:${port}`;
  let i = 0;
  await Promise.all(Array.from({ length: 16 }, async () => { while (i++ < 2000) await get(url + '/x', agent); }));
  const c0 = Number(await get(url + '/cpu', agent)); i = 0;
  await Promise.all(Array.from({ length: 16 }, async () => { while (i++ < n) await get(url + '/x', agent); }));
  const c1 = Number(await get(url + '/cpu', agent));
  agent.destroy(); child.kill();
  return Math.round((c1 - c0) / n);
}
const out = Object.fromEntries(process.argv.slice(2).map((m) => [m, []]));
for (let k = 0; k < 5; k++) for (const m of Object.keys(out)) out[m].push(await run(m, 15000));
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log('server CPU µs/request medians', JSON.stringify(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, med(v)]))), JSON.stringify(out));
