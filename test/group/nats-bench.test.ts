/**
 * `sluice bench nats` at toy sizes against the real NATS server: every one-process figure
 * is printed once in its JSON shape, and the windowed job read every event (the bench
 * checks that itself), as did every read-your-writes round (its own write in the answer).
 * The group figures spawn members and are covered by the group tests.
 * No timing is asserted (SPEC 7).
 */
import { expect, it } from 'vitest';
import { measureNats, type Figure } from '../../src/bench/nats-bench.js';
import { SERVERS } from '../connectors/nats-helpers.js';

it('prints each figure once with its fields', async () => {
  const figures: Figure[] = [];
  await measureNats({ events: 2000, servers: SERVERS, noGroups: true, latencyRate: 2000, latencySeconds: 0.5, rywRounds: 10 }, (f) => figures.push(f));
  const num = expect.any(Number);
  expect(figures).toEqual([
    { figure: 'jetstream publish', events: 2000, events_per_s: num },
    { figure: 'jetstream consume', events: 2000, events_per_s: num },
    { figure: 'jetstream consume, acks held', events: 2000, events_per_s: num },
    { figure: 'windowed job, 1 process', events: 2000, events_per_s: num },
    { figure: 'end-to-end latency, per-key view', events_per_s: 2000, changes: num, p50_ms: num, p99_ms: num },
    { figure: 'read-your-writes, group member', partitions: 4, rounds: 10, p50_ms: num, p99_ms: num },
  ]);
  expect(figures[4]!['changes']).toBeGreaterThan(0);
}, 60_000);
