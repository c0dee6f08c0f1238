// A pipe reader that keeps up on average but stops for 40 ms after every 16 MB (a busy host, GC).
// Prints the lines it received and how many the writer reported dropped.
const { readSync } = require('node:fs');
const buf = Buffer.alloc(1 << 20);
let bytes = 0, sinceHiccup = 0, lines = 0, dropped = 0, tail = '';
for (;;) {
  let n;
  try { n = readSync(0, buf); } catch (e) { if (e.code === 'EAGAIN') { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); continue; } throw e; }
  if (n === 0) break;
  bytes += n; sinceHiccup += n;
  const text = tail + buf.toString('latin1', 0, n);
  const parts = text.split('\n'); tail = parts.pop();
  for (const p of parts) { lines++; const m = /"droppedLines":(\d+)/.exec(p); if (m) dropped += Number(m[1]); }
  if (sinceHiccup > 16e6) { sinceHiccup = 0; Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 40); }
}
console.log(JSON.stringify({ lines, dropped, bytes }));
