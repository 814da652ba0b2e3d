import { describe, expect, it } from 'vitest';
import { complete, type CatalogSnapshot, type CompletionOptions } from '../../repl/completion.js';

const catalog: CatalogSnapshot = {
  sources: [
    { name: 'bids', columns: ['auction', 'bidder', 'price', 'date_time'] },
    { name: 'persons', columns: ['id', 'name', 'city'] },
  ],
  views: [{ name: 'top_bids', columns: ['auction', 'max_price'] }],
  sinks: ['out_sink'],
};

// A small word list keeps the expected candidate lists readable.
const small: CompletionOptions = { keywords: ['SELECT', 'FROM', 'WHERE', 'CASE', 'CAST', 'AS'], functions: ['COUNT', 'CEIL', 'DATE_TRUNC'] };

describe('complete', () => {
  it.each<[string, CompletionOptions, string[]]>([
    // dot-commands, only at the start of an empty buffer
    ['.', {}, ['.checkpoint', '.exit', '.help', '.mode', '.quit', '.read', '.schema', '.sinks', '.sources', '.timer', '.views']],
    ['.s', {}, ['.schema', '.sinks', '.sources']],
    ['  .ti', {}, ['.timer']],
    ['.schema ', {}, ['bids', 'persons', 'top_bids']],
    ['.schema t', {}, ['top_bids']],
    ['.mode j', {}, ['jsonl']],
    ['.timer o', {}, ['off', 'on']],
    ['.read qu', {}, []],
    // table names
    ['SELECT * FROM ', {}, ['bids', 'CHANGES', 'CUMULATE', 'HOP', 'persons', 'SESSION', 'TABLE', 'top_bids', 'TUMBLE']],
    ['select * from t', {}, ['table', 'top_bids', 'tumble']],
    ['SELECT * FROM bids JOIN p', {}, ['persons']],
    ['SUBSCRIBE ', {}, ['bids', 'persons', 'top_bids']],
    ['describe T', {}, ['top_bids']],
    ['SELECT * FROM TABLE(', {}, ['CUMULATE', 'HOP', 'SESSION', 'TUMBLE']],
    ['SELECT * FROM TABLE(TUMBLE(TABLE b', {}, ['bids']],
    ['SELECT * FROM TUMBLE(b', {}, ['bids']],
    ['INSERT INTO ', {}, ['bids', 'persons']],
    ['DROP VIEW ', {}, ['top_bids']],
    ['drop materialized view ', {}, ['top_bids']],
    ['DROP SINK ', {}, ['out_sink']],
    ['ALTER SOURCE p', {}, ['persons']],
    ['CREATE MATERIALIZED VIEW t', small, []],
    // qualified columns
    ['SELECT bids.', {}, ['auction', 'bidder', 'date_time', 'price']],
    ['SELECT BIDS.p', {}, ['price']],
    ['SELECT * FROM bids b WHERE b.b', {}, ['bidder']],
    ['SELECT * FROM persons AS p WHERE p.', {}, ['city', 'id', 'name']],
    ['SELECT nope.', {}, []],
    // keywords, functions and columns of the tables in the statement
    ['SELECT * FROM persons WHERE C', small, ['CASE', 'CAST', 'CEIL', 'city', 'COUNT']],
    ['select * from persons where c', small, ['case', 'cast', 'ceil', 'city', 'count']],
    ['SELECT * FROM bids WHERE da', small, ['date_time', 'date_trunc']],
    ['SELECT a', small, ['as', 'auction']],
    ['SELECT A', small, ['AS', 'auction']],
    ['SELECT * FROM bids; SELECT n', small, ['name']],
    ['SELECT * FROM persons WHERE n', small, ['name']],
    ['SELECT * FROM bids WHERE n', small, []],
    ['SEL', {}, ['SELECT']],
    ['sel', {}, ['select']],
    ['Sel', {}, ['SELECT']],
    ['select * from persons w', small, ['where']],
    // nothing inside strings, quoted names and comments, or right after a literal
    ["SELECT 'fro", {}, []],
    ["SELECT 'it''s fro", {}, []],
    ['SELECT "pri', {}, []],
    ['SELECT 1 -- fro', {}, []],
    ['SELECT /* fro', {}, []],
    ['SELECT 12', {}, []],
    ["SELECT 'x'", {}, []],
  ])('%j', (text, options, expected) => {
    expect(complete(text, catalog, options).candidates).toEqual(expected);
  });

  it('uses the columns of a table named after the cursor', () => {
    const r = complete('SELECT ci', catalog, { ...small, textAfterCursor: ' FROM persons;' });
    expect(r.candidates).toEqual(['city']);
  });

  it('resolves the alias of a window table function, adding the window columns', () => {
    const r = complete('SELECT w.w', catalog, { textAfterCursor: " FROM TUMBLE(bids, date_time, INTERVAL '10' SECOND) AS w" });
    expect(r.candidates).toEqual(['window_end', 'window_start', 'window_time']);
  });

  it('offers window columns once the statement uses a window function', () => {
    const r = complete("SELECT COUNT(*) FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(date_time), INTERVAL '1' MINUTE)) GROUP BY window_s", catalog, small);
    expect(r.candidates).toEqual(['window_start']);
  });

  it('follows the case of the last keyword when nothing is typed yet', () => {
    expect(complete('select * from persons where ', catalog, small).candidates).toContain('where');
    expect(complete('SELECT * FROM persons WHERE ', catalog, small).candidates).toContain('WHERE');
  });

  it('reports what to insert: the common prefix of the candidates', () => {
    expect(complete('SELECT * FROM pe', catalog)).toEqual({ candidates: ['persons'], start: 14, word: 'pe', replacement: 'persons', insert: 'rsons' });
    expect(complete('.sc', catalog)).toMatchObject({ start: 0, replacement: '.schema', insert: 'hema' });
    expect(complete('SELECT * FROM bids WHERE da', catalog, small)).toMatchObject({ replacement: 'date_t', insert: 'te_t' });
    expect(complete('.s', catalog)).toMatchObject({ replacement: '.s', insert: '' });
    expect(complete('SELECT * FROM BI', catalog)).toMatchObject({ replacement: 'bids', insert: 'ds', start: 14 });
    expect(complete('SELECT "pri', catalog)).toMatchObject({ candidates: [], insert: '' });
  });

  it('completes on the current line of a multi-line buffer', () => {
    expect(complete('SELECT\n  auction,\n  pr', catalog, { ...small, textAfterCursor: '\nFROM bids;' }).candidates).toEqual(['price']);
  });
});
