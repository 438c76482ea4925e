/** An in-memory `Metrics` port for tests: every count kept, and totals by name and dimensions. */
import type { MetricName } from '../../lambda/contract.ts';
import type { MetricDimensions, Metrics } from '../../lambda/use-cases/ports.ts';

export interface Counted {
  name: MetricName;
  value: number;
  dimensions?: MetricDimensions;
}

export class InMemoryMetrics implements Metrics {
  /** Every call of `count`, in order. */
  readonly counted: Counted[] = [];

  count(name: MetricName, value = 1, dimensions?: MetricDimensions): void {
    this.counted.push(dimensions === undefined ? { name, value } : { name, value, dimensions });
  }

  /** The sum of `name` in one series: without extra dimensions, or with exactly `dimensions`. */
  total(name: MetricName, dimensions?: MetricDimensions): number {
    const key = JSON.stringify(dimensions ?? null);
    return this.counted
      .filter((c) => c.name === name && JSON.stringify(c.dimensions ?? null) === key)
      .reduce((sum, c) => sum + c.value, 0);
  }

  /** The totals of every series counted, as `name` or `name {dimension=value}`. */
  totals(): Record<string, number> {
    const totals: Record<string, number> = {};
    for (const { name, value, dimensions } of this.counted) {
      const series =
        dimensions === undefined
          ? name
          : `${name} {${Object.entries(dimensions)
              .map(([k, v]) => `${k}=${v}`)
              .join(',')}}`;
      totals[series] = (totals[series] ?? 0) + value;
    }
    return totals;
  }
}
