import { Reply, inputError, notFound } from '@bulwark/api';
import { queries } from '@bulwark/db';
import type { ScopeTemplate } from '@bulwark/scopes';
import { createArtifact } from '../domain/artifact-create.js';
import { finishArtifact } from '../domain/artifact-finish.js';
import { artifactContent, artifactRedirect, latestRunId } from '../domain/artifact-download.js';
import { artifactJson } from '../domain/artifact-json.js';
import { publicRootUrl } from '../domain/artifact-signing.js';
import { afterMatching, pageLimit, pageOf, type PageQuery } from '../domain/pagination.js';
import {
  ARTIFACT_NAME_PATTERN,
  artifactContentResponse,
  artifactNameParam,
  artifactPageQuery,
  artifactSchema,
  createArtifactRequest,
  createArtifactResponse,
  finishArtifactRequest,
  listArtifactsResponse,
} from '../schemas/artifacts.js';
import { isWorkerLogName } from '../domain/worker-log.js';
import {
  CONTROL_PLANE_PREFIX,
  isControlPlaneArtifactName,
} from '../domain/control-plane-artifacts.js';
import { runIdParam, taskIdParam } from '../schemas/common.js';
import { queueApi } from './definition.js';

const runParams = { taskId: taskIdParam, runId: runIdParam, name: artifactNameParam };
const latestParams = { taskId: taskIdParam, name: artifactNameParam };
/**
 * Taskcluster's run scope, and for the worker's own log names (`public/logs/...`) the
 * worker-log scope that a task's proxy never passes on (S18).
 */
const CREATE_ARTIFACT: ScopeTemplate = {
  AllOf: [
    'queue:create-artifact:<taskId>/<runId>',
    { if: 'workerLog', then: 'queue:create-worker-log:<taskId>/<runId>' },
  ],
};
/** Names under `public/bulwark/` are the control plane's alone: no credentials write them (S17). */
function refuseControlPlaneName(name: string): void {
  if (isControlPlaneArtifactName(name)) {
    throw inputError(
      `Artifact names under ${CONTROL_PLANE_PREFIX} are reserved for what the control plane ` +
        'writes itself (such as the task’s signed provenance or a quorum’s report); no credentials may create them',
    );
  }
}

const GET_ARTIFACT: ScopeTemplate = {
  AllOf: [{ for: 'name', in: 'names', each: 'queue:get-artifact:<name>' }],
};

/**
 * The queue's own artifacts (a quorum's report, S17) have no scope that grants them,
 * not even `*`: no client, worker or task may create or finish one.
 */
queueApi.declare({
  name: 'createArtifact',
  method: 'POST',
  route: '/task/<taskId>/runs/<runId>/artifacts/<name>',
  wildcardParam: 'name',
  params: runParams,
  input: createArtifactRequest,
  output: createArtifactResponse,
  scopes: CREATE_ARTIFACT,
  category: 'Artifacts',
  title: 'Create Artifact',
  description: [
    'Creates an artifact of a running run (or of a run resolved `exception` in the last',
    '25 minutes). `object` artifacts answer with credentials for uploading their data',
    'through the object API and become visible at finishArtifact; `s3` artifacts answer',
    'with a one-time PUT URL. `reference`, `link` and `error` artifacts exist at once.',
    'Repeating the call is allowed within Taskcluster’s immutability rules.',
    'Names under `public/logs/` (in any letter case) are the worker’s own log and also',
    'need `queue:create-worker-log:<taskId>/<runId>`, which run credentials carry and a',
    'task’s proxy never passes on. Names under `public/bulwark/` are the control plane’s',
    '(the task’s signed provenance, a quorum’s report) and are refused to every caller.',
  ].join(' '),
  async handler(ctx, req) {
    const { taskId, runId, name } = req.params;
    req.authorize({ taskId, runId, workerLog: isWorkerLogName(name) });
    refuseControlPlaneName(name);
    return createArtifact(
      ctx,
      { taskId, runId: Number(runId), name },
      req.body,
      publicRootUrl(ctx, req.raw),
      req.caller.clientId,
    );
  },
});

queueApi.declare({
  name: 'finishArtifact',
  method: 'PUT',
  route: '/task/<taskId>/runs/<runId>/artifacts/<name>',
  wildcardParam: 'name',
  params: runParams,
  input: finishArtifactRequest,
  scopes: CREATE_ARTIFACT,
  category: 'Artifacts',
  title: 'Finish Artifact',
  description: [
    'Makes an `object` artifact visible once its upload is finished. The uploadId must',
    'be the one createArtifact returned. Repeating it is harmless. Scopes as for',
    'createArtifact.',
  ].join(' '),
  async handler(ctx, req) {
    req.authorize({
      taskId: req.params.taskId,
      runId: req.params.runId,
      workerLog: isWorkerLogName(req.params.name),
    });
    refuseControlPlaneName(req.params.name);
    const key = {
      taskId: req.params.taskId,
      runId: Number(req.params.runId),
      name: req.params.name,
    };
    await finishArtifact(ctx, key, req.body.uploadId, req.caller.clientId);
    return new Reply(204, '');
  },
});

queueApi.declare({
  name: 'getArtifact',
  method: 'GET',
  route: '/task/<taskId>/runs/<runId>/artifacts/<name>',
  wildcardParam: 'name',
  params: runParams,
  scopes: GET_ARTIFACT,
  category: 'Artifacts',
  title: 'Get Artifact Data from Run',
  description: [
    'Redirects (303) to the artifact’s content: stored data through a signed URL that',
    'expires, references to their URL. Error artifacts answer 424 with their reason.',
    'Needs `queue:get-artifact:<name>` for the name and every link followed; the',
    'anonymous role may grant `queue:get-artifact:public/*`.',
  ].join(' '),
  async handler(ctx, req) {
    const { taskId, runId, name } = req.params;
    return artifactRedirect(ctx, req, taskId, Number(runId), name);
  },
});

queueApi.declare({
  name: 'getLatestArtifact',
  method: 'GET',
  route: '/task/<taskId>/artifacts/<name>',
  wildcardParam: 'name',
  params: latestParams,
  scopes: GET_ARTIFACT,
  category: 'Artifacts',
  title: 'Get Artifact Data from Latest Run',
  description: 'As getArtifact, for the task’s latest run.',
  async handler(ctx, req) {
    const { taskId, name } = req.params;
    req.authorize({ names: [name] });
    return artifactRedirect(ctx, req, taskId, await latestRunId(ctx, taskId), name);
  },
});

queueApi.declare({
  name: 'artifact',
  method: 'GET',
  route: '/task/<taskId>/runs/<runId>/artifact-content/<name>',
  wildcardParam: 'name',
  params: runParams,
  output: artifactContentResponse,
  scopes: GET_ARTIFACT,
  category: 'Artifacts',
  title: 'Get Artifact Content From Run',
  description: [
    'How to fetch the artifact’s content without a redirect: for object artifacts, the',
    'object name and credentials (one hour) to download it through the object API.',
  ].join(' '),
  async handler(ctx, req) {
    const { taskId, runId, name } = req.params;
    return artifactContent(ctx, req, taskId, Number(runId), name);
  },
});

queueApi.declare({
  name: 'latestArtifact',
  method: 'GET',
  route: '/task/<taskId>/artifact-content/<name>',
  wildcardParam: 'name',
  params: latestParams,
  output: artifactContentResponse,
  scopes: GET_ARTIFACT,
  category: 'Artifacts',
  title: 'Get Artifact Content From Latest Run',
  description: 'As artifact, for the task’s latest run.',
  async handler(ctx, req) {
    const { taskId, name } = req.params;
    req.authorize({ names: [name] });
    return artifactContent(ctx, req, taskId, await latestRunId(ctx, taskId), name);
  },
});

async function listPage(
  ctx: Parameters<typeof latestRunId>[0],
  taskId: string,
  runId: number,
  query: PageQuery,
): Promise<{ artifacts: ReturnType<typeof artifactJson>[]; continuationToken?: string }> {
  const limit = pageLimit(query);
  const after = afterMatching(query, ARTIFACT_NAME_PATTERN);
  const rows = await queries.queueArtifacts.listArtifacts(
    ctx.pool,
    taskId,
    runId,
    after,
    limit + 1,
  );
  const page = pageOf(rows, limit, (a) => a.name);
  return {
    artifacts: page.items.map(artifactJson),
    ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
  };
}

queueApi.declare({
  name: 'listArtifacts',
  method: 'GET',
  route: '/task/<taskId>/runs/<runId>/artifacts',
  params: { taskId: taskIdParam, runId: runIdParam },
  query: artifactPageQuery,
  output: listArtifactsResponse,
  scopes: 'queue:list-artifacts:<taskId>:<runId>',
  category: 'Artifacts',
  title: 'Get Artifacts from Run',
  description: 'Lists the run’s visible artifacts in name order, in pages of up to 1000.',
  async handler(ctx, req) {
    const { taskId } = req.params;
    const runId = Number(req.params.runId);
    if (runId > (await latestRunId(ctx, taskId))) {
      throw notFound(`Run ${runId} of task ${taskId}`);
    }
    return listPage(ctx, taskId, runId, req.query);
  },
});

queueApi.declare({
  name: 'listLatestArtifacts',
  method: 'GET',
  route: '/task/<taskId>/artifacts',
  params: { taskId: taskIdParam },
  query: artifactPageQuery,
  output: listArtifactsResponse,
  scopes: 'queue:list-artifacts:<taskId>',
  category: 'Artifacts',
  title: 'Get Artifacts from Latest Run',
  description: 'As listArtifacts, for the task’s latest run.',
  async handler(ctx, req) {
    const { taskId } = req.params;
    return listPage(ctx, taskId, await latestRunId(ctx, taskId), req.query);
  },
});

async function info(
  ctx: Parameters<typeof latestRunId>[0],
  key: { taskId: string; runId: number; name: string },
): Promise<ReturnType<typeof artifactJson>> {
  const artifact = await queries.queueArtifacts.getArtifact(ctx.pool, key);
  if (!artifact?.present) throw notFound('Artifact');
  return artifactJson(artifact);
}

queueApi.declare({
  name: 'artifactInfo',
  method: 'GET',
  route: '/task/<taskId>/runs/<runId>/artifact-info/<name>',
  wildcardParam: 'name',
  params: runParams,
  output: artifactSchema,
  scopes: 'queue:list-artifacts:<taskId>:<runId>',
  category: 'Artifacts',
  title: 'Get Artifact Information From Run',
  description: 'The artifact’s listing entry; reading its content needs get-artifact.',
  async handler(ctx, req) {
    const { taskId, runId, name } = req.params;
    return info(ctx, { taskId, runId: Number(runId), name });
  },
});

queueApi.declare({
  name: 'latestArtifactInfo',
  method: 'GET',
  route: '/task/<taskId>/artifact-info/<name>',
  wildcardParam: 'name',
  params: latestParams,
  output: artifactSchema,
  scopes: 'queue:list-artifacts:<taskId>',
  category: 'Artifacts',
  title: 'Get Artifact Information From Latest Run',
  description: 'As artifactInfo, for the task’s latest run.',
  async handler(ctx, req) {
    const { taskId, name } = req.params;
    return info(ctx, { taskId, runId: await latestRunId(ctx, taskId), name });
  },
});
