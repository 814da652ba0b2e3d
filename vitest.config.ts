import { defineConfig } from 'vitest/config';

// Tests that spawn and kill processes, talk to the servers (NATS, PostgreSQL), time a bench
// or drive a terminal run one file at a time after the rest, on a machine left to them: their
// deadlines (a partition taken over within 10 s, a replay after kill -9) are about wall time.
// Everything else is CPU-bound and runs two files at once (vitest's default on 2 cores is one).
const SERIAL = [
  'test/group/**/*.test.ts',
  'test/connectors/**/*.test.ts',
  'test/state/**/*.test.ts',
  'test/cli/**/*.test.ts',
  'test/queries/**/*.test.ts',
  'test/packaging/**/*.test.ts',
  'test/bench-*/**/*.test.ts',
  'test/repl/e2e/**/*.test.ts',
  'test/engine/duckdb-errors.test.ts',
  'test/engine/group-commit.test.ts',
  'test/engine/plan-change-recovery.test.ts',
  'test/engine/resume.test.ts',
  'test/engine/streams.test.ts',
  'test/engine/system-tables.test.ts',
];
const ALL = ['test/**/*.test.ts', 'test/**/*.test.tsx'];
const NEVER = ['test/bench/**', 'node_modules/**', 'dist/**'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'cpu', include: ALL, exclude: [...NEVER, ...SERIAL], maxWorkers: 2, sequence: { groupOrder: 0 }, testTimeout: 120_000 },
      },
      {
        extends: true,
        test: { name: 'serial', include: SERIAL, exclude: NEVER, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
