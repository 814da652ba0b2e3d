import { expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rowsOf } from '../../src/exec/batch.js';
import type { DeadLetter, SourceReader } from '../../src/connectors/source-reader.js';
import type { Schema, Value } from '../../src/types.js';

export interface ReadAll {
  rows: Value[][];
  offsets: number[];
  dead: DeadLetter[];
  batches: number;
}

/** Drains a bounded reader. */
export async function readAll(reader: SourceReader, schema: Schema, maxRows = 8192): Promise<ReadAll> {
  const out: ReadAll = { rows: [], offsets: [], dead: [], batches: 0 };
  for (let b = await reader.next(maxRows); b !== null; b = await reader.next(maxRows)) {
    expect(b.data.numRows + b.deadLetters.length).toBeLessThanOrEqual(maxRows);
    expect(b.offsets.length).toBe(b.data.numRows);
    out.rows.push(...rowsOf(b.data, schema));
    out.offsets.push(...b.offsets);
    out.dead.push(...b.deadLetters);
    out.batches++;
  }
  await reader.close();
  return out;
}

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(prefix = 'sluice-conn-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Byte offsets of the starts of the lines of a file's content (split on \n). */
export function lineStarts(content: Buffer): number[] {
  const starts = [0];
  for (let i = 0; i < content.length; i++) if (content[i] === 10 && i + 1 < content.length) starts.push(i + 1);
  return starts;
}

export const ms = (iso: string): number => Date.parse(iso);
