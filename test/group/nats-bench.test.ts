/**
 * `sluice bench nats` at toy sizes against the real NATS server: every one-process figure
 * is printed once in its JSON shape, and the windowed job read every event (the bench
 * checks that itself), as did every read-your-writes round (its own write in the answer).
 * A group of 1 at toy size: its end is read off the snapshots' metadata, and the bench then
 * checks that `sluice group status` shows every lag at 0.
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

it('measures a group of one member until its snapshots cover the stream', async () => {
  const figures: Figure[] = [];
  await measureNats({ events: 3000, servers: SERVERS, groupSizes: [1], repartitioned: false, latencyRate: 1000, latencySeconds: 0.2, rywRounds: 2 }, (f) => figures.push(f));
  const group = figures.find((f) => f.figure === 'group of 1');
  expect(group).toEqual({ figure: 'group of 1', members: 1, events: 3000, events_per_s: expect.any(Number), wall_events_per_s: expect.any(Number), cpu_us_per_event: expect.any(Number), rebalance_ms: null });
  expect(figures.map((f) => f.figure)).not.toContain('group of 2, repartitioned');
}, 120_000);
