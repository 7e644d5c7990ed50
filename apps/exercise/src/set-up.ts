import { randomBytes } from 'node:crypto';
import taskcluster, { type ServiceClient } from 'taskcluster-client';
import { taskDefinition, queueFor, waitFor } from './red-team-tasks.js';
import { createVictimKeys, signingClient, victimKeyIds, victimRelease } from './set-up-signing.js';
import type { Credentials, ExerciseContext, SigningVictims, Victims } from './types.js';

/** Test-only weakenings of the set-up, to show the exercise can report a breach. */
export type Weakening = 'secrets-scope' | 'claim-scope' | 'signing-policy';
export const WEAKENINGS: readonly Weakening[] = ['secrets-scope', 'claim-scope', 'signing-policy'];

type Made = 'client' | 'role' | 'secret' | 'task' | 'signing-key';

export interface SetUpOptions {
  rootUrl: string;
  admin: Credentials;
  runId: string;
  pool: string;
  weaken: readonly Weakening[];
  progress: (line: string) => void;
}

export interface Staged {
  redTeam: Credentials;
  victims: Victims;
  ownSecretPrefix: string;
  ownSecret: { name: string; value: string };
}

/**
 * Everything made with the admin credentials, in the order it was made, so that
 * teardown removes exactly this and nothing else, also after a partial set-up.
 */
export class Stage {
  private readonly made: { kind: Made; id: string }[] = [];
  private readonly auth: ServiceClient;
  private readonly secrets: ServiceClient;
  private readonly queue: ServiceClient;
  private signing: ServiceClient | undefined;

  constructor(private readonly options: SetUpOptions) {
    const common = { rootUrl: options.rootUrl, credentials: options.admin, retries: 1 };
    this.auth = new taskcluster.Auth(common);
    this.secrets = new taskcluster.Secrets(common);
    this.queue = new taskcluster.Queue(common);
  }

  /** The red-team role's id: what a try push of a level-1 repository assumes. */
  get redTeamRole(): string {
    return `repo:exercise/${this.options.runId}:level:1`;
  }

  async setUp(context: ExerciseContext): Promise<Staged> {
    const { runId, pool } = this.options;
    const expires = new Date(Date.now() + 24 * 3600_000).toJSON();
    const ownSecretPrefix = `exercise/${runId}/red-team/`;
    // Level 1: create tasks in one pool, read public artifacts and task status, and its own
    // try-level secrets. Nothing else.
    const redTeamScopes = [
      `queue:create-task:highest:${pool}`,
      'queue:create-task:project:none',
      'queue:scheduler-id:-',
      'queue:get-artifact:public/*',
      'queue:status:*',
      'queue:list-artifacts:*',
      `secrets:get:${ownSecretPrefix}*`,
    ];
    if (this.options.weaken.includes('secrets-scope')) redTeamScopes.push('secrets:get:*');
    if (this.options.weaken.includes('claim-scope')) {
      redTeamScopes.push(`queue:claim-work:exercise-${runId}/victim`, 'queue:worker-id:exercise/*');
    }
    await this.make('role', this.redTeamRole, () =>
      this.auth.createRole!(this.redTeamRole, {
        description: `bulwark exercise ${runId}: the red team's level-1 role`,
        scopes: redTeamScopes,
      }),
    );
    const redTeamId = `exercise/${runId}/red-team`;
    const redTeam = (await this.make('client', redTeamId, () =>
      this.auth.createClient!(redTeamId, {
        description: `bulwark exercise ${runId}: the red team`,
        expires,
        scopes: [`assume:${this.redTeamRole}`],
        deleteOnExpiration: true,
      }),
    )) as { accessToken: string };

    const victimProject = `project:exercise-${runId}-victim:ci`;
    const victimPool = `exercise-${runId}/victim`;
    const secretName = `exercise/${runId}/victim/deploy-key`;
    await this.make('role', victimProject, () =>
      this.auth.createRole!(victimProject, {
        description: `bulwark exercise ${runId}: another project's role`,
        scopes: [
          `secrets:get:exercise/${runId}/victim/*`,
          `queue:create-task:highest:${victimPool}`,
          `queue:create-task:highest:${pool}`,
          'queue:create-task:project:none',
          'queue:scheduler-id:-',
          'queue:status:*',
          // The release pipeline's scope (goal 9): signing with the victim's keys.
          `signing:sign:exercise-${runId}-*`,
        ],
      }),
    );
    const victimId = `exercise/${runId}/victim`;
    const victim = (await this.make('client', victimId, () =>
      this.auth.createClient!(victimId, {
        description: `bulwark exercise ${runId}: another project's client`,
        expires,
        scopes: [`assume:${victimProject}`],
        deleteOnExpiration: true,
      }),
    )) as { accessToken: string };
    const secretValue = `exercise-secret-${randomBytes(18).toString('hex')}`;
    await this.make('secret', secretName, () =>
      this.secrets.set!(secretName, { secret: { value: secretValue }, expires }),
    );
    // Characters that every encoding spells differently: space, slash, plus, quote.
    const ownSecret = {
      name: `${ownSecretPrefix}own`,
      value: `own secret/${randomBytes(12).toString('hex')}+"end"`,
    };
    await this.make('secret', ownSecret.name, () =>
      this.secrets.set!(ownSecret.name, { secret: { value: ownSecret.value }, expires }),
    );
    const victimCredentials = { clientId: victimId, accessToken: victim.accessToken };
    const signing = await this.stageSigning(context, victimCredentials, victimPool);
    const victimQueue = queueFor(context, victimCredentials);
    const pendingTaskId = taskcluster.slugid();
    await this.make('task', pendingTaskId, () =>
      victimQueue.createTask!(
        pendingTaskId,
        taskDefinition(context, {
          name: 'a victim task no worker serves',
          script: 'echo victim',
          taskQueueId: victimPool,
        }),
      ),
    );
    const runningTaskId = taskcluster.slugid();
    await this.make('task', runningTaskId, () =>
      victimQueue.createTask!(
        runningTaskId,
        taskDefinition(context, {
          name: 'a running victim task in the red team pool',
          script: 'echo victim running; sleep 50',
          maxRunTime: 60,
        }),
      ),
    );
    const running = await waitFor(
      context,
      victimQueue,
      runningTaskId,
      60_000,
      (s) => s.state === 'running',
    );
    this.options.progress(
      `set up: red team ${redTeamId}, victim ${victimId}, victim task ${running.state}`,
    );
    return {
      redTeam: { clientId: redTeamId, accessToken: redTeam.accessToken },
      victims: {
        client: victimCredentials,
        secretName,
        secretValue,
        pool: victimPool,
        pendingTaskId,
        ...(running.state === 'running' ? { runningTaskId } : {}),
        signing,
      },
      ownSecretPrefix,
      ownSecret,
    };
  }

  /**
   * Goal 9's victims: the release keys (a key is never deleted, so teardown disables it)
   * and a completed release whose provenance is real. The release runs first, while the
   * red team's pool is idle.
   */
  private async stageSigning(
    context: ExerciseContext,
    victim: Credentials,
    victimPool: string,
  ): Promise<SigningVictims> {
    const { runId } = this.options;
    this.signing = await signingClient(this.options.rootUrl, this.options.admin);
    await createVictimKeys(
      this.signing,
      runId,
      victimPool,
      this.options.weaken.includes('signing-policy'),
      (id) => this.made.push({ kind: 'signing-key', id }),
    );
    const release = await victimRelease(context, victim, (id) =>
      this.made.push({ kind: 'task', id }),
    );
    const keys = victimKeyIds(runId);
    return { releaseKeyId: keys.release, nightlyKeyId: keys.nightly, release };
  }

  /** Removes everything set-up made, newest first; each removal is tried even if one fails. */
  async tearDown(): Promise<string[]> {
    const failures: string[] = [];
    for (const { kind, id } of this.made.reverse()) {
      try {
        if (kind === 'client') await this.auth.deleteClient!(id);
        else if (kind === 'role') await this.auth.deleteRole!(id);
        else if (kind === 'secret') await this.secrets.remove!(id);
        else if (kind === 'signing-key') {
          await this.signing!.disableKey!(id, { reason: 'the exercise is over' });
        } else await this.queue.cancelTask!(id).catch(ignoreConflict);
      } catch (err) {
        failures.push(`${kind} ${id}: ${(err as Error).message.split('\n')[0] ?? ''}`);
      }
    }
    this.made.length = 0;
    return failures;
  }

  private async make<T>(kind: Made, id: string, create: () => Promise<T>): Promise<T> {
    const made = await create();
    this.made.push({ kind, id });
    return made;
  }
}

/** A task that already resolved cannot be canceled; that is as good as canceled. */
function ignoreConflict(err: unknown): void {
  if ((err as { statusCode?: number }).statusCode !== 409) throw err;
}
