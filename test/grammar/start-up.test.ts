/**
 * What the grammar skips or defers at start-up must not change what it does. The shared
 * parser builds each lookahead function when first needed: it must parse (and fail) exactly
 * as a parser that built them all at construction. Keyword tokens get their categories
 * after creation and the lexer is spared analysing their patterns: they must still match
 * their categories, and keep the order in which no keyword hides a longer one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { CstNode, IToken } from 'chevrotain';
import { describe, expect, it } from 'vitest';
import { tokenMatcher } from '../../grammar/chevrotain.js';
import * as T from '../../grammar/lexer.js';
import { parser, SqlParser } from '../../grammar/parser.js';

/** Every SQL file of the repository's examples and queries. */
function sqlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sqlFiles(p) : p.endsWith('.sql') ? [p] : [];
  });
}

const CORPUS = [
  ...sqlFiles('queries').map((f) => readFileSync(f, 'utf8')),
  "SELECT a, b + 1 AS c FROM t WHERE x > 1 AND NOT y = 2 OR z IS NOT NULL",
  "SELECT CASE WHEN a BETWEEN 1 AND 2 THEN 'x' ELSE 'y' END, CAST(b AS VARCHAR), c::INT, EXTRACT(YEAR FROM d) FROM t",
  "SELECT * FROM v AS OF TIMESTAMP '2024-01-01 00:00:10' x, CHANGES(w) c WHERE a IN (?, ?) AND b LIKE ?",
  'ALTER SOURCE s ADD COLUMN c INT DEFAULT 0; SHOW SOURCES; DESCRIBE s; CHECKPOINT',
  "INSERT INTO orders (id, note) EXPECTED VERSION 3 VALUES (1, 'a'), (2, NULL)",
  'SELECT position(a IN b), EXISTS (SELECT 1), (SELECT max(x) FROM y) FROM t',
];

const SOUP = [
  'SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'ORDER', 'LIMIT', 'EMIT', 'ON', 'WINDOW', 'CLOSE', 'CHANGES', 'UNION', 'ALL',
  'CREATE', 'SOURCE', 'MATERIALIZED', 'VIEW', 'SINK', 'WITH', 'AS', 'OF', 'TIMESTAMP', 'INSERT', 'INTO', 'VALUES', 'JOIN',
  'LEFT', 'TUMBLE', 'HOP', 'TABLE', 'PARTITION', 'INTERVAL', 'SECOND', 'OVER', 'ROWS', 'BETWEEN', 'AND', 'OR', 'NOT',
  'CASE', 'WHEN', 'THEN', 'END', 'CAST', 'INT', 'IS', 'NULL', 'IN', 'MATCH_RECOGNIZE', 'PATTERN', 'DEFINE', 'a', 'b',
  "'s'", '1', '?', '*', '+', '-', '=', '::', '(', ')', ',', '.', ';',
];

/** A CST as plain data: node names, token types and images, locations. */
function plain(node: CstNode | IToken): unknown {
  if ('tokenType' in node) return [node.tokenType.name, node.image, node.startOffset];
  const children: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node.children)) children[k] = v.map((c) => plain(c as CstNode | IToken));
  return { name: node.name, children, location: node.location };
}

/** A parser's result for `sql`: its tree, or its errors as messages and tokens. */
function run(p: SqlParser, sql: string): unknown {
  p.input = T.sqlLexer.tokenize(sql).tokens;
  const cst = p.script();
  const errors = p.errors.map((e) => [e.name, e.message, e.token.startOffset]);
  p.input = [];
  return { cst: errors.length === 0 ? plain(cst) : null, errors };
}

describe('the shared parser (lookahead built when first needed)', () => {
  const eager = new SqlParser({ validate: true });

  it('parses the example queries as a parser that built all its lookahead at once', () => {
    expect(CORPUS.length).toBeGreaterThan(20);
    for (const sql of CORPUS) {
      const want = run(eager, sql) as { errors: unknown[] };
      expect(want.errors).toEqual([]);
      expect(run(parser, sql)).toEqual(want);
    }
  });

  it('parses and fails on token soup as that parser does', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...SOUP), { maxLength: 30 }), (words) => {
        const sql = words.join(' ');
        expect(run(parser, sql)).toEqual(run(eager, sql));
      }),
      { numRuns: 300 },
    );
  });
});

describe('keyword tokens', () => {
  const keywords = [...T.KEYWORD_WORDS.keys()];

  it('belong to their categories', () => {
    const reserved = new Set([T.Select, T.From, T.Where, T.Interval, T.SetKeyword, T.For]);
    const image = (t: (typeof keywords)[number]) => T.sqlLexer.tokenize(T.KEYWORD_WORDS.get(t)![0]!).tokens[0]!;
    for (const k of keywords) {
      const tok = image(k);
      expect(tok.tokenType).toBe(k);
      expect(tokenMatcher(tok, T.Keyword)).toBe(true);
      expect(tokenMatcher(tok, T.AnyToken)).toBe(true);
      expect(tokenMatcher(tok, T.Reserved)).not.toBe(tokenMatcher(tok, T.NonReserved));
      if (reserved.has(k)) expect(tokenMatcher(tok, T.Reserved)).toBe(true);
    }
    expect(tokenMatcher(image(T.Source), T.NonReserved)).toBe(true);
    const ident = T.sqlLexer.tokenize('selection').tokens[0]!;
    expect(ident.tokenType).toBe(T.Identifier);
    expect(tokenMatcher(ident, T.Keyword)).toBe(false);
  });

  it('come in an order where none hides a longer one it is a prefix of', () => {
    const order = T.allTokens.filter((t) => T.KEYWORD_WORDS.has(t));
    expect(new Set(order)).toEqual(new Set(keywords));
    const words = (t: (typeof keywords)[number]) => T.KEYWORD_WORDS.get(t)!;
    order.forEach((a, i) => {
      for (const b of order.slice(i + 1)) {
        const hides = words(a).some((wa) => words(b).some((wb) => wb.length > wa.length && wb.startsWith(wa)));
        expect(hides, `${a.name} before ${b.name}`).toBe(false);
      }
    });
  });

  it('lex as the validated lexer lexes them', () => {
    const validated = T.buildLexer(true);
    const text = [...T.KEYWORDS, 'a\nb', "'x\ny'", '/* c\n */', 'intox', 'int', 'into', 'in'].join(' \n ');
    const strip = (ts: IToken[]) => ts.map((t) => [t.tokenType.name, t.image, t.startLine, t.startColumn, t.endLine]);
    expect(strip(T.sqlLexer.tokenize(text).tokens)).toEqual(strip(validated.tokenize(text).tokens));
  });
});
