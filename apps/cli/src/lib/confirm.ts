import { createInterface } from 'node:readline/promises';
import { UsageError } from './credentials.js';

/** Said when the person at the terminal answers no: nothing was done. */
export class NotConfirmed extends Error {}

/**
 * Destructive commands ask first on a terminal, as `gh` does; elsewhere (scripts, CI)
 * nobody can answer, so they need `--yes` and refuse without it rather than guess.
 */
export async function confirmDestructive(
  question: string,
  yes: boolean | undefined,
): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new UsageError(
      `${question.replace(/\?$/, '')}: not on a terminal, so pass --yes to confirm`,
    );
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new NotConfirmed('nothing was changed');
  } finally {
    prompt.close();
  }
}
