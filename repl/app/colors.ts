/** The REPL's palette: which ink colour each kind of text gets (one place, so it stays consistent). */
import type { HighlightKind } from '../highlight.js';
import type { RowMark } from '../live-result.js';
import type { Tone } from '../shell.js';

export interface TextStyle {
  readonly color?: string;
  readonly dimColor?: boolean;
  readonly bold?: boolean;
}

export const HIGHLIGHT_STYLE: Readonly<Record<HighlightKind, TextStyle>> = {
  keyword: { color: 'cyan', bold: true },
  string: { color: 'green' },
  number: { color: 'yellow' },
  comment: { color: 'gray' },
  identifier: {},
  operator: {},
  plain: {},
};

export const TONE_STYLE: Readonly<Record<Tone, TextStyle>> = {
  result: {},
  message: { dimColor: true },
  error: { color: 'red' },
  info: { color: 'yellow' },
};

/** Rows changed a moment ago: inserted green, updated yellow, deleted (a ghost) red. */
export const MARK_STYLE: Readonly<Record<RowMark, TextStyle>> = {
  '+I': { color: 'green' },
  '+U': { color: 'yellow' },
  '-D': { color: 'red', dimColor: true },
};
