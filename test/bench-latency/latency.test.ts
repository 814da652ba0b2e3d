/**
 * `sluice bench latency` at toy sizes: every figure is printed once, with its numbers, in
 * the JSON shape the bench documents. No timing is asserted (SPEC 7).
 */
import { expect, it } from 'vitest';
import { measureLatency, type Figure } from '../../src/bench/latency-bench.js';

it('prints each figure once with its fields', async () => {
  const figures: Figure[] = [];
  await measureLatency({ events: 200, groups: 100, insertRows: 1000, durableSeconds: 0.05, inFlight: 20, rounds: 5, startupRuns: 1 }, (f) => figures.push(f));
  const num = expect.any(Number);
  expect(figures).toEqual([
    { figure: 'insert_objects', rows: 1000, batch: 50_000, rows_per_s: num },
    { figure: 'read_your_writes', events: 200, rounds: 5, p50_ms: num, p99_ms: num },
    { figure: 'new_events_then_query', events: 200, new_events: 1000, sluice_ms: num, duckdb_recompute_ms: num, answers_match: true },
    { figure: 'durable_insert', in_flight: 1, inserts: num, inserts_per_s: num },
    { figure: 'durable_insert', in_flight: 20, inserts: num, inserts_per_s: num },
    { figure: 'first_checkpoint', groups: 100, ms: num },
    { figure: 'startup', command: '--version', runs: 1, median_ms: num },
    { figure: 'startup', command: 'run', runs: 1, median_ms: num },
  ]);
  for (const f of figures) expect(JSON.parse(JSON.stringify(f))).toEqual(f);
}, 120_000);
