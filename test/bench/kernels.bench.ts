/**
 * Micro-benchmarks of the columnar kernels (not part of `npm test`):
 *   npx vitest bench --run test/bench/kernels.bench.ts
 * Every case processes 1M rows per iteration, so rows/s = hz × 1,000,000. The same data is
 * also run in 8192-row batches, the size operators see.
 */
import { bench, describe } from 'vitest';
import type { Data } from 'apache-arrow';
import type { BoundExpr } from '../../src/plan/expr.js';
import { compileExpr, compilePredicate } from '../../src/exec/expr/index.js';
import { KeyTable, Utf8Builder, float64Column, sliceColumn } from '../../src/exec/vector/index.js';

const N = 1_000_000;
const BATCH = 8192;

const col = (index: number, type: 'DOUBLE' | 'BIGINT' | 'VARCHAR' | 'TIMESTAMP'): BoundExpr => ({ kind: 'Column', index, name: `c${index}`, type });
const lit = (value: number | string, type: 'DOUBLE' | 'BIGINT' | 'VARCHAR'): BoundExpr => ({ kind: 'Literal', value, type });
const call = (fn: 'add' | 'mul' | 'mod' | 'eq' | 'gt' | 'and' | 'like', args: BoundExpr[], type: 'DOUBLE' | 'BIGINT' | 'BOOLEAN'): BoundExpr => ({
  kind: 'Call',
  fn,
  args,
  type,
});

// Columns: 0 auction (BIGINT, 10k distinct), 1 price (DOUBLE), 2 text (VARCHAR), 3 window_start (TIMESTAMP, 100 distinct).
const auction = new Float64Array(N);
const price = new Float64Array(N);
const windowStart = new Float64Array(N);
const text = new Utf8Builder(N, N * 20);
const WORDS = ['hello world', 'xxabcxx', 'zzz', 'the quick brown fox', 'nothing here', 'jumps over the abc'];
let seed = 42;
const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
for (let i = 0; i < N; i++) {
  auction[i] = Math.floor(rand() * 10_000);
  price[i] = rand() * 200;
  windowStart[i] = 1_700_000_000_000 + Math.floor(rand() * 100) * 10_000;
  text.appendStr(`${WORDS[i % WORDS.length]} ${i % 1000}`);
}
const columns: readonly Data[] = [float64Column(auction), float64Column(price), text.finish(), float64Column(windowStart)];
const batches: (readonly Data[])[] = [];
for (let s = 0; s < N; s += BATCH) {
  const n = Math.min(BATCH, N - s);
  batches.push(columns.map((c) => sliceColumn(c, s, n)));
}

const arithmetic = compileExpr(call('add', [call('mul', [col(1, 'DOUBLE'), lit(0.908, 'DOUBLE')], 'DOUBLE'), lit(1, 'DOUBLE')], 'DOUBLE'));
const filter = compilePredicate(
  call(
    'and',
    [
      call('eq', [call('mod', [col(0, 'BIGINT'), lit(123, 'BIGINT')], 'BIGINT'), lit(0, 'BIGINT')], 'BOOLEAN'),
      call('gt', [col(1, 'DOUBLE'), lit(100, 'DOUBLE')], 'BOOLEAN'),
    ],
    'BOOLEAN',
  ),
);
const like = compilePredicate(call('like', [col(2, 'VARCHAR'), lit('%abc%', 'VARCHAR')], 'BOOLEAN'));
const groupIds = new Int32Array(N);

function eachBatch(f: (cols: readonly Data[], n: number) => void): void {
  for (const b of batches) f(b, b[0]!.length);
}

describe('expressions, 1M rows', () => {
  bench('price * 0.908 + 1 (one 1M batch)', () => {
    arithmetic.evaluate(columns, N);
  });
  bench('price * 0.908 + 1 (8192-row batches)', () => {
    eachBatch((c, n) => arithmetic.evaluate(c, n));
  });
  bench('auction % 123 = 0 AND price > 100 (one 1M batch)', () => {
    filter.select(columns, N);
  });
  bench('auction % 123 = 0 AND price > 100 (8192-row batches)', () => {
    eachBatch((c, n) => filter.select(c, n));
  });
  bench("text LIKE '%abc%' (one 1M batch)", () => {
    like.select(columns, N);
  });
});

describe('KeyTable.findOrInsert, 1M rows, fresh table per iteration', () => {
  bench('1 key: auction (10k distinct)', () => {
    const t = new KeyTable(['BIGINT']);
    t.findOrInsert([columns[0]!], N, groupIds);
  });
  bench('2 keys: window_start, auction (~630k distinct)', () => {
    const t = new KeyTable(['TIMESTAMP', 'BIGINT']);
    t.findOrInsert([columns[3]!, columns[0]!], N, groupIds);
  });
  bench('2 keys: window_start, auction % 100 (10k distinct)', () => {
    const t = new KeyTable(['TIMESTAMP', 'BIGINT']);
    t.findOrInsert([columns[3]!, keys100], N, groupIds);
  });
  bench('1 key in 8192-row batches (10k distinct)', () => {
    const t = new KeyTable(['BIGINT']);
    eachBatch((c, n) => t.findOrInsert([c[0]!], n, groupIds));
  });
});

const keys100 = float64Column(auction.map((x) => x % 100));
