/**
 * Source connectors: what the engine needs to read sources declared with
 * `CREATE SOURCE … WITH (connector = …)`, and the Nexmark generator for `sluice bench`.
 */
export {
  GENERIC_SOURCE_OPTIONS,
  openSourceReader,
  SOURCE_CONNECTORS,
  validateSourceOptions,
  type DeadLetter,
  type ReadBatch,
  type ReaderOptions,
  type SourceOptions,
  type SourceReader,
} from './source-reader.js';
export { MAX_BATCH_ROWS } from './batch-limits.js';
export { FILE_FORMATS, type FileFormat } from './file/file-source.js';
export {
  NEXMARK_DEFAULT_BASE_TIME,
  NEXMARK_DEFAULT_RATE,
  NexmarkGenerator,
  type NexmarkBatch,
  type NexmarkColumns,
  type NexmarkConfig,
  type NexmarkGeneratorOptions,
} from './nexmark/generator.js';
export { NEXMARK_SCHEMAS, NEXMARK_TABLES, type NexmarkTable } from './nexmark/schemas.js';
export { parseDate, parseTimestamp } from './parse-value.js';
