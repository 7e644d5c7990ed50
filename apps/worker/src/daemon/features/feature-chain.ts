import type { StartedFeature, TaskFeature, TaskRun } from './task-feature.js';

/**
 * The features a run has started, in order, so that they are stopped in reverse:
 * the last to start (the proxy, which needs the task directory) is the first to go.
 */
export class FeatureChain {
  private readonly started: { name: string; feature: StartedFeature }[] = [];

  constructor(private readonly run: TaskRun) {}

  /** A feature started before the run existed (its directory), to be stopped with the rest. */
  adopt(name: string, feature: StartedFeature): void {
    this.started.push({ name, feature });
  }

  /** Starts each enabled feature in turn; a failure propagates, leaving the others started. */
  async start(features: readonly TaskFeature[]): Promise<void> {
    for (const feature of features) {
      if (!feature.isEnabled(this.run)) continue;
      this.started.push({ name: feature.name, feature: await feature.start(this.run) });
    }
  }

  /** The task's commands have ended: each started feature hears it, in starting order. */
  taskFinished(): void {
    for (const { feature } of this.started) feature.taskFinished?.();
  }

  /** Stops every started feature, the last first; one failing does not keep the others. */
  async stop(): Promise<void> {
    for (const { name, feature } of this.started.splice(0).reverse()) {
      try {
        await feature.stop();
      } catch (err) {
        this.run.logger.warn(
          { taskId: this.run.claim.taskId, feature: name, err: (err as Error).message },
          'stopping a task feature failed',
        );
      }
    }
  }
}
