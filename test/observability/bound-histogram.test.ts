/**
 * The request path's histograms (bound-histogram.ts) print exactly what prom-client's Histogram
 * printed for the same observations: names, labels, default buckets, sums and counts.
 */
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BoundHistogram } from '../../src/observability/bound-histogram.js';

describe('BoundHistogram', () => {
  it("prints what prom-client's Histogram prints, series by series, and is shared through its registry", async () => {
    const [theirs, ours] = [new Registry(), new Registry()];
    const labelNames = ['operationType', 'method', 'statusCode'];
    const histogram = new Histogram({ name: 'graphql_yoga_http_duration', help: 'Time "spent"', labelNames, registers: [theirs] });
    const bound = BoundHistogram.in(ours, 'graphql_yoga_http_duration', 'Time "spent"', labelNames);
    for (const seconds of [0, 0.001, 0.005, 0.0051, 0.3, 2.5, 10, 11]) {
      histogram.observe({ operationType: 'query', method: 'POST', statusCode: 200 }, seconds);
      bound.observe('query POST 200', { operationType: 'query', method: 'POST', statusCode: 200 }, seconds);
      histogram.observe({ operationType: 'mutation', method: 'GET', statusCode: 400 }, seconds * 3);
      bound.observe('mutation GET 400', { operationType: 'mutation', method: 'GET', statusCode: 400 }, seconds * 3);
      histogram.observe({}, seconds / 2);
      bound.observe('', {}, seconds / 2);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(BoundHistogram.in(ours, 'graphql_yoga_http_duration', 'Time "spent"', labelNames)).toBe(bound);
  });
});
