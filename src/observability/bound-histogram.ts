/**
 * A histogram for the request path, printed as prom-client's `Histogram` prints it (same name, help,
 * labels and default buckets, registered in the same registry), but cheap to observe: a series is
 * found by one string key and a bucket by index. prom-client's `observe` allocated a closure and
 * two objects, hashed the label object and looked buckets up by float-keyed properties on every
 * call; a request observes six durations.
 */
import type { Registry } from 'prom-client';

/** prom-client's default buckets (seconds), which these metrics always had. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Record<string, string | number>;

interface Series {
  labels: Labels;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  counts: Float64Array;
  sum: number;
  count: number;
}

export class BoundHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: string[],
  ) {}

  /** The registry's histogram of that name (every app of a process shares one registry), else a new one. */
  static in(registry: Registry, name: string, help: string, labelNames: string[]): BoundHistogram {
    const found = registry.getSingleMetric(name);
    if (found instanceof BoundHistogram) return found;
    const histogram = new BoundHistogram(name, help, labelNames);
    registry.registerMetric(histogram as never);
    return histogram;
  }

  /** Records `seconds` in the series of `labels`, found by `key` (a string naming the same label values). */
  observe(key: string, labels: Labels, seconds: number): void {
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { labels: { ...labels }, counts: new Float64Array(BUCKETS.length + 1), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > (BUCKETS[bucket] as number)) bucket++;
    series.counts[bucket] = (series.counts[bucket] ?? 0) + 1;
    series.sum += seconds;
    series.count += 1;
  }

  reset(): void {
    this.#series.clear();
  }

  /** What the registry prints: prom-client's own layout (bucket bound in `labels`, the series' in `sharedLabels`). */
  async getForPromString() {
    const values: { labels: Labels; sharedLabels: Labels; value: number; metricName: string }[] = [];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      let cumulative = 0;
      BUCKETS.forEach((le, i) => {
        cumulative += counts[i] ?? 0;
        values.push({ labels: { le }, sharedLabels: labels, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: labels, value: count, metricName: `${this.name}_bucket` });
      values.push({ labels: {}, sharedLabels: labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: labels, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** As prom-client's `get()`: every value's labels in one object. */
  async get() {
    const metric = await this.getForPromString();
    return {
      ...metric,
      values: metric.values.map(({ labels, sharedLabels, value, metricName }) => ({
        labels: { ...sharedLabels, ...labels },
        value,
        metricName,
      })),
    };
  }
}
