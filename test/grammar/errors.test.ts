import { describe, expect, it } from 'vitest';
import { parse, parseExpression, parseStatement } from '../../grammar/index.js';
import { renderError, SluiceError } from '../../src/errors.js';

/** The PARSE error `fn` throws. */
function errorOf(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SluiceError);
    return e as SluiceError;
  }
  throw new Error('expected a PARSE error, but parsing succeeded');
}

/** Chevrotain's vocabulary, which must never reach a user. */
const INTERNAL_WORDS =
  /-->|<\[|\bIdentifier\b|QuotedIdentifier|NonReserved|\bReserved\b|StringLiteral|NumberLiteral|LParen|RParen|Semicolon|\bEOF\b|AnyToken|IntType|TimestampType|Expecting|Redundant input|one of these possible Token sequences/;

type Case = readonly [sql: string, line: number, column: number, words: readonly string[]];

const CASES: readonly Case[] = [
  // Misspelled keywords, also when the parser first took them for an alias.
  ['SELECT a FORM t', 1, 10, ["expected FROM after the select list, found 'FORM'"]],
  ['SELEC 1', 1, 1, ["expected a statement (SELECT, CREATE, INSERT, …), found 'SELEC'", 'did you mean SELECT?']],
  ['SELECT * FROM t WHER a = 1', 1, 17, ['expected WHERE', "found 'WHER'"]],
  ['SELECT * FROM t ORDR BY a', 1, 17, ['expected ORDER BY', "found 'ORDR'"]],
  ['CREATE SORCE s (a INT)', 1, 8, ["expected SOURCE after CREATE, found 'SORCE'"]],
  ['SELECT 1;\nSELECT a FORM t', 2, 10, ["expected FROM after the select list, found 'FORM'"]],
  // Missing commas and parentheses.
  ['CREATE SOURCE s (a INT b INT)', 1, 24, ["expected ',' or ')' in the column list, found 'b'"]],
  ['INSERT INTO t (a b) VALUES (1)', 1, 18, ["expected ',' or ')' in the column list, found 'b'"]],
  ['SELECT a b c FROM t', 1, 12, ["expected ',' or FROM after the select list, found 'c'"]],
  ['SELECT COUNT(a FROM t', 1, 16, ["expected ',' or ')'", "found 'FROM'"]],
  ['SELECT (a + b FROM t', 1, 15, ["expected ')'", "found 'FROM'"]],
  ['SELECT a FROM t WHERE a IN (1 2)', 1, 31, ["expected ',' or ')' in the IN list, found '2'"]],
  ['WITH x AS SELECT 1', 1, 11, ["expected '(' after AS, found 'SELECT'"]],
  ['SELECT 1 SELECT 2', 1, 10, ["expected ';' before the next statement, found 'SELECT'"]],
  ['SELECT a FROM t\nCREATE VIEW v AS SELECT 1', 2, 1, ["expected ';' before the next statement, found 'CREATE'"]],
  ['CREATE TABLE t (a INT)', 1, 8, ["expected MATERIALIZED, OR REPLACE, SINK, SOURCE or VIEW after CREATE, found 'TABLE'"]],
  ['SELECT a FROM t EMIT', 1, 21, ['expected ON WINDOW CLOSE or CHANGES after EMIT, found end of input']],
  ['SELECT f(x) OVER (ROWS BETWEEN CURRENT AND CURRENT ROW)', 1, 40, ["expected FOLLOWING, PRECEDING or ROW after CURRENT, found 'AND'"]],
  // Broken tokens.
  ["SELECT 'abc", 1, 8, ['unterminated string starting here']],
  ["SELECT a,\n  'it''s", 2, 3, ['unterminated string starting here']],
  ['SELECT "abc', 1, 8, ['unterminated quoted name starting here']],
  ['SELECT 1 /* x\n y', 1, 10, ['unterminated comment starting here']],
  ['SELECT a # b', 1, 10, ["unexpected character '#'"]],
  ['SELECT a\n FROM t\n WHERE a ! 1', 3, 10, ["unexpected character '!'"]],
  ['SELECT "" FROM t', 1, 8, ['a quoted name cannot be empty']],
  // Literals.
  ["SELECT INTERVAL '10' SECNDS", 1, 22, ["unknown interval unit 'SECNDS'", 'MILLISECOND, SECOND, MINUTE, HOUR or DAY']],
  ["SELECT INTERVAL '10 fortnights'", 1, 8, ["unknown interval unit 'fortnights'", 'MILLISECOND, SECOND, MINUTE, HOUR or DAY']],
  ["SELECT INTERVAL '10' FROM t", 1, 8, ["INTERVAL '10' needs a unit", 'SECOND']],
  ["SELECT INTERVAL 'soon'", 1, 8, ["cannot read INTERVAL 'soon'"]],
  ['SELECT EXTRACT(fortnight FROM ts)', 1, 16, ["unknown EXTRACT field 'fortnight'", 'YEAR']],
  ['CREATE SOURCE s (a UUID)', 1, 20, ["expected a type such as INT, BIGINT, DOUBLE, VARCHAR, TIMESTAMP after 'a', found 'UUID'"]],
  // End of input: reported just past the last token.
  ['CREATE SOURCE s (a INT', 1, 23, ["expected ',' or ')' in the column list, found end of input"]],
  ['SELECT a FROM', 1, 14, ['expected a source or view name', 'after FROM, found end of input']],
  ['SELECT a,\n   ', 1, 10, ["expected an expression or '*' after ',', found end of input"]],
  ['CREATE VIEW v AS', 1, 17, ['expected a query (SELECT …) after AS, found end of input']],
  ['CREATE VIEW v AS -- the query comes later\n', 1, 17, ['found end of input']],
  ['INSERT INTO t VALUES (1,', 1, 25, ["expected an expression after ',', found end of input"]],
  ['SELECT a\n  FROM t\n WHERE (a', 3, 10, ["expected ')'", 'found end of input']],
  ['SELECT CASE WHEN a THEN b', 1, 26, ['expected WHEN, ELSE or END', 'found end of input']],
  ["SELECT 'a\nb' ||", 2, 6, ['expected an expression', 'found end of input']],
  ['SELECT a FROM t WHERE a BETWEEN 1', 1, 34, ['expected AND', 'found end of input']],
  // Wrong or extra tokens.
  ['SELECT FROM t', 1, 8, ["expected an expression or '*' after SELECT, found 'FROM'"]],
  ['CHECKPOINT now', 1, 12, ["expected ';' or end of input after CHECKPOINT, found 'now'"]],
  ['SELECT 1 FROM t garbage more', 1, 25, ["found 'more'"]],
  ['DROP TABLE t', 1, 6, ["expected MATERIALIZED VIEW, SINK, SOURCE or VIEW after DROP, found 'TABLE'"]],
  ['SET x', 1, 6, ["expected '=' or TO", 'found end of input']],
  ["CREATE SOURCE s (a INT) WITH (x = )", 1, 35, ['expected a value', "found ')'"]],
  ['SELECT a FROM t AS OF OFFSET 1 x AS OF OFFSET 2', 1, 34, ['AS OF can be given only once']],
  ['CREATE SOURCE s (a INT, WATERMARK FOR a AS a, WATERMARK FOR a AS a)', 1, 47, ['only one WATERMARK']],
  ['SELECT * FROM TUMBLE(t)', 1, 15, ['expected the time column after the table in TUMBLE']],
  [`SELECT ${'('.repeat(250)}1${')'.repeat(250)}`, 1, 208, ['nested too deeply']],
];

describe('syntax errors', () => {
  it.each(CASES)('%j at %i:%i', (sql, line, column, words) => {
    const err = errorOf(() => parse(sql));
    expect(err.code).toBe('PARSE');
    expect({ line: err.line, column: err.column }).toEqual({ line, column });
    for (const w of words) expect(err.message).toContain(w);
    expect(err.message).not.toMatch(INTERNAL_WORDS);
    expect(err.sql).toBe(sql);
  });

  it('has at least twenty cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
  });

  it('renders with a caret under the fault', () => {
    const err = errorOf(() => parse('SELECT a\nFROM t WHER x = 1'));
    expect(renderError(err)).toBe(
      "Parser Error: expected WHERE after 't', found 'WHER' (line 2, column 8)\nLINE 2: FROM t WHER x = 1\n               ^^^^",
    );
  });

  it('parseStatement wants exactly one statement', () => {
    expect(errorOf(() => parseStatement('SELECT 1; SELECT 2'))).toMatchObject({
      code: 'PARSE',
      line: 1,
      column: 11,
      message: 'expected one statement, found a second one',
    });
    expect(errorOf(() => parseStatement(' ;\n'))).toMatchObject({
      code: 'PARSE',
      line: 2,
      column: 1,
      message: 'expected a statement, found end of input',
    });
    expect(parseStatement('SELECT 1;').kind).toBe('QueryStatement');
  });

  it('parseExpression wants exactly one expression', () => {
    expect(errorOf(() => parseExpression('a +'))).toMatchObject({ code: 'PARSE', line: 1, column: 4, message: expect.stringContaining('end of input') });
    expect(errorOf(() => parseExpression('a b'))).toMatchObject({ code: 'PARSE', line: 1, column: 3 });
  });

  it('refuses absurd nesting without a stack overflow, and parses normally afterwards', () => {
    for (const sql of [`SELECT ${'NOT '.repeat(20_000)}a`, `SELECT ${'- '.repeat(20_000)}a`, `SELECT ${'CASE WHEN a THEN '.repeat(5_000)}1`]) {
      expect(errorOf(() => parse(sql))).toMatchObject({ code: 'PARSE', line: 1, column: 1, message: 'the statement is nested too deeply to parse' });
    }
    expect(parse('SELECT 1 AS one').texts).toEqual(['SELECT 1 AS one']);
  });

  it('never leaks Chevrotain wording, even for long statements beyond content assist', () => {
    const long = `SELECT ${Array.from({ length: 800 }, (_, i) => `c${i}`).join(', ')} FROM t WHERE`;
    const err = errorOf(() => parse(long));
    expect(err.message).toMatch(/^expected an expression after WHERE, found end of input$/);
    expect(err.column).toBe(long.length + 1);
  });
});
