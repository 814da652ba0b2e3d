import { describe, expect, it } from 'vitest';
import { parse } from '../../grammar/index.js';
import {
  bin,
  bool,
  col,
  fn,
  fromOf,
  id,
  interval,
  item,
  join,
  nul,
  num,
  orderItem,
  param,
  q,
  query,
  select,
  star,
  stmt,
  str,
  strip,
  table,
  type,
} from './ast-helpers.js';

describe('CREATE SOURCE', () => {
  it('parses columns, a watermark and WITH options (SPEC 2.2)', () => {
    expect(
      stmt(`CREATE SOURCE bids (
        auction BIGINT, bidder BIGINT, price DOUBLE, date_time TIMESTAMP,
        WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
      ) WITH (connector = 'file', path = 'bids.jsonl', format = 'jsonl');`),
    ).toEqual({
      kind: 'CreateSource',
      orReplace: false,
      ifNotExists: false,
      name: id('bids'),
      columns: [
        { kind: 'ColumnDef', name: id('auction'), type: type('BIGINT') },
        { kind: 'ColumnDef', name: id('bidder'), type: type('BIGINT') },
        { kind: 'ColumnDef', name: id('price'), type: type('DOUBLE') },
        { kind: 'ColumnDef', name: id('date_time'), type: type('TIMESTAMP') },
      ],
      watermark: {
        kind: 'WatermarkDef',
        column: id('date_time'),
        expr: bin('-', col('date_time'), interval(4000, "INTERVAL '4' SECOND")),
      },
      options: [
        { key: 'connector', value: 'file' },
        { key: 'path', value: 'bids.jsonl' },
        { key: 'format', value: 'jsonl' },
      ],
    });
  });

  it('takes OR REPLACE, IF NOT EXISTS, no WITH, and every type spelling in canonical form', () => {
    expect(
      stmt(`create or replace source if not exists Orders (
        a BOOLEAN, b BOOL, c INT, d INTEGER, e BIGINT, f DOUBLE, g DOUBLE PRECISION, h FLOAT, i REAL,
        j DECIMAL(10, 2), k NUMERIC(5,1), l VARCHAR, m VARCHAR(20), n TEXT, o STRING, p TIMESTAMP,
        q TIMESTAMP(3), r DATE, s INTERVAL)`),
    ).toEqual({
      kind: 'CreateSource',
      orReplace: true,
      ifNotExists: true,
      name: id('orders'),
      columns: (
        [
          ['a', 'BOOLEAN'],
          ['b', 'BOOLEAN'],
          ['c', 'INT'],
          ['d', 'INT'],
          ['e', 'BIGINT'],
          ['f', 'DOUBLE'],
          ['g', 'DOUBLE'],
          ['h', 'DOUBLE'],
          ['i', 'DOUBLE'],
          ['j', 'DECIMAL', [10, 2]],
          ['k', 'DECIMAL', [5, 1]],
          ['l', 'VARCHAR'],
          ['m', 'VARCHAR', [20]],
          ['n', 'VARCHAR'],
          ['o', 'VARCHAR'],
          ['p', 'TIMESTAMP'],
          ['q', 'TIMESTAMP', [3]],
          ['r', 'DATE'],
          ['s', 'INTERVAL'],
        ] as const
      ).map(([name, t, params]) => ({ kind: 'ColumnDef', name: id(name), type: type(t, params ? [...params] : []) })),
      watermark: undefined,
      options: [],
    });
  });

  it('accepts keyword-like column names and any option key, lower-cased, with literal values', () => {
    const s = stmt(
      `CREATE SOURCE person (date DATE, timestamp TIMESTAMP, source VARCHAR, offset BIGINT, state VARCHAR,
        name VARCHAR, extra VARCHAR, window INT, watermark INT, "Quoted ""Col""" INT)
       WITH (Connector = 'nexmark', table = 'person', 'csv.delimiter' = ';', format.x = 1, rate = -2.5, follow = TRUE, z = false)`,
    );
    expect(s).toMatchObject({
      kind: 'CreateSource',
      columns: ['date', 'timestamp', 'source', 'offset', 'state', 'name', 'extra', 'window', 'watermark']
        .map((n) => ({ name: id(n) }))
        .concat([{ name: id('Quoted "Col"', true) }]),
      options: [
        { key: 'connector', value: 'nexmark' },
        { key: 'table', value: 'person' },
        { key: 'csv.delimiter', value: ';' },
        { key: 'format.x', value: 1 },
        { key: 'rate', value: -2.5 },
        { key: 'follow', value: true },
        { key: 'z', value: false },
      ],
    });
  });
});

describe('CREATE VIEW and CREATE SINK', () => {
  it('parses a materialized view and keeps the exact query text', () => {
    const sql = `CREATE MATERIALIZED VIEW IF NOT EXISTS v AS
      SELECT  a,   COUNT(*) AS n  -- per a
      FROM bids GROUP BY a EMIT ON WINDOW CLOSE ;`;
    const s = stmt(sql);
    expect(s).toEqual({
      kind: 'CreateView',
      materialized: true,
      orReplace: false,
      ifNotExists: true,
      name: id('v'), options: [],
      query: q(
        select({
          items: [item(col('a')), item(fn('COUNT', [], { star: true }), 'n')],
          from: table('bids'),
          groupBy: [col('a')],
        }),
        { emit: { kind: 'Emit', mode: 'ON_WINDOW_CLOSE' } },
      ),
      queryText: `SELECT  a,   COUNT(*) AS n  -- per a
      FROM bids GROUP BY a EMIT ON WINDOW CLOSE`,
    });
  });

  it('parses view options before AS', () => {
    const s = stmt(`CREATE MATERIALIZED VIEW v WITH (state_ttl = '1 hour') AS SELECT a FROM bids`);
    expect(s).toMatchObject({ kind: 'CreateView', name: id('v'), options: [{ key: 'state_ttl', value: '1 hour' }], queryText: 'SELECT a FROM bids' });
  });

  it('parses a plain view with OR REPLACE', () => {
    expect(stmt('CREATE OR REPLACE VIEW w AS SELECT 1')).toEqual({
      kind: 'CreateView',
      materialized: false,
      orReplace: true,
      ifNotExists: false,
      name: id('w'), options: [],
      query: q(select({ items: [item(num(1))] })),
      queryText: 'SELECT 1',
    });
  });

  it('parses a sink', () => {
    expect(stmt("CREATE SINK IF NOT EXISTS s FROM v WITH (connector = 'file', path = 'out.jsonl')")).toEqual({
      kind: 'CreateSink',
      orReplace: false,
      ifNotExists: true,
      name: id('s'),
      from: id('v'),
      options: [
        { key: 'connector', value: 'file' },
        { key: 'path', value: 'out.jsonl' },
      ],
    });
  });
});

describe('INSERT', () => {
  it('parses rows of expressions, with and without a column list', () => {
    expect(stmt("INSERT INTO orders (id, note) VALUES (1, 'a'), (-2, NULL)")).toEqual({
      kind: 'Insert',
      table: id('orders'),
      columns: [id('id'), id('note')],
      rows: [
        [num(1), str('a')],
        [{ kind: 'Unary', op: '-', operand: num(2) }, nul()],
      ],
    });
    expect(stmt("INSERT INTO t VALUES (TIMESTAMP '2024-01-01 00:00:01', true)")).toEqual({
      kind: 'Insert',
      table: id('t'),
      columns: [],
      rows: [[{ kind: 'TypedLit', type: 'TIMESTAMP', value: '2024-01-01 00:00:01' }, bool(true)]],
    });
  });
});

describe('other statements', () => {
  it.each([
    ['SUBSCRIBE v', { kind: 'Subscribe', name: id('v') }],
    ['DROP SOURCE s', { kind: 'Drop', objectKind: 'SOURCE', ifExists: false, name: id('s') }],
    ['DROP VIEW IF EXISTS v', { kind: 'Drop', objectKind: 'VIEW', ifExists: true, name: id('v') }],
    ['DROP MATERIALIZED VIEW v', { kind: 'Drop', objectKind: 'MATERIALIZED_VIEW', ifExists: false, name: id('v') }],
    ['drop sink if exists "S"', { kind: 'Drop', objectKind: 'SINK', ifExists: true, name: id('S', true) }],
    [
      'ALTER SOURCE s ADD COLUMN c INT DEFAULT 0',
      { kind: 'AlterSource', name: id('s'), column: { kind: 'ColumnDef', name: id('c'), type: type('INT') }, default: num(0) },
    ],
    [
      "ALTER SOURCE s ADD note VARCHAR(10) DEFAULT 'x' || 'y'",
      {
        kind: 'AlterSource',
        name: id('s'),
        column: { kind: 'ColumnDef', name: id('note'), type: type('VARCHAR', [10]) },
        default: bin('||', str('x'), str('y')),
      },
    ],
    [
      'ALTER SOURCE s ADD c BIGINT',
      { kind: 'AlterSource', name: id('s'), column: { kind: 'ColumnDef', name: id('c'), type: type('BIGINT') }, default: undefined },
    ],
    ['SHOW SOURCES', { kind: 'Show', what: 'SOURCES', setting: undefined }],
    ['SHOW VIEWS', { kind: 'Show', what: 'VIEWS', setting: undefined }],
    ['SHOW MATERIALIZED VIEWS', { kind: 'Show', what: 'MATERIALIZED_VIEWS', setting: undefined }],
    ['SHOW SINKS', { kind: 'Show', what: 'SINKS', setting: undefined }],
    ['SHOW checkpoint_interval', { kind: 'Show', what: 'SETTING', setting: id('checkpoint_interval') }],
    ['DESCRIBE bids', { kind: 'Describe', name: id('bids') }],
    ['DESC Bids', { kind: 'Describe', name: id('bids') }],
    ['CHECKPOINT', { kind: 'Checkpoint' }],
    ["SET checkpoint_interval = '1 second'", { kind: 'Set', name: id('checkpoint_interval'), value: '1 second' }],
    ['SET batch_size TO 500', { kind: 'Set', name: id('batch_size'), value: 500 }],
    ['SET x = -1.5', { kind: 'Set', name: id('x'), value: -1.5 }],
    ['SET timer = off', { kind: 'Set', name: id('timer'), value: 'off' }],
    ['SET timer = on', { kind: 'Set', name: id('timer'), value: 'on' }],
    ['SET flag = FALSE', { kind: 'Set', name: id('flag'), value: false }],
    ['REBUILD MATERIALIZED VIEW v', { kind: 'Rebuild', name: id('v') }],
    ["UPDATE bids SET price = 1 WHERE bidder = 'x' AND (a, b) IN ((1, 2))", { kind: 'Update', table: id('bids') }],
    ['DELETE FROM bids WHERE price > 10', { kind: 'Delete', table: id('bids') }],
    ['DELETE FROM bids', { kind: 'Delete', table: id('bids') }],
  ])('%s', (sql, expected) => {
    expect(stmt(sql)).toEqual(expected);
  });

  it('parses EXPLAIN of a query and of CREATE [MATERIALIZED] VIEW', () => {
    expect(stmt('EXPLAIN SELECT * FROM t')).toEqual({
      kind: 'Explain',
      statement: { kind: 'QueryStatement', query: q(select({ items: [star()], from: table('t') })) },
    });
    const explained = parse('EXPLAIN CREATE OR REPLACE MATERIALIZED VIEW v AS SELECT a FROM t').statements[0]!;
    expect(strip(explained)).toEqual({
      kind: 'Explain',
      statement: {
        kind: 'CreateView',
        materialized: true,
        orReplace: true,
        ifNotExists: false,
        name: id('v'), options: [],
        query: q(select({ items: [item(col('a'))], from: table('t') })),
        queryText: 'SELECT a FROM t',
      },
    });
    expect(explained.kind === 'Explain' && explained.statement.span.column).toBe(9);
  });
});

describe('scripts', () => {
  it('splits statements on ; and keeps each text without the ;', () => {
    const sql = ";\nCREATE SOURCE s (a INT);;\n  SELECT a\n  FROM s -- trailing\n;  SUBSCRIBE v";
    const script = parse(sql);
    expect(script.sql).toBe(sql);
    expect(script.statements.map((s) => s.kind)).toEqual(['CreateSource', 'QueryStatement', 'Subscribe']);
    expect(script.texts).toEqual(['CREATE SOURCE s (a INT)', 'SELECT a\n  FROM s', 'SUBSCRIBE v']);
  });

  it('accepts empty input, only separators and only comments', () => {
    for (const sql of ['', '   ', ';', ';;\n;', '-- nothing\n/* at all */']) {
      expect(parse(sql)).toEqual({ statements: [], texts: [], sql });
    }
  });

  it('numbers ? parameters from 0 in each statement', () => {
    const script = parse('SELECT ? FROM t WHERE a = ? AND b IN (?, ?); INSERT INTO t VALUES (?, ?)');
    const params: number[][] = script.statements.map((s) => {
      const found: number[] = [];
      JSON.stringify(s, (k, v) => {
        if (v && typeof v === 'object' && v.kind === 'Param') found.push(v.index);
        return v;
      });
      return found;
    });
    expect(params).toEqual([
      [0, 1, 2, 3],
      [0, 1],
    ]);
  });
});

const TEN_S = interval(10_000, "INTERVAL '10' SECOND");

describe('window table-valued functions', () => {
  it('TUMBLE: both spellings give the same node', () => {
    const expected = {
      kind: 'WindowTvf',
      fn: 'TUMBLE',
      input: table('bids'),
      partitionBy: [],
      timeCol: col('date_time'),
      args: [TEN_S],
      alias: undefined,
    };
    expect(fromOf("SELECT * FROM TUMBLE(bids, date_time, INTERVAL '10' SECOND)")).toEqual(expected);
    expect(fromOf("SELECT * FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(date_time), INTERVAL '10' SECOND))")).toEqual(expected);
  });

  it('HOP with an offset, CUMULATE, and an alias in both spellings', () => {
    const hop = {
      kind: 'WindowTvf',
      fn: 'HOP',
      input: table('bids'),
      partitionBy: [],
      timeCol: col('date_time'),
      args: [interval(2000, "INTERVAL '2' SECOND"), TEN_S, interval(1000, "INTERVAL '1' SECOND")],
      alias: id('w'),
    };
    expect(
      fromOf("SELECT * FROM HOP(bids, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND, INTERVAL '1' SECOND) AS w"),
    ).toEqual(hop);
    expect(
      fromOf(
        "SELECT * FROM TABLE(HOP(TABLE bids, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND, INTERVAL '1' SECOND)) w",
      ),
    ).toEqual(hop);

    const cumulate = {
      kind: 'WindowTvf',
      fn: 'CUMULATE',
      input: table('bids'),
      partitionBy: [],
      timeCol: col('date_time'),
      args: [interval(60_000, "INTERVAL '1' MINUTE"), interval(3_600_000, "INTERVAL '1' HOUR")],
      alias: undefined,
    };
    expect(fromOf("SELECT * FROM CUMULATE(bids, date_time, INTERVAL '1' MINUTE, INTERVAL '1' HOUR)")).toEqual(cumulate);
    expect(
      fromOf("SELECT * FROM TABLE(CUMULATE(TABLE bids, DESCRIPTOR(date_time), INTERVAL '1' MINUTE, INTERVAL '1' HOUR))"),
    ).toEqual(cumulate);
  });

  it.each([
    ['one key', 'bidder', [col('bidder')]],
    ['two keys', 'bidder, auction', [col('bidder'), col('auction')]],
    ['a qualified key', 'b.bidder', [col('b', 'bidder')]],
  ])('SESSION with PARTITION BY, %s: all spellings give the same node', (_name, keys, partitionBy) => {
    const expected = {
      kind: 'WindowTvf',
      fn: 'SESSION',
      input: table('bids'),
      partitionBy,
      timeCol: col('date_time'),
      args: [interval(30_000, "INTERVAL '30' SECOND")],
      alias: undefined,
    };
    const gap = "INTERVAL '30' SECOND";
    expect(fromOf(`SELECT * FROM SESSION(bids PARTITION BY ${keys}, date_time, ${gap})`)).toEqual(expected);
    expect(
      fromOf(`SELECT * FROM TABLE(SESSION(TABLE bids PARTITION BY ${keys}, DESCRIPTOR(date_time), ${gap}))`),
    ).toEqual(expected);
    expect(fromOf(`SELECT * FROM SESSION(TABLE bids PARTITION BY ${keys}, date_time, ${gap})`)).toEqual(expected);
    expect(fromOf(`SELECT * FROM TABLE(SESSION(bids PARTITION BY ${keys}, DESCRIPTOR(date_time), ${gap}))`)).toEqual(expected);
  });

  it('SESSION without PARTITION BY', () => {
    expect(fromOf("SELECT * FROM SESSION(bids, date_time, INTERVAL '30' SECOND)")).toEqual({
      kind: 'WindowTvf',
      fn: 'SESSION',
      input: table('bids'),
      partitionBy: [],
      timeCol: col('date_time'),
      args: [interval(30_000, "INTERVAL '30' SECOND")],
      alias: undefined,
    });
  });

  it('takes a subquery as input in both spellings', () => {
    const input = {
      kind: 'SubqueryRef',
      query: q(select({ items: [star()], from: table('bids'), where: bin('>', col('price'), num(10)) })),
      alias: undefined,
    };
    const expected = {
      kind: 'WindowTvf',
      fn: 'TUMBLE',
      input,
      partitionBy: [],
      timeCol: col('date_time'),
      args: [TEN_S],
      alias: id('t'),
    };
    expect(fromOf("SELECT * FROM TUMBLE((SELECT * FROM bids WHERE price > 10), date_time, INTERVAL '10' SECOND) t")).toEqual(
      expected,
    );
    expect(
      fromOf(
        "SELECT * FROM TABLE(TUMBLE(TABLE (SELECT * FROM bids WHERE price > 10), DESCRIPTOR(date_time), INTERVAL '10' SECOND)) t",
      ),
    ).toEqual(expected);
  });

  it('keeps a parameter as a window argument and accepts names that are window keywords', () => {
    expect(fromOf('SELECT * FROM TUMBLE(tumble, session, ?)')).toMatchObject({
      input: table('tumble'),
      timeCol: col('session'),
      args: [param(0)],
    });
    expect(fromOf('SELECT * FROM session')).toEqual(table('session'));
  });
});

describe('FROM items', () => {
  it('AS OF TIMESTAMP / OFFSET, written before or after the alias', () => {
    const byTs = { kind: 'AsOf', by: 'TIMESTAMP', value: str('2024-01-01 00:00:10') };
    expect(fromOf("SELECT * FROM v AS OF TIMESTAMP '2024-01-01 00:00:10' x")).toEqual(table('v', { alias: id('x'), asOf: byTs }));
    expect(fromOf("SELECT * FROM v x AS OF TIMESTAMP '2024-01-01 00:00:10'")).toEqual(table('v', { alias: id('x'), asOf: byTs }));
    expect(fromOf('SELECT * FROM v AS x AS OF OFFSET 42')).toEqual(
      table('v', { alias: id('x'), asOf: { kind: 'AsOf', by: 'OFFSET', value: num(42) } }),
    );
    expect(fromOf('SELECT * FROM v AS OF OFFSET ?')).toEqual(table('v', { asOf: { kind: 'AsOf', by: 'OFFSET', value: param(0) } }));
  });

  it('CHANGES(v) with and without an alias, and subqueries', () => {
    expect(fromOf('SELECT * FROM CHANGES(v) AS c')).toEqual({ kind: 'ChangesRef', name: id('v'), alias: id('c') });
    expect(fromOf('SELECT * FROM changes(v)')).toEqual({ kind: 'ChangesRef', name: id('v'), alias: undefined });
    expect(fromOf('SELECT * FROM (SELECT 1) s')).toEqual({
      kind: 'SubqueryRef',
      query: q(select({ items: [item(num(1))] })),
      alias: id('s'),
    });
    expect(fromOf('SELECT * FROM ((SELECT 1))')).toEqual({
      kind: 'SubqueryRef',
      query: q(select({ items: [item(num(1))] })),
      alias: undefined,
    });
  });

  it('joins of every kind, with ON and USING; JOIN binds tighter than a comma', () => {
    expect(
      fromOf(
        `SELECT * FROM a JOIN b ON a.x = b.x
         LEFT JOIN c USING (x, y) RIGHT OUTER JOIN d ON TRUE FULL OUTER JOIN e ON a.k = e.k
         CROSS JOIN f INNER JOIN g ON g.z = 1, h LEFT OUTER JOIN i ON h.q = i.q, j FULL JOIN k USING (z) RIGHT JOIN l ON l.m`,
      ),
    ).toEqual(
      join(
        'CROSS',
        join(
          'CROSS',
          join(
            'INNER',
            join(
              'CROSS',
              join(
                'FULL',
                join(
                  'RIGHT',
                  join('LEFT', join('INNER', table('a'), table('b'), { on: bin('=', col('a', 'x'), col('b', 'x')) }), table('c'), {
                    using: [id('x'), id('y')],
                  }),
                  table('d'),
                  { on: bool(true) },
                ),
                table('e'),
                { on: bin('=', col('a', 'k'), col('e', 'k')) },
              ),
              table('f'),
            ),
            table('g'),
            { on: bin('=', col('g', 'z'), num(1)) },
          ),
          join('LEFT', table('h'), table('i'), { on: bin('=', col('h', 'q'), col('i', 'q')) }),
        ),
        join('RIGHT', join('FULL', table('j'), table('k'), { using: [id('z')] }), table('l'), { on: col('l', 'm') }),
      ),
    );
  });

  it('parenthesized from-items and aliases with and without AS', () => {
    expect(fromOf('SELECT * FROM (a x JOIN b AS y ON x.k = y.k) CROSS JOIN c')).toEqual(
      join(
        'CROSS',
        join('INNER', table('a', { alias: id('x') }), table('b', { alias: id('y') }), { on: bin('=', col('x', 'k'), col('y', 'k')) }),
        table('c'),
      ),
    );
  });
});

describe('query structure', () => {
  it('CTEs with column lists, UNION ALL chains, ORDER BY, LIMIT and EMIT CHANGES', () => {
    expect(
      query(`WITH a (x, y) AS (SELECT 1, 2), b AS (SELECT 3)
             SELECT x FROM a UNION ALL SELECT * FROM b UNION SELECT 4
             ORDER BY 1 DESC NULLS LAST, x, y ASC NULLS FIRST LIMIT 10 EMIT CHANGES`),
    ).toEqual(
      q(
        {
          kind: 'SetOp',
          op: 'UNION',
          all: false,
          left: {
            kind: 'SetOp',
            op: 'UNION',
            all: true,
            left: select({ items: [item(col('x'))], from: table('a') }),
            right: select({ items: [star()], from: table('b') }),
          },
          right: select({ items: [item(num(4))] }),
        },
        {
          with: [
            { kind: 'Cte', name: id('a'), columns: [id('x'), id('y')], query: q(select({ items: [item(num(1)), item(num(2))] })) },
            { kind: 'Cte', name: id('b'), columns: [], query: q(select({ items: [item(num(3))] })) },
          ],
          orderBy: [orderItem(num(1), true, 'LAST'), orderItem(col('x')), orderItem(col('y'), false, 'FIRST')],
          limit: num(10),
          emit: { kind: 'Emit', mode: 'CHANGES' },
        },
      ),
    );
  });

  it('a full SELECT block: DISTINCT, star items, aliases, WHERE, GROUP BY, HAVING', () => {
    expect(
      query(`SELECT DISTINCT t.*, *, a AS x, b y, "Order" FROM t
             WHERE a > 1 GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), a HAVING COUNT(*) > 2`),
    ).toEqual(
      q(
        select({
          distinct: true,
          items: [star('t'), star(), item(col('a'), 'x'), item(col('b'), 'y'), item({ kind: 'ColumnRef', qualifier: undefined, name: id('Order', true) })],
          from: table('t'),
          where: bin('>', col('a'), num(1)),
          groupBy: [fn('TUMBLE', [col('ts'), TEN_S]), col('a')],
          having: bin('>', fn('COUNT', [], { star: true }), num(2)),
        }),
      ),
    );
    expect(query('SELECT ALL a FROM t').body).toMatchObject({ distinct: false });
  });

  it('parenthesized queries stand where a SELECT block does', () => {
    const one = select({ items: [item(num(1))] });
    const two = select({ items: [item(num(2))] });
    expect(query('(SELECT 1)')).toEqual(q(one));
    expect(query('((SELECT 1)) ORDER BY 1')).toEqual(q(one, { orderBy: [orderItem(num(1))] }));
    expect(query('(SELECT 1) UNION ALL (SELECT 2)')).toEqual(q({ kind: 'SetOp', op: 'UNION', all: true, left: one, right: two }));
    // A parenthesized query with its own LIMIT keeps it, as SELECT * FROM (query).
    expect(query('(SELECT 1 LIMIT 1) UNION ALL SELECT 2')).toEqual(
      q({
        kind: 'SetOp',
        op: 'UNION',
        all: true,
        left: select({ items: [star()], from: { kind: 'SubqueryRef', query: q(one, { limit: num(1) }), alias: undefined } }),
        right: two,
      }),
    );
    expect(query('(SELECT 1 LIMIT 1) LIMIT 2')).toEqual(
      q(select({ items: [star()], from: { kind: 'SubqueryRef', query: q(one, { limit: num(1) }), alias: undefined } }), {
        limit: num(2),
      }),
    );
  });

  it('EMIT ON WINDOW CLOSE after ORDER BY and LIMIT', () => {
    expect(query('SELECT a FROM t ORDER BY a LIMIT 5 EMIT ON WINDOW CLOSE')).toEqual(
      q(select({ items: [item(col('a'))], from: table('t') }), {
        orderBy: [orderItem(col('a'))],
        limit: num(5),
        emit: { kind: 'Emit', mode: 'ON_WINDOW_CLOSE' },
      }),
    );
  });
});
