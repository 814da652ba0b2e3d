import { describe, expect, it } from 'vitest';
import { RateMeter, statusLine } from '../../repl/live-status.js';

describe('RateMeter', () => {
  it('measures events per second over its window', () => {
    const m = new RateMeter(2000);
    expect(m.rate()).toBe(0);
    m.sample(0, 0);
    m.sample(1000, 500);
    expect(m.rate()).toBe(500);
    m.sample(2000, 1500);
    m.sample(3000, 1500);
    // The window keeps samples from 1000 on: (1500 - 500) events over 2 s.
    expect(m.rate()).toBe(500);
    m.sample(5000, 1500);
    expect(m.rate()).toBe(0);
  });
});

describe('statusLine', () => {
  const base = {
    eventsPerSecond: 1204.4,
    watermark: new Date('2024-01-01T00:00:10Z'),
    lateEvents: 3,
    stateSize: 1500,
    rows: 12,
    counts: { inserts: 15, updates: 3, deletes: 1 },
    evicted: 0,
  };

  it('shows rate, watermark, late events, state and the result', () => {
    expect(statusLine(base)).toBe(
      'events/s 1,204 · watermark 2024-01-01T00:00:10.000Z · late 3 · state 1,500 · 12 rows (+15 ~3 -1) · Ctrl-C to stop',
    );
  });

  it('says when there is no watermark yet, when input ended, and leaves the rate out once stopped', () => {
    expect(statusLine({ ...base, watermark: null })).toContain('watermark none yet');
    expect(statusLine({ ...base, watermark: 'end of input', rows: 1, stopped: true, evicted: 7 })).toBe(
      'watermark end of input · late 3 · state 1,500 · 1 row (+15 ~3 -1) · oldest 7 not kept',
    );
  });
});
