/** A live result: the table as it stands, changed rows coloured, and the status line under it. */
import { Box, Text } from 'ink';
import type { LiveView } from '../session.js';
import { MARK_STYLE } from './colors.js';

/** The live table with its status line under it. */
export function LiveTable({ live }: { readonly live: LiveView }) {
  return (
    <Box flexDirection="column">
      {live.lines.map((line, i) => (
        <Text key={i} wrap="truncate" {...(line.mark ? MARK_STYLE[line.mark] : {})}>
          {line.text}
        </Text>
      ))}
      <Text>
        <Text color="cyan" bold>
          ● live{' '}
        </Text>
        <Text dimColor>{live.status}</Text>
      </Text>
    </Box>
  );
}
