/**
 * Operator state entries written by CheckpointStore.writeState read back as written: puts
 * replace, deletes remove, a full delta starts over, and keys with newlines (which cannot
 * travel newline-joined) take the row-by-row path.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Database } from '../../src/state/database.js';
import { CheckpointStore } from '../../src/state/checkpoint-store.js';
import type { StateDelta } from '../../src/exec/operator.js';
import { ColumnarState } from '../../src/exec/columnar-state.js';
import { utf8Column } from '../../src/exec/vector/columns.js';
import { readValue } from '../../src/exec/batch.js';
import type { Data } from 'apache-arrow';

let db: Database;
let store: CheckpointStore;
beforeEach(async () => {
  db = await Database.open();
});
afterEach(() => db.close());

const delta = (puts: [string, unknown][], deletes: string[] = [], full = false): StateDelta => ({ full, puts, deletes });

async function read(owner = 'v'): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [op, m] of await store.readState(owner)) out[op] = Object.fromEntries(m);
  return out;
}

for (const withKey of [false, true]) {
  it(`puts, deletes and full deltas${withKey ? ', on a table with the primary key of older files' : ''}`, async () => {
    if (withKey) {
      await db.run(`CREATE TABLE sluice_state (owner VARCHAR, operator VARCHAR, key VARCHAR, value VARCHAR, PRIMARY KEY (owner, operator, key))`);
    }
    store = new CheckpointStore(db);
    await store.create();
    const many: [string, unknown][] = Array.from({ length: 20_000 }, (_, i) => [JSON.stringify([i, `k'${i}`]), { rows: i, accs: [i, null, 'a\nb'] }]);
    await db.transaction(() => store.writeState('v', new Map([['1', delta(many)], ['2', delta([['', { x: 1 }]], [], true)]])));
    await store.writeState('w', new Map([['1', delta([['[1]', 'other owner']])]]));
    expect(Object.keys((await read())['1']!)).toHaveLength(20_000);
    // One transaction deletes and puts again keys already stored.
    await db.transaction(() =>
      store.writeState('v', new Map([['1', delta([['[0,"k\'0"]', 'new'], ['line\nbreak', 2]], ['[1,"k\'1"]', 'never stored'])], ['2', delta([['', { x: 2 }]], [], true)]])),
    );
    const s = await read();
    expect(Object.keys(s['1']!)).toHaveLength(20_000);
    expect(s['1']!['[0,"k\'0"]']).toBe('new');
    expect(s['1']!['[1,"k\'1"]']).toBeUndefined();
    expect(s['1']!['[2,"k\'2"]']).toEqual({ rows: 2, accs: [2, null, 'a\nb'] });
    expect(s['1']!['line\nbreak']).toBe(2);
    expect(s['2']).toEqual({ '': { x: 2 } });
    expect(await read('w')).toEqual({ '1': { '[1]': 'other owner' } });
    await store.writeState('v', new Map([['1', delta([], [], true)]]));
    expect((await read())['1']).toBeUndefined();
  });

  it(`columnar entries go as BLOBs, are replaced, and are retained with AS OF snapshots${withKey ? ', on a table with the primary key of older files' : ''}`, async () => {
    if (withKey) {
      await db.run(`CREATE TABLE sluice_state (owner VARCHAR, operator VARCHAR, key VARCHAR, value VARCHAR, PRIMARY KEY (owner, operator, key))`);
      await db.run(`INSERT INTO sluice_state VALUES ('v', '1', '["old"]', '{"rows":1,"accs":[]}')`);
    }
    store = new CheckpointStore(db);
    await store.create();
    const columns = (x: number) => {
      const s = new ColumnarState({ groups: 3 });
      s.put('rows', Float64Array.of(x, 2, 3));
      s.putColumn('key0', utf8Column(Int32Array.of(0, 1, 1, 3), new TextEncoder().encode('aé'), Uint8Array.of(0b101), 1));
      return s;
    };
    const check = (v: unknown, x: number) => {
      expect(v).toBeInstanceOf(ColumnarState);
      const s = v as ColumnarState;
      expect([...s.get('rows', 'f64')]).toEqual([x, 2, 3]);
      expect(rowsOf(s.column('key0', 'VARCHAR'))).toEqual(['a', null, 'é']);
    };
    for (let round = 1; round <= 2; round++) {
      await db.transaction(() => store.writeState('v', new Map([['1', delta([['#meta', { round }], ['#groups', columns(round)]], [], round === 1)]])));
      const s = (await store.readState('v')).get('1')!;
      check(s.get('#groups'), round);
      expect(s.get('#meta')).toEqual({ round });
      expect(s.size).toBe(2);
    }
    await db.transaction(() => store.retainSnapshot({ view: 'v', id: 7, consumed: 1, inputs: [] }, 'sluice_state'));
    check((await store.snapshotState('v', 7)).get('1')!.get('#groups'), 2);
  });
}

/** The values of a VARCHAR column. */
function rowsOf(d: Data): (string | null)[] {
  return Array.from({ length: d.length }, (_, i) => readValue(d, i, 'VARCHAR') as string | null);
}
