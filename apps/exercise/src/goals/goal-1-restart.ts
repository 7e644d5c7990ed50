import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiPath, rawRequest, signRequest } from '../raw-request.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext } from '../types.js';

const RESTART_TIMEOUT_MS = 180_000;
const POLL_MS = 500;

/**
 * 1.replay-across-restart: a request that authenticated is captured, the control plane
 * is restarted (only with the operator's --restart-command: the exercise never restarts
 * anything it was not told it may), and the very same bytes are sent again. Nonces kept
 * in memory only would be forgotten: the replay must still get 401 (S13). Runs after
 * every other goal, since the restart interrupts whatever runs.
 */
export async function replayAcrossRestart(context: ExerciseContext): Promise<AttackResult> {
  const info: AttackInfo = {
    goal: 1,
    id: '1.replay-across-restart',
    title: 'a captured request replayed after the control plane restarted',
    invariants: ['S13'],
  };
  if (context.restartCommand === undefined) {
    return inconclusive(
      info,
      'not tried: the exercise was not told it may restart the deployment (--restart-command)',
    );
  }
  const signer = context.victims?.client ?? context.redTeam;
  const path = context.victims
    ? apiPath(
        context.rootUrl,
        'secrets',
        `/secret/${encodeURIComponent(context.victims.secretName)}`,
      )
    : apiPath(context.rootUrl, 'auth', '/clients/');
  const captured = signRequest(context.rootUrl, 'GET', path, signer);
  const first = await rawRequest(context.rootUrl, { method: 'GET', path, authorization: captured });
  if (first.status !== 200 && first.status !== 403) {
    return inconclusive(info, `the original request did not authenticate (${first.status})`);
  }
  context.progress('restarting the deployment with --restart-command');
  const restarted = await runRestart(context.restartCommand, context.signal);
  if (restarted !== 0) {
    return inconclusive(info, `the restart command failed (exit ${String(restarted)})`);
  }
  const ping = apiPath(context.rootUrl, 'queue', '/ping');
  const until = Date.now() + RESTART_TIMEOUT_MS;
  let up = false;
  while (!up && Date.now() < until && !context.signal.aborted) {
    up = await rawRequest(context.rootUrl, { method: 'GET', path: ping }).then(
      (answer) => answer.status === 200,
      () => false,
    );
    if (!up) await sleep(POLL_MS);
  }
  if (!up) return inconclusive(info, 'the deployment did not answer again after the restart');
  const again = await rawRequest(context.rootUrl, { method: 'GET', path, authorization: captured });
  const evidence = {
    request: `GET ${path} replayed with ${signer.clientId}'s header captured before the restart`,
    status: again.status,
    ...(again.code ? { code: again.code } : {}),
    notes: [`the original answered ${first.status}`],
  };
  if (again.status === 401) {
    return result(info, 'BLOCKED', 'the replay was refused after the restart', evidence);
  }
  if (again.status === first.status) {
    return result(info, 'BREACHED', 'the replay authenticated after the restart', evidence);
  }
  return inconclusive(info, `the replay got ${again.status}`, evidence);
}

/** Runs the operator's command with /bin/sh, bounded; resolves its exit code. */
function runRestart(command: string, signal: AbortSignal): Promise<number | null> {
  return new Promise((done) => {
    const child = spawn('/bin/sh', ['-c', command], {
      stdio: 'ignore',
      timeout: RESTART_TIMEOUT_MS,
      signal,
    });
    child.on('error', () => done(null));
    child.on('exit', (code) => done(code));
  });
}
