import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { App } from '../../repl/app/app.js';
import { stripAnsi, waitFor } from './helpers.js';

const UP = '\u001B[A';
const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const TAB = '\t';

let engine: Engine;
let dir: string;
let historyPath: string;

beforeEach(async () => {
  engine = await Engine.open();
  dir = mkdtempSync(join(tmpdir(), 'sluice-app-'));
  historyPath = join(dir, 'history');
});

afterEach(async () => {
  cleanup();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Renders the app and returns helpers to type into it and read its frames. */
async function start(onExit?: () => void) {
  const app = render(<App engine={engine} historyPath={historyPath} banner="welcome to sluice" onExit={onExit} />);
  const frame = (): string => stripAnsi(app.lastFrame() ?? '');
  const until = (check: (f: string) => boolean, what: string): Promise<string> =>
    waitFor(() => {
      const f = frame();
      return check(f) ? f : false;
    }, `${what}; last frame:\n${frame()}`);
  await until((f) => /^sluice>/m.test(f), 'the prompt');
  /** Writes keys the way a terminal delivers them, one chunk at a time, letting ink render in between. */
  const press = async (...chunks: string[]): Promise<void> => {
    for (const c of chunks) {
      app.stdin.write(c);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { app, frame, until, press };
}

/** The last line of a frame that starts with the prompt (the line being edited); ink trims trailing blanks. */
function promptLine(f: string): string {
  return f.split('\n').filter((l) => l.startsWith('sluice>')).at(-1) ?? '';
}

describe('the REPL app', () => {
  it('runs statements typed at the prompt and shows the results as tables', async () => {
    const { press, until } = await start();
    await press('CREATE SOURCE orders (k INT, item VARCHAR);\r');
    await until((f) => f.includes('created source orders'), 'the CREATE message');
    await press("INSERT INTO orders VALUES (1, 'tea'), (2, 'cake');\r");
    await until((f) => f.includes('inserted 2 events into orders'), 'the INSERT message');
    await press('CREATE MATERIALIZED VIEW items AS SELECT item, COUNT(*) AS n\r', 'FROM orders GROUP BY item;\r');
    await until((f) => f.includes('   ...> FROM orders GROUP BY item;') && f.includes('created materialized view items'), 'the multi-line view');
    await press('SELECT * FROM items ORDER BY item;\r');
    const f = await until((x) => x.includes('2 rows'), 'the pull query result');
    expect(f).toContain(
      ['┌─────────┬────────┐', '│  item   │   n    │', '│ VARCHAR │ BIGINT │', '├─────────┼────────┤', '│ cake    │      1 │', '│ tea     │      1 │', '└─────────┴────────┘', '2 rows'].join('\n'),
    );
    expect(promptLine(f)).toBe('sluice>');
  });

  it('shows an error with a caret under the column and keeps going', async () => {
    const { press, until } = await start();
    await press('CREATE SOURCE bids (price DOUBLE);\r');
    await until((f) => f.includes('created source bids'), 'the source');
    await press('SELECT pric FROM bids;\r');
    const f = await until((x) => x.includes('Binder Error'), 'the error');
    expect(f).toContain("did you mean 'price'? (line 1, column 8)\nLINE 1: SELECT pric FROM bids\n               ^^^^");
    expect(f).not.toMatch(/\n\s+at /);
    await press('SELECT 40 + 2 AS answer;\r');
    await until((x) => /│ +42 │/.test(x), 'the next result');
  });

  it('recalls history with the up arrow, also in the next run', async () => {
    const first = await start();
    await first.press('SELECT 1 AS one;\r');
    await first.until((f) => f.includes('1 row'), 'the first result');
    await first.press('SELECT 2 AS two;\r');
    await first.until((f) => f.split('1 row').length === 3, 'the second result');
    await first.press(UP, UP);
    await first.until((f) => promptLine(f) === 'sluice> SELECT 1 AS one;', 'the older entry');
    await first.press('\u0015'); // Ctrl-U clears the line
    await first.until((f) => promptLine(f) === 'sluice>', 'an empty line');
    expect(readFileSync(historyPath, 'utf8')).toBe('"SELECT 1 AS one;"\n"SELECT 2 AS two;"\n');
    first.app.unmount();
    const second = await start();
    await second.press(UP);
    await second.until((f) => promptLine(f) === 'sluice> SELECT 2 AS two;', 'the entry from the first run');
  });

  it('completes with Tab and lists candidates when there are several', async () => {
    const { press, until } = await start();
    await press('CREATE SOURCE bids (auction BIGINT, price DOUBLE);\r', 'CREATE SOURCE bidders (id INT);\r');
    await until((f) => f.includes('created source bidders'), 'the sources');
    await press('SELECT pri', TAB);
    await until((f) => promptLine(f) === 'sluice> SELECT price', 'the completed column');
    await press(' FROM b', TAB);
    const f = await until((x) => promptLine(x) === 'sluice> SELECT price FROM bid', 'the common prefix');
    expect(f).toMatch(/sluice> SELECT price FROM bid\nbidders +bids/);
    await press('s;\r');
    await until((x) => x.includes('SELECT price FROM bids;'), 'the statement');
  });

  it('shows a live subscription that updates as rows arrive, and Ctrl-C returns to the prompt', async () => {
    await engine.execute('CREATE SOURCE orders (k INT, n INT)');
    await engine.execute('CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(n) AS total FROM orders GROUP BY k');
    await engine.insert('orders', [{ k: 1, n: 10 }]);
    const { press, until, frame } = await start();
    await press('SUBSCRIBE totals;\r');
    await until((f) => /│ \+I │ +1 │ +10 │/.test(f) && f.includes('● live events/s'), 'the live table');
    expect(promptLine(frame())).toBe('sluice> SUBSCRIBE totals;');
    await engine.insert('orders', [{ k: 1, n: 5 }, { k: 2, n: 7 }]);
    const live = await until((f) => /│ \+U │ +1 │ +15 │\n│ \+I │ +2 │ +7 │/.test(f), 'the updated table');
    expect(live).toMatch(/● live events\/s \d+ · watermark none yet · late 0 · state \d+ · 2 rows \(\+2 ~1 -0\) · Ctrl-C to stop/);
    await press(CTRL_C);
    const after = await until((f) => f.includes('(stopped)') && promptLine(f) === 'sluice>', 'the prompt after Ctrl-C');
    expect(after).not.toContain('● live');
    expect(after).toMatch(/│ +1 │ +15 │\n│ +2 │ +7 │\n└.*┘\n2 rows\n\(stopped\)/);
  });

  it('a streaming SELECT over a source is a live table too', async () => {
    const { press, until } = await start();
    await press('CREATE SOURCE clicks (page VARCHAR);\r');
    await until((f) => f.includes('created source clicks'), 'the source');
    await press("SELECT page FROM clicks WHERE page <> 'x';\r");
    await until((f) => f.includes('● live'), 'the live table');
    await engine.insert('clicks', [{ page: 'home' }, { page: 'x' }, { page: 'about' }]);
    await until((f) => /│ \+I │ home +│\n│ \+I │ about +│/.test(f), 'the new rows');
    await press(CTRL_C);
    await until((f) => promptLine(f) === 'sluice>' && f.includes('(stopped)'), 'the prompt');
  });

  it('says once when history cannot be saved, and works on', async () => {
    historyPath = join(dir, 'no-such-folder', 'history');
    const { press, until } = await start();
    await press('SELECT 1 AS a;\r');
    await until((f) => f.includes('history is not saved'), 'the warning');
    await press('SELECT 2 AS b;\r', UP);
    const f = await until((x) => promptLine(x) === 'sluice> SELECT 2 AS b;', 'history in memory');
    expect(f.split('history is not saved')).toHaveLength(2);
  });

  it('Ctrl-C at an empty prompt tells how to leave; Ctrl-D leaves', async () => {
    let exited = 0;
    const { press, until } = await start(() => exited++);
    await press(CTRL_C);
    await until((f) => f.includes('(To exit, press Ctrl-D or type .quit)'), 'the hint');
    await press('SELECT', CTRL_C);
    await until((f) => f.includes('sluice> SELECT^C'), 'the discarded line');
    expect(exited).toBe(0);
    await press(CTRL_D);
    await waitFor(() => exited === 1, 'exit');
  });
});
