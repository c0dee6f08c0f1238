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
export function bootstrapInterval(rounds, statistic, options = {}) {
  return clusteredBootstrapInterval([rounds], statistic, options);
}

/**
 * The same interval when the rounds come from several processes (`clusters`: each process's number
 * of rounds, in order): a resample draws processes with replacement and then, within each drawn
 * process, as many of its rounds with replacement. Rounds of one process share its JIT decisions
 * and heap layout, so the spread between processes is part of what a ratio may be off by; an
 * interval over the pooled rounds would leave it out. With one cluster this is `bootstrapInterval`.
 * @param {number[]} clusters
 * @param {(indices: number[]) => number} statistic
 * @param {{ resamples?: number, level?: number, seed?: number }} [options]
 * @returns {[number, number]}
 */
export function clusteredBootstrapInterval(clusters, statistic, { resamples = 2000, level = 0.95, seed = 1 } = {}) {
  const next = random(seed);
  const starts = [];
  let total = 0;
  for (const size of clusters) {
    starts.push(total);
    total += size;
  }
  const values = [];
  const indices = new Array(total);
  for (let b = 0; b < resamples; b++) {
    let at = 0;
    for (let c = 0; c < clusters.length; c++) {
      // One cluster: every round is drawn from it, as a plain bootstrap over rounds.
      const k = clusters.length === 1 ? 0 : Math.floor(next() * clusters.length);
      for (let i = 0; i < clusters[k]; i++) indices[at++] = starts[k] + Math.floor(next() * clusters[k]);
    }
    indices.length = at;
    const value = statistic(indices);
    if (Number.isFinite(value)) values.push(value);
  }
  if (values.length === 0) return [Number.NaN, Number.NaN];
  values.sort((x, y) => x - y);
  const quantile = (q) => values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))];
  return [quantile((1 - level) / 2), quantile(1 - (1 - level) / 2)];
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
