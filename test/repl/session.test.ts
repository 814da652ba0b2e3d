import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { History } from '../../repl/history.js';
import { EXIT_HINT, Session } from '../../repl/session.js';
import type { ReplEngine } from '../../repl/shell.js';
import { inputText, outputText, type, waitFor } from './helpers.js';

let engine: Engine;
let history: History;
let session: Session;
let exited: number;

beforeEach(async () => {
  engine = await Engine.open();
  history = new History({ path: null });
  exited = 0;
  session = new Session({ engine, history, width: 100, height: 30, liveRenderMs: 10, liveTickMs: 20, flashMs: 500, onExit: () => exited++ });
});

afterEach(async () => {
  session.dispose();
  await engine.close();
});

describe('Session: input', () => {
  it('waits for the ; across lines with a continuation prompt, then runs the statement once', async () => {
    await type(session, 'SELECT 1\n');
    expect(inputText(session)).toBe('   ...> ');
    expect(outputText(session)).toBe('sluice> SELECT 1');
    await type(session, "  AS one, 'a;b' AS two; -- done\n");
    expect(outputText(session)).toContain('sluice> SELECT 1\n   ...>   AS one,');
    expect(outputText(session)).toContain('│   1 │ a;b     │');
    expect(inputText(session)).toBe('sluice> ');
    expect(history.entries).toEqual(["SELECT 1\n  AS one, 'a;b' AS two; -- done"]);
  });

  it('runs several statements of one line in order, and keys typed meanwhile afterwards', async () => {
    session.handleKeys([{ kind: 'text', text: 'SELECT 1 AS a; SELECT 2 AS b;' }, { kind: 'enter' }, { kind: 'text', text: 'SELECT 3 AS c;' }, { kind: 'enter' }]);
    await waitFor(() => outputText(session).includes('│  c  │'), 'the third result');
    const out = outputText(session);
    expect(out.indexOf('│  a  │')).toBeLessThan(out.indexOf('│  b  │'));
    expect(out.indexOf('│  b  │')).toBeLessThan(out.indexOf('sluice> SELECT 3'));
  });

  it('Ctrl-C on an empty prompt tells how to leave; with text it discards the input', async () => {
    session.handleKey({ kind: 'interrupt' });
    expect(outputText(session)).toBe(`sluice> \n${EXIT_HINT}`);
    await type(session, 'SELECT 1\nFROM');
    session.handleKey({ kind: 'interrupt' });
    expect(inputText(session)).toBe('sluice> ');
    expect(outputText(session)).toContain('   ...> FROM^C');
    await type(session, 'SELECT 5 AS five;\n');
    expect(outputText(session)).toContain('│    5 │');
    expect(exited).toBe(0);
  });

  it('Ctrl-D on an empty prompt ends the session; with text it deletes forwards', async () => {
    await type(session, 'ab');
    session.handleKeys([{ kind: 'left' }, { kind: 'eof' }]);
    expect(inputText(session)).toBe('sluice> a');
    session.handleKeys([{ kind: 'killStart' }, { kind: 'eof' }]);
    await waitFor(() => exited === 1, 'exit');
    expect(session.currentPhase).toBe('closed');
  });

  it('.quit ends the session', async () => {
    await type(session, '.quit\n');
    await waitFor(() => exited === 1, 'exit');
  });

  it('recalls history with up and down', async () => {
    await type(session, 'SELECT 1 AS a;\nSELECT 2 AS b;\n');
    session.handleKey({ kind: 'up' });
    session.handleKey({ kind: 'up' });
    expect(inputText(session)).toBe('sluice> SELECT 1 AS a;');
    session.handleKey({ kind: 'down' });
    expect(inputText(session)).toBe('sluice> SELECT 2 AS b;');
  });

  it('completes names from the catalog and lists several candidates', async () => {
    await type(session, 'CREATE SOURCE bids (auction BIGINT, price DOUBLE);\nCREATE SOURCE bidders (id INT);\n');
    await type(session, 'SELECT pri');
    session.handleKey({ kind: 'tab' });
    expect(inputText(session)).toBe('sluice> SELECT price');
    await type(session, ' FROM bi');
    session.handleKey({ kind: 'tab' });
    expect(inputText(session)).toBe('sluice> SELECT price FROM bid');
    expect(session.getSnapshot().completions).toEqual(['bidders  bids']);
    // Any other key closes the list.
    await type(session, 's');
    expect(session.getSnapshot().completions).toEqual([]);
  });

  it('cuts long results with a note, and .timer on prints the run time', async () => {
    await engine.execute('CREATE SOURCE s (k INT)');
    await engine.insert('s', Array.from({ length: 100 }, (_, k) => ({ k })));
    await engine.execute('CREATE MATERIALIZED VIEW m AS SELECT k FROM s');
    await type(session, '.timer on\nSELECT * FROM m ORDER BY k;\n');
    const out = outputText(session);
    expect(out).toMatch(/│ +19 │\n├─+┤\n│ … 60 rows left out … │\n├─+┤\n│ +80 │/);
    expect(out).toMatch(/└─+┘\n100 rows\nRun Time: \d+\.\d{3} s$/);
  });

  it('prints engine errors with the caret and stays usable', async () => {
    await type(session, 'SELECT nope FROM nowhere;\n');
    expect(outputText(session)).toMatch(/Binder Error: .*\nLINE 1: SELECT nope FROM nowhere\n\s+\^/);
    await type(session, 'SELEC 1;\n');
    expect(outputText(session)).toContain('Parser Error:');
    await type(session, 'SELECT 7 AS x;\n');
    expect(outputText(session)).toMatch(/│ +7 │/);
  });
});

describe('Session: Ctrl-C while a statement runs', () => {
  it('lets the running statement finish and skips the rest of the line and the keys typed meanwhile', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const executed: string[] = [];
    const fake: ReplEngine = {
      execute: async (sql: string) => {
        executed.push(sql);
        if (sql.includes('slow')) await gate;
        return [{ statement: 'CREATE SOURCE', message: `done ${sql}` }];
      },
      live: () => Promise.reject(new Error('not used')),
      describeCatalog: () => ({ sources: [], views: [], sinks: [] }),
      metrics: () => ({ eventsIn: 0, lateEvents: 0, deadLetters: 0, stateSize: 0 }),
      checkpoint: async () => undefined,
    };
    const s = new Session({ engine: fake, history: new History({ path: null }), width: 100, height: 30 });
    s.handleKeys([{ kind: 'text', text: 'CREATE SOURCE slow (a INT); CREATE SOURCE next (a INT);' }, { kind: 'enter' }]);
    s.handleKeys([{ kind: 'text', text: 'SELECT 1;' }, { kind: 'enter' }, { kind: 'interrupt' }]);
    release();
    await s.idle();
    expect(executed).toEqual(['CREATE SOURCE slow (a INT)']);
    expect(outputText(s)).toContain('(interrupted: the running statement finishes, the rest is skipped)\ndone CREATE SOURCE slow (a INT)');
    expect(inputText(s)).toBe('sluice> ');
    s.dispose();
  });
});

describe('Session: live results', () => {
  beforeEach(async () => {
    await engine.execute('CREATE SOURCE orders (k INT, n INT)');
    await engine.execute('CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(n) AS total FROM orders GROUP BY k');
    await engine.insert('orders', [{ k: 1, n: 10 }]);
  });

  const liveText = (): string => session.getSnapshot().live?.lines.map((l) => l.text).join('\n') ?? '';

  it('SUBSCRIBE shows a table that follows the view until Ctrl-C, then leaves it in the output', async () => {
    await type(session, 'SUBSCRIBE totals;\n');
    expect(session.currentPhase).toBe('live');
    await waitFor(() => /│ \+I │ +1 │ +10 │/.test(liveText()), 'the first row');
    expect(session.getSnapshot().live!.status).toMatch(/^events\/s \d+ · watermark none yet · late 0 · state \d+ · 1 row \(\+1 ~0 -0\) · Ctrl-C to stop$/);
    await engine.insert('orders', [{ k: 1, n: 5 }, { k: 2, n: 1 }]);
    await waitFor(() => /│ \+U │ +1 │ +15 │\n│ \+I │ +2 │ +1 │/.test(liveText()), 'the update and the insert');
    const marked = session.getSnapshot().live!.lines.filter((l) => l.mark !== null).map((l) => l.mark);
    expect(marked).toEqual(['+U', '+I']);
    // Keys other than the stopping ones are ignored while live.
    session.handleKey({ kind: 'text', text: 'x' });
    expect(session.currentPhase).toBe('live');
    session.handleKey({ kind: 'interrupt' });
    await waitFor(() => session.currentPhase === 'prompt', 'the prompt');
    const out = outputText(session);
    expect(out).toMatch(/│ +1 │ +15 │\n│ +2 │ +1 │\n└/);
    expect(out).toMatch(/\(stopped\) watermark none yet · late 0 · state \d+ · 2 rows \(\+2 ~1 -0\)$/);
  });

  it('shows a deleted row for a moment, marked -D', async () => {
    await engine.execute('CREATE MATERIALIZED VIEW singles AS SELECT k, COUNT(*) AS c FROM orders GROUP BY k HAVING COUNT(*) < 2');
    await type(session, 'SUBSCRIBE singles;\n');
    await waitFor(() => /│ \+I │ +1 │ +1 │/.test(liveText()), 'the single');
    await engine.insert('orders', [{ k: 1, n: 1 }]);
    await waitFor(() => /│ -D │ +1 │ +1 │/.test(liveText()), 'the deleted row');
    expect(session.getSnapshot().live!.lines.find((l) => l.text.includes('-D'))!.mark).toBe('-D');
    expect(session.getSnapshot().live!.status).toContain('0 rows (+1 ~0 -1)');
    expect(liveText()).toMatch(/┘\n0 rows$/);
    // After the flash the ghost is gone.
    await waitFor(() => !liveText().includes('-D'), 'the ghost to go', 4000);
    session.handleKey({ kind: 'interrupt' });
    await waitFor(() => session.currentPhase === 'prompt', 'the prompt');
  });

  it('a streaming SELECT over sources is live too; a pull query over views runs once', async () => {
    await type(session, 'SELECT k, n FROM orders WHERE n > 1;\n');
    expect(session.currentPhase).toBe('live');
    await engine.insert('orders', [{ k: 3, n: 7 }]);
    await waitFor(() => /│ \+I │ +3 │ +7 │/.test(liveText()), 'the new row');
    session.handleKey({ kind: 'escape' });
    await waitFor(() => session.currentPhase === 'prompt', 'the prompt');
    await type(session, 'SELECT * FROM totals ORDER BY k;\n');
    expect(session.currentPhase).toBe('prompt');
    expect(outputText(session)).toMatch(/│ +1 │ +10 │\n│ +3 │ +7 │\n└/);
  });

  it('a SELECT over files ends by itself at the end of input, leaving its final table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-session-'));
    try {
      writeFileSync(join(dir, 'e.jsonl'), '{"k": 1}\n{"k": 2}\n{"k": 2}\n');
      await engine.execute(`CREATE SOURCE ev (k INT) WITH (connector = 'file', path = 'e.jsonl', format = 'jsonl')`, { baseDir: dir });
      await type(session, 'SELECT k, COUNT(*) AS n FROM ev GROUP BY k ORDER BY n DESC LIMIT 5;\n');
      await waitFor(() => session.currentPhase === 'prompt', 'the end of input');
      expect(outputText(session)).toMatch(/│ +2 │ +2 │\n│ +1 │ +1 │\n└.*\n2 rows/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a live query the engine rejects prints the error and returns to the prompt', async () => {
    await type(session, 'SUBSCRIBE nothing;\n');
    expect(session.currentPhase).toBe('prompt');
    expect(outputText(session)).toMatch(/Binder Error: .*'nothing' does not exist.*\nLINE 1: SUBSCRIBE nothing\n +\^+/);
  });

  it('Ctrl-D during a live result stops it; .quit in the same paste then exits', async () => {
    session.handleKeys([{ kind: 'text', text: 'SUBSCRIBE totals;' }, { kind: 'enter' }]);
    await waitFor(() => session.currentPhase === 'live', 'live');
    session.handleKey({ kind: 'eof' });
    await waitFor(() => session.currentPhase === 'prompt', 'the prompt');
    expect(exited).toBe(0);
    await type(session, '.quit\n');
    await waitFor(() => exited === 1, 'exit');
  });
});
