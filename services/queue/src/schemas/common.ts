import type { ParamSpec } from '@bulwark/api';

/** Identifier patterns and limits of Taskcluster's queue (reference §3.1). */
export const SLUGID =
  '^[A-Za-z0-9_-]{8}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$';
export const PROVISIONER_ID = '^[a-zA-Z0-9-_]{1,38}$';
export const WORKER_TYPE = '^[a-z]([-a-z0-9]{0,36}[a-z0-9])?$';
export const IDENTIFIER = '^([a-zA-Z0-9-_]*)$';
export const PROJECT_ID = '^([a-zA-Z0-9._/-]*)$';
export const TASK_QUEUE_ID = '^[a-zA-Z0-9-_]{1,38}/[a-z]([-a-z0-9]{0,36}[a-z0-9])?$';

export const MAX_RUN_ID = 1000;

export const taskIdSchema = { type: 'string', pattern: SLUGID, maxLength: 22 } as const;
export const identifierSchema = {
  type: 'string',
  pattern: IDENTIFIER,
  minLength: 1,
  maxLength: 38,
} as const;
export const dateTimeSchema = { type: 'string', format: 'date-time' } as const;
export const scopeSchema = {
  type: 'string',
  pattern: '^[\\x20-\\x7e]*$',
  maxLength: 4096,
} as const;

export const SLUGID_PATTERN = new RegExp(SLUGID);
export const taskIdParam: ParamSpec = { pattern: SLUGID_PATTERN, maxLength: 22 };
export const runIdParam: ParamSpec = { pattern: /^(0|[1-9][0-9]{0,3})$/, maxLength: 4 };
export const taskQueueIdParam: ParamSpec = {
  pattern: new RegExp(TASK_QUEUE_ID),
  maxLength: 38 + 1 + 38,
};
