import { NOTHING_TO_STOP, type TaskFeature } from './task-feature.js';

/**
 * A task never makes the store keep more than it was allowed to write (S19): its
 * artifacts together stay within its disk limit. The upload itself comes before the
 * run is resolved, since a missing artifact changes the resolution.
 */
export const artifactByteLimit: TaskFeature = {
  name: 'artifact-byte-limit',
  isEnabled: (run) => run.plan?.resources.diskMB !== undefined,
  async start(run) {
    run.outputs.limitArtifactBytes(run.plan?.resources.diskMB);
    return NOTHING_TO_STOP;
  },
};
