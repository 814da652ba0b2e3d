/**
 * `INTERVAL '5'` without a unit (issue 11, item 10). DuckDB reads a bare amount as seconds,
 * sluice refuses it: the error must be a PARSE error with line and column that front ends
 * never hand to DuckDB instead (`isDialectError`), unlike syntax sluice does not know.
 */
import { describe, expect, it } from 'vitest';
import { isDialectError, parse } from '../../grammar/index.js';
import { SluiceError } from '../../src/errors.js';

function errorOf(sql: string): SluiceError {
  try {
    parse(sql);
  } catch (e) {
    expect(e).toBeInstanceOf(SluiceError);
    return e as SluiceError;
  }
  throw new Error(`expected ${sql} to fail to parse`);
}

describe('INTERVAL without a unit', () => {
  it.each([
    ["SELECT INTERVAL '5' AS x", 1, 8, "INTERVAL '5' needs a unit"],
    ["SELECT INTERVAL '5'", 1, 8, "INTERVAL '5' needs a unit"],
    ["SELECT a\nFROM v\nWHERE ts > now() - INTERVAL ' 2.5 ' ", 3, 20, "INTERVAL ' 2.5 ' needs a unit"],
    ['SELECT INTERVAL 5 FROM v', 1, 8, "INTERVAL '5' needs a unit"],
    ["CREATE SOURCE s (ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '5')", 1, 57, "INTERVAL '5' needs a unit"],
  ])('%j is a final PARSE error at %i:%i', (sql, line, column, words) => {
    const err = errorOf(sql);
    expect(err).toMatchObject({ code: 'PARSE', line, column });
    expect(err.message).toContain(words);
    expect(err.message).toContain('MILLISECOND, SECOND, MINUTE, HOUR or DAY');
    expect(isDialectError(err)).toBe(true);
  });

  it('other parse errors may still be DuckDB syntax', () => {
    expect(isDialectError(errorOf('SELECT * FROM t QUALIFY a = 1'))).toBe(false);
    expect(isDialectError(errorOf("SELECT INTERVAL '5 years'"))).toBe(false);
    expect(isDialectError(new SluiceError('PARSE', 'x'))).toBe(false);
  });

  it('with a unit, in either spelling, it parses', () => {
    expect(() => parse("SELECT INTERVAL '5' SECOND, INTERVAL '5 seconds', INTERVAL 5 MINUTE")).not.toThrow();
  });
});
