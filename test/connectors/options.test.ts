import { describe, expect, it } from 'vitest';
import { NEXMARK_SCHEMAS } from '../../src/connectors/nexmark/schemas.js';
import { validateSourceOptions, type SourceOptions } from '../../src/connectors/source-reader.js';
import { SluiceError } from '../../src/errors.js';
import type { Schema } from '../../src/types.js';

const cols: Schema = [
  { name: 'id', type: 'BIGINT' },
  { name: 'ts', type: 'TIMESTAMP' },
];

function error(connector: string, options: SourceOptions, schema: Schema = cols): SluiceError {
  try {
    validateSourceOptions(connector, options, schema);
  } catch (err) {
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).code).toBe('CONNECTOR');
    return err as SluiceError;
  }
  throw new Error(`expected ${JSON.stringify(options)} to be rejected`);
}

describe('validateSourceOptions', () => {
  it('accepts good file and nexmark options', () => {
    expect(() => validateSourceOptions('file', { connector: 'file', path: 'a.jsonl', format: 'jsonl', idle_timeout: '1s' }, cols)).not.toThrow();
    expect(() => validateSourceOptions('file', { path: 'a.csv', header: false, delimiter: '|' }, cols)).not.toThrow();
    expect(() => validateSourceOptions('file', { path: 'a.parquet' }, cols)).not.toThrow();
    expect(() => validateSourceOptions('file', { path: 'log.jsonl', follow: 'true' }, cols)).not.toThrow();
    expect(() =>
      validateSourceOptions('nexmark', { table: 'bid', events: 50, rate: '1000', seed: 3, base_time: '2024-05-01 00:00:00' }, NEXMARK_SCHEMAS.bid),
    ).not.toThrow();
    expect(() => validateSourceOptions('nexmark', { table: 'BID' }, [{ name: 'Price', type: 'DOUBLE' }])).not.toThrow();
  });

  it('names the faulty option of a file source', () => {
    expect(error('file', { path: 'a.jsonl', format: 'jsonl', colour: 'red' }).message).toContain("unknown option 'colour'");
    expect(error('file', { format: 'jsonl' }).message).toContain("missing option 'path'");
    expect(error('file', { path: 'a.jsonl', format: 'xml' }).message).toContain("unknown format 'xml'");
    expect(error('file', { path: 'data.txt' }).message).toContain("missing option 'format'");
    expect(error('file', { path: 'a.jsonl', header: true }).message).toContain("option 'header' applies only to format 'csv'");
    expect(error('file', { path: 'a.csv', delimiter: ';;' }).message).toContain("option 'delimiter'");
    expect(error('file', { path: 'a.csv', header: 'maybe' }).message).toContain("option 'header' must be true or false");
    expect(error('file', { path: 'a.parquet', follow: true }).message).toContain("option 'follow'");
    expect(error('file', { path: 5 }).message).toContain("option 'path' must be a string");
  });

  it('names the faulty option or column of a nexmark source', () => {
    expect(error('nexmark', {}).message).toContain("missing option 'table'");
    expect(error('nexmark', { table: 'bids' }).message).toContain("unknown nexmark table 'bids'");
    expect(error('nexmark', { table: 'bid', events: -1 }).message).toContain("option 'events' must be at least 0");
    expect(error('nexmark', { table: 'bid', events: 1.5 }).message).toContain("option 'events' must be an integer");
    expect(error('nexmark', { table: 'bid', rate: 0 }).message).toContain("option 'rate' must be positive");
    expect(error('nexmark', { table: 'bid', base_time: 'yesterday' }).message).toContain("option 'base_time'");
    expect(error('nexmark', { table: 'bid', path: 'x' }).message).toContain("unknown option 'path'");
    expect(error('nexmark', { table: 'bid' }, [{ name: 'seller', type: 'BIGINT' }]).message).toContain('column seller is not a column of nexmark table bid');
    expect(error('nexmark', { table: 'bid' }, [{ name: 'price', type: 'VARCHAR' }]).message).toContain('column price: nexmark bid.price is BIGINT');
  });

  it('rejects an unknown connector', () => {
    expect(error('kafka', {}).message).toContain("unknown source connector 'kafka'");
  });
});
