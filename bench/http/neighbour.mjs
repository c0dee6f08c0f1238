// A neighbour for `inproc.mjs --neighbour`: another process that keeps a core busy reading and
// writing a 32 MB buffer at random cache lines, as a load generator on the same machine does (end
// to end, autocannon shares the 2 cores and their caches with the server). Runs until killed.
const MEGABYTES = 32;
const cells = new Uint32Array((MEGABYTES * 1024 * 1024) / 4);
let seed = 1;
let sum = 0;
for (;;) {
  for (let i = 0; i < 1_000_000; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    sum += cells[seed & (cells.length - 1)]++;
  }
  if (sum === -1) console.log(sum); // keeps the loop from being optimised away
}
