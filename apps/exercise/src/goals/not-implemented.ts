import type { Goal } from '../types.js';

/** A goal the exercise does not attack yet: INCONCLUSIVE, never BLOCKED, so no one mistakes it for proof. */
function notImplemented(number: number, title: string, invariants: string[]): Goal {
  return {
    number,
    title,
    implemented: false,
    async run() {
      return [
        {
          goal: number,
          id: `${number}.not-implemented`,
          title,
          invariants,
          verdict: 'INCONCLUSIVE',
          reason: 'not implemented yet',
          evidence: {},
        },
      ];
    },
  };
}

export const goal9 = notImplemented(9, 'Get a malicious binary signed with a real signing key', [
  'S17',
]);
