/** The `quorum` extension of a task status, as the queue answers it (docs/quorum.md). */
export interface QuorumStatus {
  required: number;
  distinctBy: 'workerId' | 'workerGroup';
  trustedTaskQueueId?: string;
  decided: boolean;
  reason?: string;
  message?: string;
  replicas: {
    replica: number;
    trusted: boolean;
    taskQueueId: string;
    runId?: number;
    state: string;
    workerGroup?: string;
    workerId?: string;
    artifacts?: { name: string; sha256: string | null; agreed?: boolean }[];
  }[];
}

const DECISIONS: Record<string, string> = {
  agreed: 'all replicas produced identical artifacts',
  differed: 'the replicas’ artifacts differ',
  'replica-failed': 'a replica failed with no retries left',
  'deadline-exceeded': 'the quorum was not reached before the deadline',
  canceled: 'the task was canceled before the quorum was reached',
};

/**
 * A quorum task's replicas, workers and digests in plain words, for `task status`:
 * what was asked, what was decided and why, then each replica with its worker and
 * the store-computed digest of each artifact (marked where they differ).
 */
export function quorumLines(quorum: QuorumStatus): string[] {
  const distinct = quorum.distinctBy === 'workerGroup' ? 'worker groups' : 'workers';
  const trusted = quorum.trustedTaskQueueId
    ? `, one of them from the trusted queue ${quorum.trustedTaskQueueId}`
    : '';
  const lines = [`verified by ${quorum.required} replicas on distinct ${distinct}${trusted}`];
  if (!quorum.decided) {
    lines.push('decision: not yet, waiting for every replica to complete');
  } else {
    lines.push(`decision: ${DECISIONS[quorum.reason ?? ''] ?? quorum.reason ?? 'made'}`);
    if (quorum.message) lines.push(`  ${quorum.message}`);
  }
  for (const r of quorum.replicas) {
    const where = r.workerGroup && r.workerId ? ` on worker ${r.workerGroup}/${r.workerId}` : '';
    const run = r.runId === undefined ? '' : `, run ${r.runId}`;
    const label = r.trusted ? ' (trusted)' : '';
    lines.push(`replica ${r.replica}${label}: ${r.state}${where}${run}, from ${r.taskQueueId}`);
    for (const a of r.artifacts ?? []) {
      const digest = a.sha256 === null ? 'missing' : `sha256 ${a.sha256}`;
      const verdict = a.agreed === undefined ? '' : a.agreed ? '  (agrees)' : '  (DIFFERS)';
      lines.push(`  ${a.name}  ${digest}${verdict}`);
    }
  }
  return lines;
}
