import { NOTHING_TO_STOP, type TaskFeature } from './task-feature.js';

/** The run's own credentials never reach the task; they are masked in its log anyway (S15). */
export const runCredentialMasking: TaskFeature = {
  name: 'run-credential-masking',
  isEnabled: () => true,
  async start(run) {
    run.log.masker.addSecret(run.claim.credentials.accessToken);
    return NOTHING_TO_STOP;
  },
};
