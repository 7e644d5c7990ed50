import type { TrustLevel } from '@bulwark/attest';

/** One operator statement: task queues matching `pattern` are builders of `level`. */
export interface TrustLevelRule {
  readonly pattern: string;
  readonly level: TrustLevel;
}

const PATTERN = /^[A-Za-z0-9_.~-]*(\/[A-Za-z0-9_.~-]*)?\*?$/;

/**
 * Parses `pattern=level` entries separated by commas (e.g. `proj-release/*=3,proj-ci/*=2`).
 * A pattern is a task queue id, or a prefix of one ending in `*`; a level is 1
 * (untrusted), 2 or 3 (release). Refuses anything else with a message naming the entry.
 */
export function parseTrustLevels(text: string): TrustLevelRule[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const at = entry.lastIndexOf('=');
      const pattern = entry.slice(0, at).trim();
      const level = Number(entry.slice(at + 1).trim());
      if (at <= 0 || !PATTERN.test(pattern) || ![1, 2, 3].includes(level)) {
        throw new Error(
          `builder trust levels: "${entry}" is not <taskQueueId or prefix*>=<1, 2 or 3>`,
        );
      }
      return { pattern, level: level as TrustLevel };
    });
}

/**
 * The level the operator states for a task queue: the first rule that matches, in the
 * order given; 1 (untrusted) when none does.
 */
export function trustLevelOf(rules: readonly TrustLevelRule[], taskQueueId: string): TrustLevel {
  for (const { pattern, level } of rules) {
    const matches = pattern.endsWith('*')
      ? taskQueueId.startsWith(pattern.slice(0, -1))
      : taskQueueId === pattern;
    if (matches) return level;
  }
  return 1;
}
