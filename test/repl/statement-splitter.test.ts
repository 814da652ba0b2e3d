import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isComplete, splitStatements, StatementSplitter } from '../../repl/statement-splitter.js';

const texts = (text: string): string[] => splitStatements(text).map((s) => s.text);

describe('splitStatements', () => {
  it.each([
    ['SELECT 1; SELECT 2;', ['SELECT 1', 'SELECT 2']],
    ["SELECT 'a;b' ; SELECT 2;", ["SELECT 'a;b'", 'SELECT 2']],
    ["SELECT 'it''s; fine';", ["SELECT 'it''s; fine'"]],
    ['SELECT "a;""b" FROM t;', ['SELECT "a;""b" FROM t']],
    ['SELECT 1 -- not the end;\n + 1;', ['SELECT 1 -- not the end;\n + 1']],
    ['SELECT /* ; */ 1;', ['SELECT /* ; */ 1']],
    ['SELECT /* multi\nline; */ 1;', ['SELECT /* multi\nline; */ 1']],
    ['SELECT\n  a,\n  b\nFROM t\n;', ['SELECT\n  a,\n  b\nFROM t']],
    [';;  ;\n;', []],
    ['-- only a comment\n/* and another */', []],
    ['-- leading comment\nSELECT 1;', ['SELECT 1']],
    ['SELECT 1; SELECT 2', ['SELECT 1', 'SELECT 2']],
    ["SELECT '--', '/*';", ["SELECT '--', '/*'"]],
    ['SELECT a-b/c;', ['SELECT a-b/c']],
  ])('%j', (input, expected) => {
    expect(texts(input)).toEqual(expected);
  });

  it('marks a last statement without ; as unterminated', () => {
    const items = splitStatements('SELECT 1;\nSELECT 2');
    expect(items.map((i) => i.terminated)).toEqual([true, false]);
  });

  it('returns an unterminated string as one unterminated statement for the parser to reject', () => {
    const items = splitStatements("SELECT 'abc; SELECT 2;");
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: 'sql', text: "SELECT 'abc; SELECT 2;", terminated: false });
  });

  it('ignores an unclosed block comment at the end', () => {
    expect(texts('SELECT 1; /* SELECT 2;')).toEqual(['SELECT 1']);
  });

  it('reports where each statement starts (line and column, 1-based)', () => {
    const file = 'CREATE SOURCE s (a INT);\n\n  -- comment\n  SELECT a\n  FROM s; SELECT\n1;\n';
    expect(splitStatements(file).map(({ text, line, column, offset }) => ({ text, line, column, offset }))).toEqual([
      { text: 'CREATE SOURCE s (a INT)', line: 1, column: 1, offset: 0 },
      { text: 'SELECT a\n  FROM s', line: 4, column: 3, offset: file.indexOf('SELECT a') },
      { text: 'SELECT\n1', line: 5, column: 11, offset: file.lastIndexOf('SELECT') },
    ]);
  });

  it('counts columns after \\r\\n line ends and a byte-order mark', () => {
    const items = splitStatements('\uFEFFSELECT 1;\r\n  SELECT 2;');
    expect(items.map(({ text, line, column }) => ({ text, line, column }))).toEqual([
      { text: 'SELECT 1', line: 1, column: 2 },
      { text: 'SELECT 2', line: 2, column: 3 },
    ]);
  });

  it('reads dot-command lines between statements, with their own positions', () => {
    const file = ".mode csv\nSELECT 1;\n  .read 'it''s -- not a comment.sql'\nSELECT\n.5;\n";
    expect(splitStatements(file).map(({ kind, text, line, column }) => ({ kind, text, line, column }))).toEqual([
      { kind: 'dot', text: '.mode csv', line: 1, column: 1 },
      { kind: 'sql', text: 'SELECT 1', line: 2, column: 1 },
      { kind: 'dot', text: ".read 'it''s -- not a comment.sql'", line: 3, column: 3 },
      // Inside a statement a line starting with `.` is SQL.
      { kind: 'sql', text: 'SELECT\n.5', line: 4, column: 1 },
    ]);
  });

  it('does not take a `.` after other text on the line for a dot-command', () => {
    expect(splitStatements('SELECT 1; .help').map((i) => [i.kind, i.text])).toEqual([
      ['sql', 'SELECT 1'],
      ['sql', '.help'],
    ]);
  });
});

describe('isComplete', () => {
  it.each([
    ['', true],
    ['   \n  ', true],
    ['SELECT 1', false],
    ['SELECT 1;', true],
    ['SELECT 1;  -- trailing comment', true],
    ['SELECT 1; SELECT', false],
    ["SELECT 'a;", false],
    ["SELECT 'a'';'", false],
    ["SELECT 'a'';';", true],
    ['SELECT "x;', false],
    ['SELECT 1 -- ;', false],
    ['SELECT 1 /* ; */', false],
    ['SELECT 1 /* ; */;', true],
    ['/* unclosed', false],
    ['-- just a comment', true],
    ['.help', true],
    ['  .mode csv', true],
  ])('%j → %s', (buffer, expected) => {
    expect(isComplete(buffer)).toBe(expected);
  });
});

describe('StatementSplitter', () => {
  it('accumulates lines until a ; ends the statement', () => {
    const s = new StatementSplitter();
    expect(s.feed('SELECT a,')).toEqual({ statements: [], complete: false, rest: 'SELECT a,' });
    expect(s.feed('  b FROM t')).toEqual({ statements: [], complete: false, rest: 'SELECT a,\n  b FROM t' });
    expect(s.feed(';')).toEqual({ statements: [{ kind: 'sql', text: 'SELECT a,\n  b FROM t' }], complete: true, rest: '' });
    expect(s.isEmpty).toBe(true);
  });

  it('returns several statements typed on one line and keeps the unfinished tail', () => {
    const s = new StatementSplitter();
    const r = s.feed('SELECT 1; SELECT 2;SELECT');
    expect(r.statements.map((x) => x.text)).toEqual(['SELECT 1', 'SELECT 2']);
    expect(r).toMatchObject({ complete: false, rest: 'SELECT' });
    expect(s.feed('3;').statements.map((x) => x.text)).toEqual(['SELECT\n3']);
  });

  it('keeps a statement with an open string incomplete across lines', () => {
    const s = new StatementSplitter();
    expect(s.feed("INSERT INTO t VALUES ('a;").complete).toBe(false);
    expect(s.feed("b;');").statements).toEqual([{ kind: 'sql', text: "INSERT INTO t VALUES ('a;\nb;')" }]);
  });

  it('keeps a block comment open across lines', () => {
    const s = new StatementSplitter();
    expect(s.feed('/* a;').complete).toBe(false);
    expect(s.feed('b; */')).toEqual({ statements: [], complete: true, rest: '' });
  });

  it('runs a dot-command on its own line only when no statement is pending', () => {
    const s = new StatementSplitter();
    expect(s.feed('.mode csv')).toEqual({ statements: [{ kind: 'dot', text: '.mode csv' }], complete: true, rest: '' });
    s.feed('SELECT');
    const r = s.feed('.5;');
    expect(r.statements).toEqual([{ kind: 'sql', text: 'SELECT\n.5' }]);
  });

  it('takes pasted text with several lines in one feed', () => {
    const s = new StatementSplitter();
    const r = s.feed('.timer on\nSELECT 1;\nSELECT 2;');
    expect(r.statements).toEqual([
      { kind: 'dot', text: '.timer on' },
      { kind: 'sql', text: 'SELECT 1' },
      { kind: 'sql', text: 'SELECT 2' },
    ]);
  });

  it('forgets the pending statement on reset', () => {
    const s = new StatementSplitter();
    s.feed("SELECT 'abc");
    s.reset();
    expect(s.feed('SELECT 1;').statements).toEqual([{ kind: 'sql', text: 'SELECT 1' }]);
  });
});

describe('splitting random statements (property)', () => {
  const word = fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}$/);
  // Contents that would end a statement, open a comment or a string if the quoting were ignored.
  const tricky = fc.array(fc.constantFrom('a', ';', ' ', '\n', '-', '--', '/*', '*', '/', "'", '"', '.', 'x'), { maxLength: 8 }).map((a) => a.join(''));
  const str = tricky.map((s) => `'${s.replaceAll("'", "''")}'`);
  const quotedIdent = tricky.map((s) => `"${s.replaceAll('"', '""')}"`);
  const blockComment = tricky.filter((s) => !s.includes('*/') && !s.endsWith('*')).map((s) => `/*${s}*/`);
  const lineComment = tricky.filter((s) => !s.includes('\n')).map((s) => `--${s}\n`);
  const number = fc.constantFrom('1', '2.5', '10e3');
  const operator = fc.constantFrom('+', '=', '<=', '::', '||', ',', '(', ')');
  const fragment = fc.oneof(word, str, quotedIdent, blockComment, lineComment, number, operator);
  const statement = fc
    .tuple(word, fc.array(fc.tuple(fc.constantFrom(' ', '\n', '\t', ''), fragment), { maxLength: 8 }))
    .map(([first, rest]) => first + rest.map(([sep, f]) => (sep === '' && /^[a-z0-9]/.test(f) ? ' ' : sep) + f).join(''));
  const separator = fc.constantFrom('', ' ', '\n', '\n\n', ' -- note; here\n', ' /* ; */ ', '\r\n');

  it('gives back the statements of a concatenation, with correct positions', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(statement, separator), { minLength: 1, maxLength: 6 }), (parts) => {
        const text = parts.map(([s, sep]) => s + ';' + sep).join('');
        const expected = parts.map(([s]) => s.trimEnd());
        const items = splitStatements(text);
        expect(items.map((i) => i.text)).toEqual(expected);
        expect(items.every((i) => i.kind === 'sql' && i.terminated)).toBe(true);
        for (const it of items) {
          expect(text.slice(it.offset).startsWith(it.text)).toBe(true);
          const before = text.slice(0, it.offset).split('\n');
          expect(it.line).toBe(before.length);
          expect(it.column).toBe(before[before.length - 1]!.length + 1);
        }
        expect(isComplete(text)).toBe(true);
        const unfinished = parts.slice(0, -1).map(([s, sep]) => s + ';' + sep).join('') + parts[parts.length - 1]![0];
        expect(isComplete(unfinished)).toBe(false);

        const splitter = new StatementSplitter();
        const fed = text.split('\n').flatMap((line) => splitter.feed(line).statements.map((s) => s.text));
        expect(fed).toEqual(expected);
        expect(splitter.isEmpty).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
