import type { QuorumOutcome } from '@bulwark/attest';
import type { JobLogger, Queryable } from '@bulwark/db';
import type { ReplicaRun } from './provenance-document.js';
import type { ProvenanceKeys } from './provenance-keys.js';
import type { TrustLevelRule } from './trust-levels.js';

/** What the queue needs to write provenance; part of its context. */
/** A quorum task's replicas (each with its run's worker and times) and whether they agreed. */
export interface QuorumFacts extends Omit<QuorumOutcome, 'replicas'> {
  replicas: (ReplicaRun & { taskQueueId: string })[];
  /** The artifacts compared and found identical; the summary names only these. All when absent. */
  agreedArtifacts?: readonly string[];
}

/**
 * For a quorum task, its replicas and whether their artifacts agreed; undefined for a
 * task that asked for no quorum. Read inside the provenance's transaction.
 */
export type QuorumSource = (db: Queryable, taskId: string) => Promise<QuorumFacts | undefined>;

export interface ProvenanceContext {
  readonly keys: ProvenanceKeys;
  /** The operator's trust levels of task queues (setting `builderTrustLevels`). */
  readonly trustLevels: readonly TrustLevelRule[];
  /** The deployment's public root URL, for the builder id and URIs in the provenance. */
  readonly rootUrl: () => string;
  /** The quorum of a task, whose replicas the provenance lists and a VSA summarizes. */
  readonly quorumOf: QuorumSource;
  /** Asks for a pass at once (after a completion), instead of at the next interval. */
  readonly nudge: () => void;
}

/**
 * Runs passes of `writeAll` (write provenance until none waits) one at a time: on a
 * nudge at once, or again right after the current pass when a nudge came during it.
 * The periodic job (repeatJob) is the safety net that writes what any replica, or a
 * process that crashed, left waiting.
 */
export class PassRunner {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly writeAll: () => Promise<unknown>,
    private readonly logger: JobLogger,
  ) {}

  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.writeAll();
        } catch (err) {
          this.logger.error({ err, job: 'provenance' }, 'background job failed');
        }
      } while (this.again && !this.stopped);
      this.running = undefined;
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}
