/**
 * Where the prompt, the highlighted input and the cursor go on the screen. The input is
 * wrapped here, by terminal cells, rather than by ink, so the terminal cursor can be put
 * exactly where the next character will appear (ink wraps at word boundaries, which would
 * move text away from a computed cursor position).
 */
import { displayWidth } from './format.js';
import { highlight, type HighlightKind, type HighlightSegment } from './highlight.js';
import type { EditorState } from './line-editor.js';

/** The primary prompt and the continuation prompt, equally wide as in psql. */
export const PROMPT = 'sluice> ';
export const CONTINUATION_PROMPT = '   ...> ';

/** One screen row of the input: a prompt (empty on wrapped rows) and coloured text. */
export interface InputRow {
  readonly prompt: string;
  readonly segments: readonly HighlightSegment[];
}

export interface InputLayout {
  readonly rows: readonly InputRow[];
  /** The cursor's cell: column and row, 0-based, relative to the first row. */
  readonly cursor: { readonly x: number; readonly y: number };
}

export interface LayoutOptions {
  readonly state: EditorState;
  /** Text of earlier lines of the same statement (already entered), for highlighting in context. */
  readonly pending: string;
  /** Terminal width in cells. */
  readonly width: number;
  readonly keywords?: readonly string[];
}

interface MutableRow {
  prompt: string;
  segments: { text: string; kind: HighlightKind }[];
}

/**
 * Lays out the input: the first line gets `sluice> ` (or `   ...> ` when earlier lines are
 * pending), each further line the continuation prompt, and lines longer than the terminal
 * wrap at the last cell. Highlighting covers the pending lines too, so a string opened on
 * an earlier line still reads as a string.
 */
export function layoutInput(opts: LayoutOptions): InputLayout {
  const { text, cursor } = opts.state;
  const prefix = opts.pending === '' ? '' : opts.pending + '\n';
  const all = highlight(prefix + text, opts.keywords);
  const width = Math.max(displayWidth(PROMPT) + 2, Math.floor(opts.width) || 80);

  const rows: MutableRow[] = [];
  let col = 0;
  const newRow = (prompt: string): void => {
    rows.push({ prompt, segments: [] });
    col = displayWidth(prompt);
  };
  const put = (ch: string, kind: HighlightKind): void => {
    const segs = rows[rows.length - 1]!.segments;
    const last = segs[segs.length - 1];
    if (last && last.kind === kind) last.text += ch;
    else segs.push({ text: ch, kind });
  };

  newRow(opts.pending === '' ? PROMPT : CONTINUATION_PROMPT);
  let pos: { x: number; y: number } | undefined;
  let offset = -prefix.length;
  for (const seg of all) {
    for (const ch of seg.text) {
      if (offset >= 0) {
        if (offset === cursor) pos = { x: col, y: rows.length - 1 };
        if (ch === '\n') {
          newRow(CONTINUATION_PROMPT);
        } else {
          const w = displayWidth(ch);
          if (col + w > width) newRow('');
          // Record the cursor after wrapping, so a cursor on the wrapped character shows where it is drawn.
          if (offset === cursor) pos = { x: col, y: rows.length - 1 };
          put(ch, seg.kind);
          col += w;
        }
      }
      offset += ch.length;
    }
  }
  if (pos === undefined) {
    if (col >= width) newRow('');
    pos = { x: col, y: rows.length - 1 };
  }
  return { rows, cursor: pos };
}
