import { NOTHING_TO_STOP, type TaskFeature } from './task-feature.js';

/**
 * The destinations the payload may reach (already checked against the pool's list when
 * it was planned, S7); without this feature the task's network has only loopback.
 */
export const networkAllowlist: TaskFeature = {
  name: 'network-allowlist',
  isEnabled: (run) => (run.plan?.networkAllow.length ?? 0) > 0,
  async start(run) {
    run.network = { mode: 'allowlist', allow: run.plan?.networkAllow ?? [] };
    return NOTHING_TO_STOP;
  },
};
