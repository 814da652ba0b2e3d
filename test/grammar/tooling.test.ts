import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diagramsHtml } from '../../grammar/diagrams.js';
import { cstTypesSource } from '../../grammar/generate-cst.js';
import { KEYWORDS, tokenize } from '../../grammar/index.js';
import { buildLexer } from '../../grammar/lexer.js';
import { SqlParser } from '../../grammar/parser.js';

const kinds = (sql: string) => tokenize(sql).map((t) => [t.kind, t.text]);

describe('tokenize', () => {
  it('classifies every kind of token, comments included', () => {
    expect(kinds("SELECT a, \"B\" + 1.5 -- c\nFROM t /* x */ WHERE s = 'it''s' AND p = ?;")).toEqual([
      ['keyword', 'SELECT'],
      ['identifier', 'a'],
      ['punctuation', ','],
      ['identifier', '"B"'],
      ['operator', '+'],
      ['number', '1.5'],
      ['comment', '-- c'],
      ['keyword', 'FROM'],
      ['identifier', 't'],
      ['comment', '/* x */'],
      ['keyword', 'WHERE'],
      ['identifier', 's'],
      ['operator', '='],
      ['string', "'it''s'"],
      ['keyword', 'AND'],
      ['identifier', 'p'],
      ['operator', '='],
      ['parameter', '?'],
      ['punctuation', ';'],
    ]);
  });

  it('reports offsets into the text', () => {
    expect(tokenize('  SELECT\n x')).toEqual([
      { kind: 'keyword', text: 'SELECT', start: 2, end: 8 },
      { kind: 'identifier', text: 'x', start: 10, end: 11 },
    ]);
  });

  it('gives one error token running to the end for unclosed strings, names and comments', () => {
    expect(kinds("SELECT 'abc\n def")).toEqual([
      ['keyword', 'SELECT'],
      ['error', "'abc\n def"],
    ]);
    expect(kinds('SELECT "abc')).toEqual([
      ['keyword', 'SELECT'],
      ['error', '"abc'],
    ]);
    expect(kinds('SELECT /* abc')).toEqual([
      ['keyword', 'SELECT'],
      ['error', '/* abc'],
    ]);
  });

  it('marks unknown characters as errors and goes on', () => {
    expect(kinds('a # b')).toEqual([
      ['identifier', 'a'],
      ['error', '#'],
      ['identifier', 'b'],
    ]);
  });

  it('tells keywords from longer names and operators from one another', () => {
    expect(kinds('int integer intx interval in into desc describe <> != <= >= :: ||')).toEqual([
      ['keyword', 'int'],
      ['keyword', 'integer'],
      ['identifier', 'intx'],
      ['keyword', 'interval'],
      ['keyword', 'in'],
      ['keyword', 'into'],
      ['keyword', 'desc'],
      ['keyword', 'describe'],
      ['operator', '<>'],
      ['operator', '!='],
      ['operator', '<='],
      ['operator', '>='],
      ['operator', '::'],
      ['operator', '||'],
    ]);
  });
});

describe('KEYWORDS', () => {
  it('lists every keyword once, upper case and sorted', () => {
    expect(KEYWORDS).toEqual([...new Set(KEYWORDS)].sort());
    for (const k of KEYWORDS) expect(k).toMatch(/^[A-Z][A-Z_]*$/);
    for (const k of ['SELECT', 'FROM', 'EMIT', 'WATERMARK', 'TUMBLE', 'DESCRIPTOR', 'SECONDS', 'MILLISECOND', 'INTEGER', 'STRING', 'SUBSCRIBE']) {
      expect(KEYWORDS).toContain(k);
    }
  });

  it('are all tokenized as keywords', () => {
    expect(tokenize(KEYWORDS.join(' ')).every((t) => t.kind === 'keyword')).toBe(true);
  });
});

describe('the grammar', () => {
  it('passes Chevrotain\'s validations (no ambiguity, no left recursion)', () => {
    expect(() => new SqlParser({ validate: true })).not.toThrow();
  });

  it('has tokens Chevrotain\'s lexer validations accept (the shared lexer skips them)', () => {
    const lexer = buildLexer(true);
    expect(lexer.lexerDefinitionErrors).toEqual([]);
    expect(lexer.tokenize('SELECT a FROM t').tokens).toHaveLength(4);
  });
});

describe('files generated from the grammar', () => {
  it('grammar/cst.ts is up to date (regenerate: npm run build && node dist/grammar/generate-cst.js)', () => {
    const onDisk = readFileSync(new URL('../../grammar/cst.ts', import.meta.url), 'utf8');
    expect(onDisk).toBe(cstTypesSource());
  });

  it('the syntax diagrams page shows every statement rule', () => {
    const html = diagramsHtml();
    expect(html).toContain('<!DOCTYPE html>');
    for (const rule of ['script', 'createSourceBody', 'selectBlock', 'windowTvf', 'frameBound', 'typeName']) {
      expect(html).toMatch(new RegExp(`"name":\\s*"${rule}"`));
    }
  });
});
