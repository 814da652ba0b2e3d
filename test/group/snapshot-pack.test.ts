/**
 * A partition snapshot's packing (src/group/snapshot-pack.ts): whatever the file's pages
 * hold (zero pages, a short last page, bytes that are zero but for one), unpacking gives
 * back the file and its write-ahead log byte for byte, and a snapshot of the first layout
 * (the whole file after its length) still unpacks.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { packFiles, unpackFiles } from '../../src/group/snapshot-pack.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-snappack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file of `pages` 4 KB pages (the last `tail` bytes short): each zero, random, or zero but for one byte. */
const fileArb = fc
  .record({
    pages: fc.array(fc.constantFrom('zero', 'random', 'one'), { minLength: 0, maxLength: 12 }),
    tail: fc.integer({ min: 0, max: 4095 }),
    seed: fc.integer(),
    wal: fc.uint8Array({ maxLength: 300 }),
  })
  .map(({ pages, tail, seed, wal }) => {
    let x = seed | 1;
    const next = () => ((x = (Math.imul(x, 1103515245) + 12345) | 0) >>> 16) & 255;
    const file = Buffer.alloc(Math.max(0, pages.length * 4096 - (pages.length > 0 ? tail : 0)));
    pages.forEach((kind, p) => {
      const end = Math.min(file.length, (p + 1) * 4096);
      if (kind === 'random') for (let i = p * 4096; i < end; i++) file[i] = next();
      else if (kind === 'one' && end > p * 4096) file[p * 4096 + (next() % (end - p * 4096))] = 1 + (next() % 255);
    });
    return { file, wal: Buffer.from(wal) };
  });

describe('snapshot packing', () => {
  it('unpacks the file and its log byte for byte', () => {
    let run = 0;
    fc.assert(
      fc.property(fileArb, ({ file, wal }) => {
        const src = join(dir, `s${run}.duckdb`);
        const dst = join(dir, `d${run++}.duckdb`);
        writeFileSync(src, file);
        if (wal.length > 0) writeFileSync(`${src}.wal`, wal);
        unpackFiles(dst, packFiles(src));
        expect(readFileSync(dst).equals(file)).toBe(true);
        expect(existsSync(`${dst}.wal`)).toBe(wal.length > 0);
        if (wal.length > 0) expect(readFileSync(`${dst}.wal`).equals(wal)).toBe(true);
        // Zero pages are left out: the packed bytes are never more than the file's plus a bitmap and a header.
        expect(gunzipSync(packFiles(src)).length).toBeLessThanOrEqual(16 + Math.ceil(file.length / 4096 / 8) + file.length + wal.length);
        for (const p of [src, dst]) {
          rmSync(p, { force: true });
          rmSync(`${p}.wal`, { force: true });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('unpacks a snapshot of the first layout (the length, the whole file, the log)', () => {
    fc.assert(
      fc.property(fileArb, ({ file, wal }) => {
        const head = Buffer.alloc(8);
        head.writeDoubleLE(file.length);
        const dst = join(dir, 'old.duckdb');
        unpackFiles(dst, gzipSync(Buffer.concat([head, file, wal])));
        expect(readFileSync(dst).equals(file)).toBe(true);
        expect(existsSync(`${dst}.wal`)).toBe(wal.length > 0);
        if (wal.length > 0) expect(readFileSync(`${dst}.wal`).equals(wal)).toBe(true);
        rmSync(dst, { force: true });
        rmSync(`${dst}.wal`, { force: true });
      }),
      { numRuns: 100 },
    );
  });
});
