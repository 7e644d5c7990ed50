import type { TaskFeature } from './task-feature.js';

/**
 * `public/logs/live.log` while the task runs, sent to the queue; a refusal that says
 * the run is over makes the lease ask the queue at once. Stopping ends the sending and
 * releases readers still following (the log's upload is the run's resolution's part).
 */
export const liveLog: TaskFeature = {
  name: 'live-log',
  isEnabled: () => true,
  async start(run) {
    run.outputs.startLiveLog(() => run.lease.checkNow());
    return { stop: () => run.outputs.abandon() };
  },
};
