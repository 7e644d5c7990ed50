import { chmodSync, mkdirSync } from 'node:fs';
import { proxySocketDirectory, proxySocketPath } from '../../proxy/socket-path.js';
import { TaskProxy } from '../../proxy/task-proxy.js';
import type { TaskFeature } from './task-feature.js';

/**
 * The task's proxy to the platform (`features.taskclusterProxy`): a unix socket the
 * sandbox exposes as `TASKCLUSTER_PROXY_URL`, signing with the run's credentials and
 * the task's scopes. Its credentials follow every reclaim; they are revoked the moment
 * the task's commands end, and the proxy closed when the run is over.
 */
export const taskclusterProxy: TaskFeature = {
  name: 'taskcluster-proxy',
  isEnabled: (run) => run.plan?.taskclusterProxy === true,
  async start(run) {
    const { claim, deps, weakened } = run;
    const proxy = new TaskProxy({
      rootUrl: deps.config.rootUrl,
      credentials: run.lease.current.credentials,
      authorizedScopes: [
        ...claim.task.scopes,
        `queue:create-artifact:${claim.taskId}/${claim.runId}`,
      ],
      onSecretValue: (value) => {
        if (weakened?.masking !== false) run.log.masker.addSecret(value);
      },
      logger: run.logger,
      ...(weakened?.proxyPathCheck === false ? { weakenedForTests: { pathCheck: false } } : {}),
    });
    run.credentialListeners.push((credentials) => proxy.updateCredentials(credentials));
    const socket = proxySocketPath(run.runDir);
    try {
      // Its own directory: the sandbox binds that directory, and nothing else of the run.
      mkdirSync(proxySocketDirectory(run.runDir), { mode: 0o700 });
      await proxy.listen({ path: socket });
      // The socket is made as the umask says; it is the sandbox user's alone (S11), from
      // its first moment, not only once the engine hands it over.
      chmodSync(socket, 0o600);
    } catch (err) {
      // Not started, so not stopped by the run: closed here.
      await proxy.close();
      throw err;
    }
    run.proxySocket = socket;
    return {
      taskFinished: () => proxy.revoke(),
      stop: () => proxy.close(),
    };
  },
};
