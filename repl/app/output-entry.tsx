/** One finished piece of output in the scrollback: an echoed input, a result, a message or an error. */
import { Box, Text } from 'ink';
import type { OutputEntry } from '../session.js';
import { TONE_STYLE } from './colors.js';
import { InputRows } from './input-rows.js';

/** One entry of the scrollback, coloured by its tone. */
export function OutputEntryView({ entry }: { readonly entry: OutputEntry }) {
  if (entry.kind === 'echo') {
    return (
      <Box flexDirection="column">
        <InputRows rows={entry.rows} />
      </Box>
    );
  }
  return <Text {...TONE_STYLE[entry.tone]}>{entry.text}</Text>;
}
