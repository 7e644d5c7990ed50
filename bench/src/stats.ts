/** Nearest-rank percentile: the smallest sample at or above p% of the samples. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** The middle sample (the upper one of the two middles for an even count); 0 for none. */
export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** A figure to three significant digits or so: whole above 100, one decimal below. */
export const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
