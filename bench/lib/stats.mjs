// Statistics for the in-process benchmark: means and percentile-bootstrap intervals over paired
// rounds (every variant ran once per round, so a resample keeps each round's values together).

/** Arithmetic mean (NaN for an empty list). */
export function mean(values) {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** A small seeded PRNG (mulberry32), so that an interval does not change between two prints of the same data. */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Percentile-bootstrap interval of `statistic(indices)` over rounds `0..rounds-1`: the rounds are
 * resampled with replacement `resamples` times, and the `level` central interval of the statistic
 * is returned as `[low, high]`.
 * @param {number} rounds
 * @param {(indices: number[]) => number} statistic
 * @param {{ resamples?: number, level?: number, seed?: number }} [options]
 * @returns {[number, number]}
 */
export function bootstrapInterval(rounds, statistic, { resamples = 2000, level = 0.95, seed = 1 } = {}) {
  const next = random(seed);
  const values = [];
  const indices = new Array(rounds);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < rounds; i++) indices[i] = Math.floor(next() * rounds);
    const value = statistic(indices);
    if (Number.isFinite(value)) values.push(value);
  }
  if (values.length === 0) return [Number.NaN, Number.NaN];
  values.sort((x, y) => x - y);
  const at = (q) => values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))];
  return [at((1 - level) / 2), at(1 - (1 - level) / 2)];
}

/** Mean of `values` at `indices`. */
export function meanAt(values, indices) {
  let sum = 0;
  for (const i of indices) sum += values[i];
  return sum / indices.length;
}

/** A copy of `items` in a random order drawn from `next` (Fisher–Yates). */
export function shuffled(items, next) {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
