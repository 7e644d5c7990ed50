import { createInterface } from 'node:readline';
import { UsageError } from './credentials.js';

/** Said when the person at the terminal answers no: nothing was done. */
export class NotConfirmed extends Error {
  override readonly name = 'NotConfirmed';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_NOT_CONFIRMED';
}

/**
 * Asks a yes/no question on the terminal (stderr, so stdout stays data). Anything but
 * yes is no: Enter, end of input, and Ctrl-C too.
 */
export function askYesNo(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    let answered = false;
    const finish = (yes: boolean): void => {
      if (answered) return;
      answered = true;
      prompt.close();
      resolve(yes);
    };
    prompt.on('SIGINT', () => {
      process.stderr.write('\n');
      finish(false);
    });
    prompt.on('close', () => finish(false));
    prompt.question(`${question} [y/N] `, (answer) => finish(/^y(es)?$/i.test(answer.trim())));
  });
}

/** Whether a person is there to answer: both stdin and stderr are a terminal. */
export function onTerminal(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/**
 * Destructive commands ask first on a terminal, as `gh` does; elsewhere (scripts, CI)
 * nobody can answer, so they need `--yes` and refuse without it rather than guess.
 */
export async function confirmDestructive(
  question: string,
  yes: boolean | undefined,
): Promise<void> {
  if (yes) return;
  if (!onTerminal()) {
    throw new UsageError(
      `${question.replace(/\?$/, '')}: not on a terminal, so pass --yes to confirm`,
    );
  }
  if (!(await askYesNo(question))) throw new NotConfirmed('nothing was changed');
}
