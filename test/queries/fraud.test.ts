/**
 * queries/fraud/, the card-testing rule (MATCH_RECOGNIZE): `sluice run fraud.sql` prints
 * exactly the three suspicious cards and the one late charge; fed one charge at a time, each
 * match is emitted once, by the charge that moves the watermark past the match's last row.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { built, sluice } from '../cli/cli-runner.js';

const DIR = fileURLToPath(new URL('../../queries/fraud/', import.meta.url));

const MATCHES = [
  '{"card_id":"c4","probe_at":"2024-05-01T10:04:00.000Z","probe_merchant":"vending","probe_cents":50,"fraud_at":"2024-05-01T10:06:00.000Z","fraud_merchant":"electronics","fraud_cents":55000,"charges_between":1}',
  '{"card_id":"c1","probe_at":"2024-05-01T10:00:00.000Z","probe_merchant":"coffee-shop","probe_cents":99,"fraud_at":"2024-05-01T10:07:30.000Z","fraud_merchant":"electronics","fraud_cents":89900,"charges_between":1}',
  '{"card_id":"c3","probe_at":"2024-05-01T10:05:00.000Z","probe_merchant":"news-stand","probe_cents":100,"fraud_at":"2024-05-01T10:09:00.000Z","fraud_merchant":"travel","fraud_cents":120000,"charges_between":0}',
];

describe.skipIf(!built)('sluice run queries/fraud/fraud.sql', () => {
  it('prints the suspicious cards, then the late charge', async () => {
    const r = await sluice(['run', join(DIR, 'fraud.sql'), '--format', 'jsonl']);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      ...MATCHES,
      '{"source":"charges","offset":1304,"event_time":"2024-05-01T10:20:00.000Z","watermark":"2024-05-01T10:29:30.000Z","view":"suspicious_cards"}',
    ]);
    expect(r.stderr).toContain('1 event arrived late');
  });

  it('shows MatchRecognize in sluice explain', async () => {
    const r = await sluice(['explain', join(DIR, 'fraud.sql')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('MatchRecognize: partition=[card_id] order=[ts] pattern=(SMALL MID*? BIG) within=10m skip=PAST LAST ROW');
  });
});

describe('the fraud rule charge by charge', () => {
  it('emits each match once, when the watermark passes its large charge', async () => {
    const sql = readFileSync(join(DIR, 'fraud.sql'), 'utf8')
      .replace(/\) WITH \(connector = 'file'[^;]*;/, ');')
      .replace(/\nSELECT \* FROM suspicious_cards[\s\S]*$/, '');
    const engine = await Engine.open();
    try {
      await engine.execute(sql);
      const emitted: string[] = [];
      engine.subscribe('suspicious_cards', (c) => emitted.push(`${c.op} ${String(c.row['card_id'])}`));
      const charges = readFileSync(join(DIR, 'charges.jsonl'), 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, string | number>);
      const steps: string[] = [];
      for (const c of charges) {
        emitted.length = 0;
        await engine.insert('charges', [{ ...c, ts: new Date(String(c['ts'])) }]);
        steps.push(`${String(c['ts']).slice(11, 19)} ${emitted.join(',')}`.trim());
      }
      await engine.endOfStream('charges');
      expect(steps).toEqual([
        '10:00:00',
        '10:01:00',
        '10:02:00',
        '10:03:00',
        '10:04:00',
        '10:05:00',
        '10:05:00',
        '10:06:00',
        // The watermark reaches 10:07:15: c4's 10:06 charge completes its match.
        '10:07:45 +I c4',
        '10:07:30',
        // 10:08:30: c1's 10:07:30 charge.
        '10:09:00 +I c1',
        // 10:11:30: c3's 10:09 charge.
        '10:12:00 +I c3',
        '10:11:30',
        '10:30:00',
        '10:20:00',
        '10:41:00',
      ]);
      expect(await engine.query('SELECT card_id FROM suspicious_cards ORDER BY fraud_at')).toEqual([{ card_id: 'c4' }, { card_id: 'c1' }, { card_id: 'c3' }]);
    } finally {
      await engine.close();
    }
  });
});
