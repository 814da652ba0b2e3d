/**
 * The MATCH_RECOGNIZE grammar: the clause's parts in the AST, `?` as a quantifier inside
 * PATTERN but a parameter elsewhere, and the clause's words still usable as names.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '../../../../grammar/index.js';
import type { MatchRecognize, QueryStatement, RowPattern, Select } from '../../../../grammar/ast.js';

function recognize(sql: string): MatchRecognize {
  const s = parse(sql).statements[0] as QueryStatement;
  const from = (s.query.body as Select).from!;
  expect(from.kind).toBe('MatchRecognize');
  return from as MatchRecognize;
}

const shape = (p: RowPattern): unknown => {
  switch (p.kind) {
    case 'PatternVar':
      return p.name.name;
    case 'PatternSeq':
      return p.items.map(shape);
    case 'PatternAlt':
      return { alt: p.items.map(shape) };
    case 'PatternQuant':
      return { q: shape(p.term), min: p.min, max: p.max, ...(p.reluctant ? { reluctant: true } : {}) };
    default:
      return p.kind;
  }
};

const base = (pattern: string, tail = '') =>
  `SELECT * FROM t MATCH_RECOGNIZE (PARTITION BY k ORDER BY ts MEASURES A.x AS ax PATTERN (${pattern}) ${tail} DEFINE A AS x > 0) m`;

describe('MATCH_RECOGNIZE syntax', () => {
  it('reads every clause', () => {
    const m = recognize(`SELECT * FROM t MATCH_RECOGNIZE (
      PARTITION BY k, j ORDER BY ts, x DESC
      MEASURES FIRST(A.x, 1) AS f, COUNT(B.*) AS n
      ONE ROW PER MATCH AFTER MATCH SKIP TO FIRST B
      PATTERN (A B+) WITHIN INTERVAL '5' MINUTE
      DEFINE A AS PREV(x) IS NULL, B AS B.x > A.x
    ) AS m`);
    expect(m.input.name).toBe('t');
    expect(m.partitionBy.map((c) => c.name.name)).toEqual(['k', 'j']);
    expect(m.orderBy.map((o) => o.desc)).toEqual([false, true]);
    expect(m.measures.map((x) => x.alias.name)).toEqual(['f', 'n']);
    expect(m.rowsPerMatch?.one).toBe(true);
    expect(m.afterMatch).toMatchObject({ skip: 'TO_FIRST', variable: { name: 'b' } });
    expect(m.withinMs).toBe(300_000);
    expect(m.defines.map((d) => d.name.name)).toEqual(['a', 'b']);
    expect(m.alias?.name).toBe('m');
    const count = m.measures[1]!.expr;
    expect(count).toMatchObject({ kind: 'FuncCall', name: 'COUNT', star: false, args: [], starQualifier: { name: 'b' } });
  });

  it('reads quantifiers, alternation and groups', () => {
    expect(shape(recognize(base('A B* C+ D? E{2} F{2,} G{,3} H{1,4}')).pattern)).toEqual([
      'a',
      { q: 'b', min: 0, max: null },
      { q: 'c', min: 1, max: null },
      { q: 'd', min: 0, max: 1 },
      { q: 'e', min: 2, max: 2 },
      { q: 'f', min: 2, max: null },
      { q: 'g', min: 0, max: 3 },
      { q: 'h', min: 1, max: 4 },
    ]);
    expect(shape(recognize(base('A*? B+? C?? D{1,2}?')).pattern)).toEqual([
      { q: 'a', min: 0, max: null, reluctant: true },
      { q: 'b', min: 1, max: null, reluctant: true },
      { q: 'c', min: 0, max: 1, reluctant: true },
      { q: 'd', min: 1, max: 2, reluctant: true },
    ]);
    expect(shape(recognize(base('A (B | C D)+ | E')).pattern)).toEqual({ alt: [['a', { q: { alt: ['b', ['c', 'd']] }, min: 1, max: null }], 'e'] });
  });

  it('counts ? as a parameter outside PATTERN only', () => {
    const s = parse(`SELECT * FROM t MATCH_RECOGNIZE (ORDER BY ts MEASURES A.x + ? AS ax PATTERN (A? B??) DEFINE B AS x > ?) m WHERE ax > ?`).statements[0] as QueryStatement;
    const params: number[] = [];
    JSON.stringify(s, (k, v: unknown) => {
      if (v !== null && typeof v === 'object' && (v as { kind?: string }).kind === 'Param') params.push((v as { index: number }).index);
      return v;
    });
    expect(params.sort()).toEqual([0, 1, 2]);
  });

  it('leaves the clause words free as names', () => {
    const s = parse(`SELECT pattern, define, measures, match, skip, past, next, within, one, per, after FROM t`).statements[0] as QueryStatement;
    expect((s.query.body as Select).items).toHaveLength(11);
    // A table alias before MATCH_RECOGNIZE is not part of the syntax: the word after the input is.
    expect(() => parse(`SELECT * FROM t x MATCH_RECOGNIZE (ORDER BY ts PATTERN (A) DEFINE A AS TRUE)`)).toThrow();
  });
});
