/** Draws laid-out input rows: the prompt, then the text coloured by highlight kind. */
import { Text } from 'ink';
import type { InputRow } from '../input-layout.js';
import { HIGHLIGHT_STYLE } from './colors.js';

/** The prompt rows, as laid out by `layoutInput`. */
export function InputRows({ rows }: { readonly rows: readonly InputRow[] }) {
  return (
    <>
      {rows.map((row, i) => (
        <Text key={i} wrap="truncate">
          {row.prompt !== '' && <Text bold>{row.prompt}</Text>}
          {row.segments.map((s, j) => (
            <Text key={j} {...HIGHLIGHT_STYLE[s.kind]}>
              {s.text}
            </Text>
          ))}
          {row.prompt === '' && row.segments.length === 0 ? ' ' : ''}
        </Text>
      ))}
    </>
  );
}
