import { describe, expect, it } from 'vitest';
import {
  applyToState,
  DOT_COMMAND_INFO,
  helpText,
  INITIAL_REPL_STATE,
  parseDotCommand,
  runDotCommand,
  type DotCommand,
  type DotCommandHandler,
  type OutputMode,
} from '../../repl/dot-commands.js';

describe('parseDotCommand', () => {
  it.each<[string, unknown]>([
    ['.help', { name: 'help', args: [] }],
    ['  .sources  ', { name: 'sources', args: [] }],
    ['.views', { name: 'views', args: [] }],
    ['.sinks', { name: 'sinks', args: [] }],
    ['.schema bids', { name: 'schema', args: ['bids'] }],
    ['.schema "My View"', { name: 'schema', args: ['My View'] }],
    ['.mode csv', { name: 'mode', args: ['csv'] }],
    ['.mode JSONL', { name: 'mode', args: ['jsonl'] }],
    ['.MODE table;', { name: 'mode', args: ['table'] }],
    ['.timer on', { name: 'timer', args: [true] }],
    ['.timer OFF', { name: 'timer', args: [false] }],
    ['.read queries/q1.sql', { name: 'read', args: ['queries/q1.sql'] }],
    [".read 'my ''best'' file.sql'", { name: 'read', args: ["my 'best' file.sql"] }],
    ['.checkpoint', { name: 'checkpoint', args: [] }],
    ['.quit', { name: 'quit', args: [] }],
    ['.exit', { name: 'quit', args: [] }],
  ])('%j', (line, expected) => {
    expect(parseDotCommand(line)).toEqual(expected);
  });

  it.each([
    ['.foo', 'unknown command .foo: try .help'],
    ['.', 'missing command after ".": try .help'],
    ['.mode', '.mode expects table, jsonl or csv'],
    ['.mode box', '.mode expects table, jsonl or csv'],
    ['.mode csv jsonl', '.mode expects table, jsonl or csv'],
    ['.timer', '.timer expects on or off'],
    ['.timer yes', '.timer expects on or off'],
    ['.schema', '.schema expects one name: .schema NAME'],
    ['.read', '.read expects one file name: .read FILE.sql'],
    ['.read a.sql b.sql', '.read expects one file name: .read FILE.sql'],
    [".read 'open", "unterminated quote in arguments: 'open"],
    ['.sources extra', '.sources takes no arguments'],
    ['.exit now', '.exit takes no arguments'],
    ['SELECT 1', 'not a dot-command: SELECT 1'],
  ])('%j → %j', (line, error) => {
    expect(parseDotCommand(line)).toEqual({ error });
  });
});

describe('help', () => {
  it('lists every command with a one-line description', () => {
    const text = helpText();
    const lines = text.split('\n');
    expect(lines).toHaveLength(DOT_COMMAND_INFO.length);
    for (const name of ['help', 'sources', 'views', 'sinks', 'schema', 'mode', 'timer', 'read', 'checkpoint', 'quit']) {
      expect(lines.some((l) => l.startsWith('.' + name))).toBe(true);
    }
    expect(text).toContain('.exit');
    expect(lines[0]).toBe('.help                  Show this list of commands');
    expect(lines.find((l) => l.startsWith('.mode'))).toBe('.mode table|jsonl|csv  Set how results are printed');
  });
});

describe('runDotCommand', () => {
  function fakeHandler() {
    const calls: string[] = [];
    const handler: DotCommandHandler = {
      listSources: () => ['bids', 'persons'],
      listViews: async () => [],
      listSinks: () => ['out'],
      describe: (name) => (name === 'bids' ? 'CREATE SOURCE bids (auction BIGINT);' : undefined),
      setMode: (m: OutputMode) => void calls.push(`mode ${m}`),
      setTimer: (on) => void calls.push(`timer ${on}`),
      readFile: async (path) => {
        calls.push(`read ${path}`);
        return path === 'loud.sql' ? 'ran 2 statements' : undefined;
      },
      checkpoint: () => void calls.push('checkpoint'),
      quit: () => void calls.push('quit'),
    };
    return { calls, handler };
  }
  const run = async (line: string, handler: DotCommandHandler): Promise<string> => {
    const cmd = parseDotCommand(line);
    if ('error' in cmd) throw new Error(cmd.error);
    return runDotCommand(cmd, handler);
  };

  it('prints lists, definitions and help, and calls the app for actions', async () => {
    const { calls, handler } = fakeHandler();
    expect(await run('.help', handler)).toBe(helpText());
    expect(await run('.sources', handler)).toBe('bids\npersons');
    expect(await run('.views', handler)).toBe('(no views)');
    expect(await run('.sinks', handler)).toBe('out');
    expect(await run('.schema bids', handler)).toBe('CREATE SOURCE bids (auction BIGINT);');
    expect(await run('.schema nope', handler)).toBe('no source, view or sink named nope');
    expect(await run('.mode jsonl', handler)).toBe('');
    expect(await run('.timer on', handler)).toBe('');
    expect(await run('.read quiet.sql', handler)).toBe('');
    expect(await run('.read loud.sql', handler)).toBe('ran 2 statements');
    expect(await run('.checkpoint', handler)).toBe('');
    expect(await run('.exit', handler)).toBe('');
    expect(calls).toEqual(['mode jsonl', 'timer true', 'read quiet.sql', 'read loud.sql', 'checkpoint', 'quit']);
  });

  it('lets handler errors reach the caller', async () => {
    const { handler } = fakeHandler();
    handler.readFile = () => Promise.reject(new Error('ENOENT: no such file'));
    await expect(run('.read missing.sql', handler)).rejects.toThrow('ENOENT');
  });
});

describe('REPL state', () => {
  it('starts in table mode with the timer off and follows .mode and .timer', () => {
    expect(INITIAL_REPL_STATE).toEqual({ mode: 'table', timer: false });
    const cmds = ['.mode csv', '.timer on', '.sources'].map((l) => parseDotCommand(l) as DotCommand);
    const state = cmds.reduce(applyToState, INITIAL_REPL_STATE);
    expect(state).toEqual({ mode: 'csv', timer: true });
    expect(INITIAL_REPL_STATE).toEqual({ mode: 'table', timer: false });
  });
});
