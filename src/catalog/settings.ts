/**
 * Engine settings (`SET name = value`, `SHOW name`): each with a default, a parser that
 * validates what the user wrote, and a one-line description for SHOW and the docs.
 */
import { SluiceError, type Span } from '../errors.js';
import { parseIntervalText } from './interval-text.js';

export interface SettingDef {
  readonly name: string;
  readonly description: string;
  readonly default: string;
  /** Validates and normalizes a value; throws a message naming the problem. */
  parse(value: string | number | boolean): string | number | boolean;
}

function positiveInterval(name: string) {
  return (v: string | number | boolean): number => {
    const ms = typeof v === 'number' ? v : typeof v === 'string' ? parseIntervalText(v) : undefined;
    if (ms === undefined || !(ms > 0)) {
      throw new Error(`${name} expects a positive interval such as '10 seconds', got ${JSON.stringify(v)}`);
    }
    return ms;
  };
}

function positiveInt(name: string, max: number) {
  return (v: string | number | boolean): number => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${name} expects a whole number from 1 to ${max}, got ${JSON.stringify(v)}`);
    return n;
  };
}

export const SETTINGS: readonly SettingDef[] = [
  {
    name: 'checkpoint_interval',
    description: 'how often state is checkpointed automatically (an interval; 0 is not allowed)',
    default: '10 seconds',
    parse: positiveInterval('checkpoint_interval'),
  },
  {
    name: 'batch_size',
    description: 'the most events read from a source into one batch',
    default: '8192',
    parse: positiveInt('batch_size', 1_000_000),
  },
  {
    name: 'view_flush_bytes',
    description: 'bytes of changes the views may hold for their tables before a checkpoint comes early (in memory: before they are written without a pull query)',
    default: String(64 * 1024 * 1024),
    parse: positiveInt('view_flush_bytes', 2 ** 40),
  },
];

/** The current values of the settings, parsed. */
export class Settings {
  private readonly values = new Map<string, string | number | boolean>();
  private readonly texts = new Map<string, string>();

  constructor() {
    for (const s of SETTINGS) this.set(s.name, s.default);
  }

  private def(name: string, span?: Span): SettingDef {
    const d = SETTINGS.find((s) => s.name === name);
    if (!d) {
      throw new SluiceError('BIND', `unknown setting '${name}' (settings: ${SETTINGS.map((s) => s.name).join(', ')})`, { span });
    }
    return d;
  }

  set(name: string, value: string | number | boolean, span?: Span): void {
    const d = this.def(name, span);
    try {
      this.values.set(name, d.parse(value));
    } catch (e) {
      throw new SluiceError('BIND', (e as Error).message, { span });
    }
    this.texts.set(name, String(value));
  }

  get(name: string): string | number | boolean {
    return this.values.get(this.def(name).name)!;
  }

  /** The value as the user wrote it (for SHOW). */
  text(name: string, span?: Span): string {
    return this.texts.get(this.def(name, span).name)!;
  }

  number(name: string): number {
    return Number(this.get(name));
  }

  entries(): [string, string][] {
    return SETTINGS.map((s) => [s.name, this.texts.get(s.name)!]);
  }
}
