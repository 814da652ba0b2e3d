/**
 * The REPL in a real terminal: `sluice` runs in a detached tmux session of a fixed size,
 * keys go in with `send-keys`, and the screen is read back with `capture-pane`. Needs
 * tmux and the build (`npm test` builds first); without either the test is skipped and says why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = resolve(import.meta.dirname, '../../../dist/src/cli/main.js');
const SOCKET = `sluice-e2e-${process.pid}`;
const SESSION = 'repl';

function skipReason(): string {
  if (spawnSync('tmux', ['-V']).status !== 0) return 'tmux is not installed (CI installs it; apt-get install tmux)';
  if (!existsSync(MAIN)) return `the build is missing (${MAIN}); run npm run build first`;
  return '';
}

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
}

/** Types text literally. tmux reads an argument ending in `;` as a command separator, hence the escape. */
function typeText(text: string): void {
  tmux('send-keys', '-t', SESSION, '-l', '--', text.endsWith(';') ? text.slice(0, -1) + '\\;' : text);
}

function keys(...names: string[]): void {
  tmux('send-keys', '-t', SESSION, ...names);
}

/** The screen and its scrollback, trailing blanks trimmed. */
function screen(): string {
  return tmux('capture-pane', '-p', '-t', SESSION, '-S', '-1000')
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

/** Polls the screen until `check` accepts it. */
async function waitScreen(check: (s: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = screen();
    if (check(s)) return s;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; the screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const count = (s: string, part: string): number => s.split(part).length - 1;

/** The last line on screen that is not blank (the line being typed, when at a prompt). */
function lastLine(s: string): string {
  return s.split('\n').filter((l) => l !== '').at(-1) ?? '';
}

let dir: string | undefined;

afterAll(() => {
  // Only this test's own tmux server (its own socket) is ended, and its socket file removed.
  const socket = spawnSync('tmux', ['-L', SOCKET, 'display-message', '-p', '#{socket_path}'], { encoding: 'utf8' }).stdout?.trim();
  spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  if (socket) rmSync(socket, { force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('sluice in a terminal (tmux)', () => {
  it('defines a file source and a view, queries, shows a caret, recalls history, subscribes and quits', async (ctx) => {
    const reason = skipReason();
    if (reason !== '') {
      console.warn(`skipping the tmux end-to-end test: ${reason}`);
      ctx.skip(reason);
    }
    dir = mkdtempSync(join(tmpdir(), 'sluice-e2e-'));
    const history = join(dir, 'history');
    writeFileSync(
      join(dir, 'events.jsonl'),
      [
        { k: 1, v: 10, ts: '2024-01-01T00:00:01Z' },
        { k: 2, v: 20, ts: '2024-01-01T00:00:02Z' },
        { k: 1, v: 5, ts: '2024-01-01T00:00:03Z' },
        { k: 3, v: 1, ts: '2024-01-01T00:00:04Z' },
      ]
        .map((e) => JSON.stringify(e))
        .join('\n') + '\n',
    );
    // ink draws nothing until exit when it believes it runs in CI, so the CI variables are removed.
    // The shell around sluice prints its exit status: tmux 3.3 sometimes fails to reap a
    // pane's process, so #{pane_dead_status} cannot be relied on.
    const command = `env -u CI -u CONTINUOUS_INTEGRATION SLUICE_HISTORY='${history}' '${process.execPath}' '${MAIN}'; echo "[sluice exited with status $?]"`;
    tmux('new-session', '-d', '-s', SESSION, '-x', '120', '-y', '40', '-c', dir, command);
    tmux('set-option', '-t', SESSION, 'remain-on-exit', 'on');

    // Keys typed before the shell puts the terminal in raw mode would be echoed twice: wait for the prompt.
    await waitScreen((s) => /^sluice>/m.test(s), 'the prompt');

    typeText("CREATE SOURCE ev (k INT, v INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'file', path = 'events.jsonl', format = 'jsonl');");
    keys('Enter');
    await waitScreen((s) => s.includes('created source ev'), 'the source');

    typeText('CREATE MATERIALIZED VIEW totals AS');
    keys('Enter');
    await waitScreen((x) => lastLine(x) === '   ...>', 'the continuation prompt');
    typeText('SELECT k, SUM(v) AS total, COUNT(*) AS n FROM ev GROUP BY k;');
    keys('Enter');
    await waitScreen((s) => s.includes('created materialized view totals'), 'the view');

    typeText('SELECT * FROM totals ORDER BY k;');
    keys('Enter');
    let s = await waitScreen((x) => x.includes('3 rows'), 'the pull query result');
    expect(s).toContain(
      [
        '┌─────┬────────┬────────┐',
        '│  k  │ total  │   n    │',
        '│ INT │ BIGINT │ BIGINT │',
        '├─────┼────────┼────────┤',
        '│   1 │     15 │      2 │',
        '│   2 │     20 │      1 │',
        '│   3 │      1 │      1 │',
        '└─────┴────────┴────────┘',
        '3 rows',
      ].join('\n'),
    );

    typeText('SELECT k FROM ev WHERE vv > 1;');
    keys('Enter');
    s = await waitScreen((x) => x.includes('Binder Error'), 'the error');
    expect(s).toMatch(/Binder Error: .*'vv'.*\(line 1, column 24\)\nLINE 1: SELECT k FROM ev WHERE vv > 1\n {31}\^\^\n/);

    // Up twice recalls the pull query; Enter runs it again.
    keys('Up');
    await waitScreen((x) => lastLine(x) === 'sluice> SELECT k FROM ev WHERE vv > 1;', 'the last entry');
    keys('Up');
    await waitScreen((x) => lastLine(x) === 'sluice> SELECT * FROM totals ORDER BY k;', 'the entry before');
    keys('Enter');
    await waitScreen((x) => count(x, '3 rows') === 2, 'the query run again');

    typeText('SUBSCRIBE totals;');
    keys('Enter');
    s = await waitScreen((x) => x.includes('● live') && x.includes('watermark end of input'), 'the live table');
    expect(s).toMatch(/│ op │  k  │ total  │   n    │/);
    keys('C-c');
    s = await waitScreen((x) => x.includes('(stopped)') && lastLine(x) === 'sluice>', 'the prompt after Ctrl-C');
    expect(s).not.toContain('● live');

    typeText('.quit');
    keys('Enter');
    s = await waitScreen((x) => x.includes('[sluice exited with status'), 'sluice to exit');
    expect(s).toMatch(/sluice> \.quit\n+\[sluice exited with status 0\]/);
    expect(readFileSync(history, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string)).toEqual([
      "CREATE SOURCE ev (k INT, v INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'file', path = 'events.jsonl', format = 'jsonl');",
      'CREATE MATERIALIZED VIEW totals AS\nSELECT k, SUM(v) AS total, COUNT(*) AS n FROM ev GROUP BY k;',
      'SELECT * FROM totals ORDER BY k;',
      'SELECT k FROM ev WHERE vv > 1;',
      'SELECT * FROM totals ORDER BY k;',
      'SUBSCRIBE totals;',
      '.quit',
    ]);
  });
});
