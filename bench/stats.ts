/** Summaries of repeated measurements: every figure the bench prints is a median with its min and max. */

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** How many measurements. */
  n: number;
}

const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);

/** The p-th percentile (0..100) by linear interpolation between closest ranks. */
export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return Number.NaN;
  const s = sorted(values);
  const rank = (p / 100) * (s.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = s[low] as number;
  const highValue = s[high] as number;
  return lowValue + (highValue - lowValue) * (rank - low);
};

export const summarize = (values: readonly number[]): Summary => {
  const s = sorted(values);
  return {
    median: percentile(s, 50),
    min: s[0] ?? Number.NaN,
    max: s[s.length - 1] ?? Number.NaN,
    n: s.length,
  };
};

/** Rounds for printing and JSON: `digits` decimals. */
export const round = (value: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

export const roundSummary = (s: Summary, digits = 2): Summary => ({
  median: round(s.median, digits),
  min: round(s.min, digits),
  max: round(s.max, digits),
  n: s.n,
});

/** `12.3 (min 11.9, max 14.0)` */
export const formatSummary = (s: Summary, digits = 1, unit = ''): string =>
  `${s.median.toFixed(digits)}${unit} (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)})`;
