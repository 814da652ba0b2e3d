/**
 * Apache Arrow's classes, from one instance per process. An application that imports sluice
 * shares the instance of its own `import … from 'apache-arrow'`, so the tables it builds are
 * this engine's classes (Arrow checks `instanceof`). The `sluice` command owns its process
 * and asks for the package's single-file build instead (arrow-build.ts):
 * one file rather than ~150 ES modules, about a fifth of the command's start-up.
 * Every module of the engine takes Arrow's values from here, never from 'apache-arrow'.
 */
import { createRequire } from 'node:module';
import type * as Arrow from 'apache-arrow';
import { singleFileArrowWanted } from './arrow-build.js';

const arrow: typeof Arrow =
  singleFileArrowWanted()
    ? (createRequire(import.meta.url)('apache-arrow/Arrow.esnext.min') as typeof Arrow)
    : await import('apache-arrow');

export const { Bool, DataType, Field, Float64, Int32, makeData, Null, RecordBatch, RecordBatchReader, Schema, Struct, Table, tableFromArrays, Type, Utf8 } = arrow;

/* eslint-disable @typescript-eslint/no-explicit-any -- Arrow's own defaults */
export type DataType<T extends Arrow.Type = any> = Arrow.DataType<T>;
export type Field<T extends Arrow.DataType = any> = Arrow.Field<T>;
export type RecordBatch<T extends Arrow.TypeMap = any> = Arrow.RecordBatch<T>;
export type RecordBatchReader<T extends Arrow.TypeMap = any> = Arrow.RecordBatchReader<T>;
export type Schema<T extends Arrow.TypeMap = any> = Arrow.Schema<T>;
export type Table<T extends Arrow.TypeMap = any> = Arrow.Table<T>;
export type Type = Arrow.Type;
export type { Data, Vector } from 'apache-arrow';
/** Arrow's Data class, to build a column from its buffers (see columnOf). */
export const ArrowData = arrow.Data;
