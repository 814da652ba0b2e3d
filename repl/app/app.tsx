/**
 * The REPL's ink app. It only draws: finished output goes to `<Static>` (written once, so
 * it stays in the terminal's scrollback), and below it the prompt, the completion list or
 * a live table. Every decision is the Session's; keys are translated and handed to it.
 */
import { Box, Static, Text, useApp, useCursor, useInput, useStdout, type Key } from 'ink';
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { defaultHistoryPath, History } from '../history.js';
import { keysFromInk } from '../keys.js';
import { Session, type OutputEntry } from '../session.js';
import type { ReplEngine } from '../shell.js';
import { InputRows } from './input-rows.js';
import { LiveTable } from './live-view.js';
import { OutputEntryView } from './output-entry.js';

export interface AppProps {
  readonly engine: ReplEngine;
  /** History file; null keeps history in memory only. Default: $SLUICE_HISTORY, else ~/.sluice_history. */
  readonly historyPath?: string | null;
  /** The welcome line printed first. */
  readonly banner?: string;
  /** Called when the user leaves (`.quit`, Ctrl-D), before ink unmounts. */
  readonly onExit?: () => void;
  /** A session built by the caller (tests); by default the app builds its own. */
  readonly session?: Session;
}

/** The history file the REPL uses: `$SLUICE_HISTORY` when set (tests point it at a temp file), else ~/.sluice_history. */
export function historyPathFromEnv(): string {
  const fromEnv = process.env['SLUICE_HISTORY'];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : defaultHistoryPath();
}

function createSession(props: AppProps, width: number, height: number): Session {
  let session: Session | undefined;
  let warned = false;
  const history = new History({
    path: props.historyPath === undefined ? historyPathFromEnv() : props.historyPath,
    onError: (e) => {
      // History is a convenience: say once that it is not being saved, and carry on.
      if (warned || !session) return;
      warned = true;
      session.note(`history is not saved: ${e instanceof Error ? e.message : String(e)}`);
    },
  });
  session = new Session({ engine: props.engine, history, width, height, banner: props.banner });
  return session;
}

/** The REPL: give it an open engine; it ends (and calls `onExit`) on `.quit` or Ctrl-D, leaving the engine open. */
export function App(props: AppProps) {
  const { stdout } = useStdout();
  const { exit } = useApp();
  const [session] = useState(() => props.session ?? createSession(props, stdout.columns || 80, stdout.rows || 24));
  const snap = useSyncExternalStore(session.subscribe, session.getSnapshot);
  const { onExit } = props;

  useEffect(() => {
    session.setOnExit(() => {
      onExit?.();
      exit();
    });
  }, [session, onExit, exit]);

  useEffect(() => () => session.dispose(), [session]);

  useEffect(() => {
    const onResize = (): void => session.resize(stdout.columns || 80, stdout.rows || 24);
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, session]);

  const onInput = useCallback((input: string, key: Key) => session.handleKeys(keysFromInk(input, key)), [session]);
  useInput(onInput, { isActive: snap.phase !== 'closed' });

  const { setCursorPosition } = useCursor();
  setCursorPosition(snap.input ? snap.input.cursor : undefined);

  return (
    <>
      <Static items={snap.output as OutputEntry[]}>{(entry) => <OutputEntryView key={entry.id} entry={entry} />}</Static>
      {snap.input && (
        <Box flexDirection="column">
          <InputRows rows={snap.input.rows} />
          {snap.completions.map((line, i) => (
            <Text key={i} dimColor wrap="truncate">
              {line}
            </Text>
          ))}
        </Box>
      )}
      {snap.live && <LiveTable live={snap.live} />}
      {snap.running && <Text dimColor>running…</Text>}
    </>
  );
}
