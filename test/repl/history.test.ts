import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultHistoryPath, History } from '../../repl/history.js';

type Key = 'up' | 'down' | `type:${string}` | `submit`;

/** Plays keys against a history, like the input box would, and returns the line shown after each key. */
function play(entries: string[], keys: Key[]): string[] {
  const h = new History({ path: null });
  for (const e of entries) h.add(e);
  let line = '';
  const shown: string[] = [];
  for (const k of keys) {
    if (k === 'up') line = h.up(line);
    else if (k === 'down') line = h.down(line);
    else if (k === 'submit') {
      h.add(line);
      line = '';
    } else line = k.slice('type:'.length);
    shown.push(line);
  }
  return shown;
}

describe('History navigation', () => {
  it.each<[string, string[], Key[], string[]]>([
    ['up shows the newest entry, then older ones', ['a', 'b', 'c'], ['up', 'up', 'up'], ['c', 'b', 'a']],
    ['up stops at the oldest entry', ['a', 'b'], ['up', 'up', 'up', 'up'], ['b', 'a', 'a', 'a']],
    ['down goes back towards the newest', ['a', 'b', 'c'], ['up', 'up', 'up', 'down', 'down'], ['c', 'b', 'a', 'b', 'c']],
    ['down past the newest restores the draft', ['a', 'b'], ['type:sel', 'up', 'up', 'down', 'down'], ['sel', 'b', 'a', 'b', 'sel']],
    ['down on the live line changes nothing', ['a'], ['type:x', 'down', 'down'], ['x', 'x', 'x']],
    ['up with an empty history keeps the line', [], ['type:x', 'up', 'down'], ['x', 'x', 'x']],
    ['submitting returns to the live line', ['a', 'b'], ['up', 'up', 'submit', 'up'], ['b', 'a', '', 'a']],
    ['a new entry is the newest', ['a'], ['type:b', 'submit', 'up', 'up'], ['b', '', 'b', 'a']],
    ['a recalled entry edited and left is not kept', ['a', 'b'], ['up', 'type:bX', 'up', 'down'], ['b', 'bX', 'a', 'b']],
    ['multi-line entries are one entry', ['SELECT a,\n  b\nFROM t;', 'x'], ['up', 'up'], ['x', 'SELECT a,\n  b\nFROM t;']],
  ])('%s', (_name, entries, keys, expected) => {
    expect(play(entries, keys)).toEqual(expected);
  });

  it('collapses consecutive duplicates and skips blank entries', () => {
    const h = new History({ path: null });
    for (const e of ['a', 'a', '  ', '', 'b', 'a', 'a  ', '\n']) h.add(e);
    expect(h.entries).toEqual(['a', 'b', 'a']);
  });

  it('keeps at most maxEntries, dropping the oldest', () => {
    const h = new History({ path: null, maxEntries: 3 });
    for (const e of ['1', '2', '3', '4', '5']) h.add(e);
    expect(h.entries).toEqual(['3', '4', '5']);
  });

  it('defaults to ~/.sluice_history', () => {
    expect(defaultHistoryPath()).toMatch(/\.sluice_history$/);
  });
});

describe('History persistence', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-history-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps entries across instances, one line per entry', () => {
    const path = join(dir, 'hist');
    const first = new History({ path });
    first.add('SELECT 1;');
    first.add("SELECT 'a\"b',\n  c\nFROM t;");
    first.add('.mode csv');
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(4); // three lines and the final newline
    const second = new History({ path });
    expect(second.entries).toEqual(['SELECT 1;', "SELECT 'a\"b',\n  c\nFROM t;", '.mode csv']);
    expect(second.up('')).toBe('.mode csv');
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('starts empty when the file is missing, and creates it on the first entry', () => {
    const path = join(dir, 'missing');
    const h = new History({ path });
    expect(h.entries).toEqual([]);
    h.add('x');
    expect(new History({ path }).entries).toEqual(['x']);
  });

  it('starts empty on a corrupt file without throwing', () => {
    const path = join(dir, 'corrupt');
    writeFileSync(path, Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x7b, 0x22, 0x0a, 0x5b, 0x31, 0x5d]));
    const h = new History({ path });
    expect(h.entries).toEqual([]);
    h.add('after');
    expect(new History({ path }).entries).toEqual(['after']);
  });

  it('keeps the good lines of a partly corrupt file, and does not glue onto a torn last line', () => {
    const path = join(dir, 'partly');
    writeFileSync(path, '"one"\nnot json\n42\n"two"\n"thr');
    const h = new History({ path });
    expect(h.entries).toEqual(['one', 'two']);
    h.add('three');
    expect(new History({ path }).entries).toEqual(['one', 'two', 'three']);
  });

  it('survives a path it cannot read or write, reporting the write error', () => {
    const path = join(dir, 'a-directory');
    mkdirSync(path);
    const errors: unknown[] = [];
    const h = new History({ path, onError: (e) => errors.push(e) });
    h.add('x');
    expect(h.entries).toEqual(['x']);
    expect(errors).toHaveLength(1);
  });

  it('loads only the newest maxEntries and compacts a file that grew far past them', () => {
    const path = join(dir, 'big');
    writeFileSync(path, Array.from({ length: 10 }, (_, i) => JSON.stringify(`s${i}`) + '\n').join(''));
    const h = new History({ path, maxEntries: 3 });
    expect(h.entries).toEqual(['s7', 's8', 's9']);
    expect(readFileSync(path, 'utf8')).toBe('"s7"\n"s8"\n"s9"\n');
  });
});
