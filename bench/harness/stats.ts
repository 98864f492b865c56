// Latency recording and the small statistics every table uses: percentiles of one run, medians
// over rounds, and the Flotilla/etcd ratio of a pair.

import { assert } from '../../src/util/assert.js';

/** Percentiles of one run, in milliseconds. */
export interface Latency {
  p50: number;
  p99: number;
  p999: number;
  mean: number;
  max: number;
}

/**
 * Every latency of one run, kept exactly (a few million doubles at most: 8 bytes each), so that
 * percentiles are exact and runs on several endpoints can be merged.
 */
export class LatencyRecorder {
  private values = new Float64Array(1 << 14);
  private n = 0;

  get count(): number {
    return this.n;
  }

  record(ms: number): void {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = ms;
  }

  summary(): Latency {
    if (this.n === 0) return { p50: 0, p99: 0, p999: 0, mean: 0, max: 0 };
    const sorted = this.values.slice(0, this.n).sort();
    let sum = 0;
    for (const v of sorted) sum += v;
    return {
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      p999: percentile(sorted, 0.999),
      mean: sum / this.n,
      max: sorted[this.n - 1]!,
    };
  }
}

/** The nearest-rank percentile of sorted values: the smallest value with at least q of all at or below it. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  assert(sorted.length > 0, 'percentile of nothing');
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function median(xs: readonly number[]): number {
  assert(xs.length > 0, 'median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** a / b, or undefined when either side is missing or b is 0 (no ratio to print). */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || b === 0 || !Number.isFinite(a) || !Number.isFinite(b)) return undefined;
  return a / b;
}
