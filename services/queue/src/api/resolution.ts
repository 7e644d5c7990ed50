import { resolveRunAs } from '../domain/resolve-run.js';
import { reportExceptionRequest } from '../schemas/claims.js';
import { runIdParam, taskIdParam } from '../schemas/common.js';
import { taskStatusResponse } from '../schemas/status.js';
import { queueApi } from './definition.js';

const params = { taskId: taskIdParam, runId: runIdParam };

queueApi.declare({
  name: 'reportCompleted',
  method: 'POST',
  route: '/task/<taskId>/runs/<runId>/completed',
  params,
  output: taskStatusResponse,
  scopes: 'queue:resolve-task:<taskId>/<runId>',
  title: 'Report Run Completed',
  description: 'Resolves a running run as completed. Reporting it again is harmless.',
  async handler(ctx, req) {
    const status = await resolveRunAs(
      ctx,
      { taskId: req.params.taskId, runId: Number(req.params.runId), callerId: req.caller.clientId },
      { state: 'completed', reason: 'completed' },
    );
    // The completion enqueued the task's provenance (a trigger, in its transaction);
    // write it now rather than at the next interval.
    ctx.provenance.nudge();
    return { status };
  },
});

queueApi.declare({
  name: 'reportFailed',
  method: 'POST',
  route: '/task/<taskId>/runs/<runId>/failed',
  params,
  output: taskStatusResponse,
  scopes: 'queue:resolve-task:<taskId>/<runId>',
  title: 'Report Run Failed',
  description: 'Resolves a running run as failed (the task ran and did not succeed).',
  async handler(ctx, req) {
    const status = await resolveRunAs(
      ctx,
      { taskId: req.params.taskId, runId: Number(req.params.runId), callerId: req.caller.clientId },
      { state: 'failed', reason: 'failed' },
    );
    return { status };
  },
});

queueApi.declare({
  name: 'reportException',
  method: 'POST',
  route: '/task/<taskId>/runs/<runId>/exception',
  params,
  input: reportExceptionRequest,
  output: taskStatusResponse,
  scopes: 'queue:resolve-task:<taskId>/<runId>',
  title: 'Report Task Exception',
  description: [
    'Resolves a running run as exception. `worker-shutdown` and `intermittent-task`',
    'retry the task while retries remain; other reasons never do.',
  ].join(' '),
  async handler(ctx, req) {
    const status = await resolveRunAs(
      ctx,
      { taskId: req.params.taskId, runId: Number(req.params.runId), callerId: req.caller.clientId },
      { state: 'exception', reason: req.body.reason },
    );
    return { status };
  },
});
