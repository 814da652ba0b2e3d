/** Helpers shared by the REPL's session and app tests. */
import type { OutputEntry, Session } from '../../repl/session.js';
import { textKeys } from '../../repl/keys.js';

/** Polls `check` until it returns true (or a value other than false/undefined), failing after `timeoutMs`. */
export async function waitFor<T>(check: () => T | false | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = check();
      if (v !== false && v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** The text of output entries, echoes drawn with their prompts. */
export function entryText(e: OutputEntry): string {
  if (e.kind === 'text') return e.text;
  return e.rows.map((r) => r.prompt + r.segments.map((s) => s.text).join('')).join('\n');
}

/** All output so far as one text. */
export function outputText(s: Session): string {
  return s.getSnapshot().output.map(entryText).join('\n');
}

/** Types text into the session (line breaks are Enter) and waits until nothing runs. */
export async function type(s: Session, text: string): Promise<void> {
  s.handleKeys(textKeys(text));
  await s.idle();
}

/** The input line as shown, prompt included. */
export function inputText(s: Session): string {
  const input = s.getSnapshot().input;
  return input ? input.rows.map((r) => r.prompt + r.segments.map((x) => x.text).join('')).join('\n') : '';
}

/** Removes ANSI escape sequences (colours, cursor moves) from a frame. */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001B\[[0-9;?]*[ -/]*[@-~]|\u001B\][^\u0007]*\u0007/g, '');
}
