/**
 * Operator state entries written by CheckpointStore.writeState read back as written: puts
 * replace, deletes remove, a full delta starts over, and keys with newlines (which cannot
 * travel newline-joined) take the row-by-row path.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Database } from '../../src/state/database.js';
import { CheckpointStore } from '../../src/state/checkpoint-store.js';
import type { StateDelta } from '../../src/exec/operator.js';

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
}
