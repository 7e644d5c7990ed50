import type { Migration } from '../migrate.js';
import { authTables } from './0001-auth.js';
import { secretsTables } from './0002-secrets.js';
import { queueTables } from './0003-queue.js';
import { queueWorkers } from './0004-queue-workers.js';
import { artifactTables } from './0005-artifacts.js';
import { taskEvents } from './0006-task-events.js';
import { taskEventNotifications } from './0007-task-events.js';
import { liveLogTables } from './0008-live-logs.js';
import { auditPending } from './0009-audit-pending.js';
import { artifactEventNotifications } from './0010-artifact-events.js';
import { durableNonces } from './0011-durable-nonces.js';
import { quorum } from './0012-quorum.js';
import { provenance } from './0013-provenance.js';
import { identityProviderTables } from './0014-identity-providers.js';
import { signingKeyDisable } from './0015-signing-key-disable.js';

/** Every migration, in version order; `migrate` checks the numbering. Never edit one that shipped. */
export const migrations: readonly Migration[] = [
  authTables,
  secretsTables,
  queueTables,
  queueWorkers,
  artifactTables,
  taskEvents,
  taskEventNotifications,
  liveLogTables,
  auditPending,
  artifactEventNotifications,
  durableNonces,
  quorum,
  provenance,
  identityProviderTables,
  signingKeyDisable,
];
