import { describe, expect, it } from 'vitest';
import { displayWidth, formatCsv, formatJsonl, formatResult, formatTable, groupThousands } from '../../repl/format.js';

const lines = (...l: string[]): string => l.join('\n');

const cols = [
  { name: 'id', type: 'BIGINT' },
  { name: 'name', type: 'VARCHAR' },
  { name: 'ok', type: 'BOOLEAN' },
  { name: 'ts', type: 'TIMESTAMP' },
  { name: 'price', type: 'DOUBLE' },
];
const rows = [
  [1, 'alice', true, new Date('2024-01-01T00:00:10Z'), 12.5],
  [9007199254740993n, null, false, null, undefined],
  [-3, 'bob', null, new Date('2024-01-01T00:00:00Z'), 0.1],
];

describe('formatTable', () => {
  it('prints names and types, right-aligns numbers, shows NULL, ISO timestamps and a row count', () => {
    expect(formatTable(cols, rows, { maxRows: 40 })).toBe(
      lines(
        '┌──────────────────┬─────────┬─────────┬──────────────────────────┬────────┐',
        '│        id        │  name   │   ok    │            ts            │ price  │',
        '│      BIGINT      │ VARCHAR │ BOOLEAN │        TIMESTAMP         │ DOUBLE │',
        '├──────────────────┼─────────┼─────────┼──────────────────────────┼────────┤',
        '│                1 │ alice   │ true    │ 2024-01-01T00:00:10.000Z │   12.5 │',
        '│ 9007199254740993 │ NULL    │ false   │ NULL                     │   NULL │',
        '│               -3 │ bob     │ NULL    │ 2024-01-01T00:00:00.000Z │    0.1 │',
        '└──────────────────┴─────────┴─────────┴──────────────────────────┴────────┘',
        '3 rows',
      ),
    );
  });

  it('cuts the widest cells with … to fit maxWidth', () => {
    const out = formatTable(cols, rows, { maxRows: 40, maxWidth: 50 });
    expect(out).toBe(
      lines(
        '┌─────────┬─────────┬─────────┬─────────┬────────┐',
        '│   id    │  name   │   ok    │   ts    │ price  │',
        '│ BIGINT  │ VARCHAR │ BOOLEAN │ TIMEST… │ DOUBLE │',
        '├─────────┼─────────┼─────────┼─────────┼────────┤',
        '│       1 │ alice   │ true    │ 2024-0… │   12.5 │',
        '│ 900719… │ NULL    │ false   │ NULL    │   NULL │',
        '│      -3 │ bob     │ NULL    │ 2024-0… │    0.1 │',
        '└─────────┴─────────┴─────────┴─────────┴────────┘',
        '3 rows',
      ),
    );
    for (const l of out.split('\n')) expect(displayWidth(l)).toBeLessThanOrEqual(50);
  });

  it('shows the first and last rows and says how many were left out', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => [i + 1, `row ${i + 1}`]);
    expect(formatTable([{ name: 'n', type: 'INT' }, { name: 'label', type: 'VARCHAR' }], many, { maxRows: 4 })).toBe(
      lines(
        '┌───────┬─────────────────┐',
        '│   n   │      label      │',
        '│  INT  │     VARCHAR     │',
        '├───────┼─────────────────┤',
        '│     1 │ row 1           │',
        '│     2 │ row 2           │',
        '├───────┴─────────────────┤',
        '│ … 9,996 rows left out … │',
        '├───────┬─────────────────┤',
        '│  9999 │ row 9999        │',
        '│ 10000 │ row 10000       │',
        '└───────┴─────────────────┘',
        '10,000 rows',
      ),
    );
  });

  it('widens a narrow table for the left-out note, and keeps one more row at the top for an odd maxRows', () => {
    expect(formatTable([{ name: 'n', type: 'INT' }], [[1], [2], [3], [4], [5]], { maxRows: 3 })).toBe(
      lines(
        '┌─────────────────────┐',
        '│          n          │',
        '│         INT         │',
        '├─────────────────────┤',
        '│                   1 │',
        '│                   2 │',
        '├─────────────────────┤',
        '│ … 2 rows left out … │',
        '├─────────────────────┤',
        '│                   5 │',
        '└─────────────────────┘',
        '5 rows',
      ),
    );
  });

  it('escapes control characters and aligns wide characters', () => {
    expect(formatTable([{ name: 'k', type: 'VARCHAR' }, { name: 'v', type: 'INT' }], [['a\nb\tc', 1], ['日本', 22], ['x', null]], { maxRows: 10 })).toBe(
      lines(
        '┌─────────┬──────┐',
        '│    k    │  v   │',
        '│ VARCHAR │ INT  │',
        '├─────────┼──────┤',
        '│ a\\nb\\tc │    1 │',
        '│ 日本    │   22 │',
        '│ x       │ NULL │',
        '└─────────┴──────┘',
        '3 rows',
      ),
    );
  });

  it('prints an empty result and the singular row count', () => {
    expect(formatTable([{ name: 'k', type: 'VARCHAR' }], [], { maxRows: 10 })).toBe(
      lines('┌─────────┐', '│    k    │', '│ VARCHAR │', '├─────────┤', '└─────────┘', '0 rows'),
    );
    expect(formatTable([{ name: 'n', type: 'BIGINT' }], [[1]], { maxRows: 10 })).toBe(
      lines('┌────────┐', '│   n    │', '│ BIGINT │', '├────────┤', '│      1 │', '└────────┘', '1 row'),
    );
  });

  it('right-aligns a column of an unknown type when all its values are numbers', () => {
    const out = formatTable([{ name: 'x', type: '?' }, { name: 'y', type: '?' }], [[1, 'a'], [100, 2]], { maxRows: 10 });
    expect(out.split('\n').slice(4, 6)).toEqual(['│   1 │ a │', '│ 100 │ 2 │']);
  });

  it('is deterministic: the same input gives the same string', () => {
    expect(formatTable(cols, rows, { maxRows: 2, maxWidth: 60 })).toBe(formatTable(cols, rows, { maxRows: 2, maxWidth: 60 }));
  });
});

describe('groupThousands', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1,000'],
    [9990, '9,990'],
    [1234567, '1,234,567'],
    [-1234, '-1,234'],
  ])('%d → %s', (n, s) => expect(groupThousands(n)).toBe(s));
});

describe('formatJsonl', () => {
  it('prints one object per row with ISO dates, safe bigints as numbers and escaped strings', () => {
    const out = formatJsonl(
      [
        { name: 'a', type: 'BIGINT' },
        { name: 'b', type: 'VARCHAR' },
        { name: 'ts', type: 'TIMESTAMP' },
      ],
      [
        [42n, 'say "hi"\nnow \\ é', new Date(Date.UTC(2024, 0, 1, 0, 0, 10))],
        [2n ** 63n - 1n, null, undefined],
        [1.5, '', new Date(NaN)],
      ],
    );
    expect(out).toBe(
      lines(
        '{"a":42,"b":"say \\"hi\\"\\nnow \\\\ é","ts":"2024-01-01T00:00:10.000Z"}',
        '{"a":"9223372036854775807","b":null,"ts":null}',
        '{"a":1.5,"b":"","ts":null}',
      ),
    );
    for (const l of out.split('\n')) expect(() => JSON.parse(l)).not.toThrow();
  });

  it('keeps every column when names repeat or collide with object internals', () => {
    const out = formatJsonl(
      [
        { name: 'a', type: 'INT' },
        { name: 'a', type: 'INT' },
        { name: '__proto__', type: 'INT' },
      ],
      [[1, 2, 3]],
    );
    expect(out).toBe('{"a":1,"a_1":2,"__proto__":3}');
  });

  it('prints nothing for no rows', () => {
    expect(formatJsonl([{ name: 'a', type: 'INT' }], [])).toBe('');
  });
});

describe('formatCsv', () => {
  it('writes a header and quotes as RFC 4180 requires', () => {
    const out = formatCsv(
      [
        { name: 'id', type: 'INT' },
        { name: 'text, with comma', type: 'VARCHAR' },
        { name: 'ts', type: 'TIMESTAMP' },
        { name: 'flag', type: 'BOOLEAN' },
      ],
      [
        [1, 'plain', new Date(0), true],
        [2, 'a,b', null, false],
        [3, 'say "hi"', null, null],
        [4, 'two\nlines', null, null],
        [5, '', null, null],
        [12345678901234567890n, 'cr\r', null, null],
      ],
    );
    expect(out).toBe(
      lines(
        'id,"text, with comma",ts,flag',
        '1,plain,1970-01-01T00:00:00.000Z,true',
        '2,"a,b",,false',
        '3,"say ""hi""",,',
        '4,"two\nlines",,',
        '5,"",,',
        '12345678901234567890,"cr\r",,',
      ),
    );
  });
});

describe('formatResult', () => {
  it('dispatches on the output mode', () => {
    const c = [{ name: 'a', type: 'INT' }];
    const r = [[1]];
    expect(formatResult('jsonl', c, r, { maxRows: 10 })).toBe('{"a":1}');
    expect(formatResult('csv', c, r, { maxRows: 10 })).toBe('a\n1');
    expect(formatResult('table', c, r, { maxRows: 10 })).toBe(formatTable(c, r, { maxRows: 10 }));
  });
});
