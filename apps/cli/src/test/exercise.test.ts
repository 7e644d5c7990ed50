import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import type { ExerciseReport } from '@bulwark/exercise';
import { workerRunsDirectory } from '../commands/up.js';
import { breached, runExerciseCommand, type Ran } from './exercise-command.js';
import { hostFacts } from './host-facts.js';
import { RestartableUp } from './restartable-up.js';
import {
  againstInsecureEngine,
  againstWeakenedSandbox,
  type Platform,
} from './weakened-targets.js';

// The red-team exercise against a real `bulwark up`: it reports no breach there, and it
// reports exactly the matching breaches against deliberately weakened targets, so it is
// shown able to fail (an exercise that cannot report a breach proves nothing).

const bin = resolve(fileURLToPath(import.meta.url), '../../../bin/bulwark.js');
const IMPLEMENTED = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
let scratch: string;
let dataDir: string;
let up: RestartableUp;
let rootUrl: string;
let root: { clientId: string; accessToken: string };

/** The real `bulwark exercise` against the test's `bulwark up`, with its admin credentials. */
const exercise = (
  args: string[],
  env: Record<string, string> = {},
  onStderr?: (stderr: string, child: ChildProcess) => void,
): Promise<Ran> => runExerciseCommand(bin, rootUrl, root, args, env, onStderr);

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-exercise-'));
  await chmod(scratch, 0o700);
  dataDir = join(scratch, 'data');
  up = new RestartableUp(bin, dataDir, join(scratch, 'up-stopped'));
  rootUrl = await up.start();
  up.listenForRestarts();
  root = JSON.parse(await readFile(join(dataDir, 'root-credentials.json'), 'utf8')) as typeof root;
});

after(async () => {
  await up.stop();
  await rm(workerRunsDirectory(dataDir), { recursive: true, force: true });
  await rm(`${workerRunsDirectory(dataDir)}.owner`, { force: true });
  await rm(scratch, { recursive: true, force: true });
});

const platform = (): Platform => ({ rootUrl, root, exercise: (args) => exercise(args) });

/** The real thing: nothing breached, every implemented attack decided and blocked. */
async function againstBulwarkUp(): Promise<void> {
  const html = join(scratch, 'report.html');
  const jsonFile = join(scratch, 'report.json');
  const ran = await exercise([
    '--json',
    '--html',
    html,
    '--json-file',
    jsonFile,
    '--data-dir',
    dataDir,
  ]);
  const report = JSON.parse(ran.stdout) as ExerciseReport;
  assert.deepEqual(breached(report), [], ran.stdout);
  assert.equal(ran.code, 0, ran.stderr);
  for (const goal of IMPLEMENTED) {
    const blocked = report.results.filter((r) => r.goal === goal && r.verdict === 'BLOCKED');
    assert.ok(blocked.length >= 1, `goal ${goal} has a blocked attack`);
  }
  // Against the real thing every implemented attack ran and was blocked: none could not tell
  // (but the replay across a restart, which has a test of its own: it stops everything).
  const undecided = report.results.filter(
    (r) =>
      IMPLEMENTED.includes(r.goal) && r.verdict !== 'BLOCKED' && r.id !== '1.replay-across-restart',
  );
  assert.deepEqual(
    undecided.map((r) => `${r.id}: ${r.reason}`),
    [],
  );
  for (const id of [
    '7.masking',
    '9.own-task',
    '9.reserved-names',
    '1.replay-across-restart',
    '10.secrets-in-logs',
    '11.log-volume',
  ]) {
    assert.ok(
      report.results.some((r) => r.id === id),
      id,
    );
  }
  // Every goal is attacked: none says it is not implemented.
  assert.ok(report.results.every((r) => !r.id.endsWith('.not-implemented')));
  assert.deepEqual(report.leftovers, []);

  // The reports: JSON that parses to the same thing, one HTML file that needs nothing else.
  assert.deepEqual(JSON.parse(await readFile(jsonFile, 'utf8')), report);
  const page = await readFile(html, 'utf8');
  assert.match(page, /^<!doctype html>/);
  assert.doesNotMatch(page, /<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(|@import/i);
  assert.match(page, /1\.forged-key/);
  // S1: no report carries a credential, whatever the attacks saw.
  for (const text of [ran.stdout, ran.stderr, page]) assert.ok(!text.includes(root.accessToken));

  // Everything set-up made is gone: no client, no role of this run remains.
  const auth = new taskcluster.Auth({ rootUrl, credentials: root });
  const clients = (await auth.listClients!({ prefix: `exercise/${report.runId}` })) as {
    clients: unknown[];
  };
  assert.deepEqual(clients.clients, []);
  await assert.rejects(auth.role!(`repo:exercise/${report.runId}:level:1`), { statusCode: 404 });
}

test('S15: with the red team given secrets:get:* (test-only), exactly the scope attack flips', async () => {
  const refused = await exercise(['--goal', '7', '--weaken', 'secrets-scope']);
  assert.equal(refused.code, 2, 'weakening needs the test-only switch');
  assert.match(refused.stderr, /BULWARK_EXERCISE_ALLOW_WEAKEN/);

  const ran = await exercise(['--goal', '7', '--weaken', 'secrets-scope', '--json'], {
    BULWARK_EXERCISE_ALLOW_WEAKEN: '1',
  });
  const report = JSON.parse(ran.stdout) as ExerciseReport;
  assert.equal(ran.code, 1, 'a breach fails the run');
  assert.deepEqual(breached(report), ['7.get-without-scope']);
  assert.ok(report.results.every((r) => r.goal === 7));
  assert.ok(!ran.stdout.includes('exercise-secret-'), 'the harvested value is not in the report');
});

test('S5: with the red team given claim-work on the victim pool (test-only), exactly the claim flips', async () => {
  const ran = await exercise(['--goal', '4', '--weaken', 'claim-scope', '--json'], {
    BULWARK_EXERCISE_ALLOW_WEAKEN: '1',
  });
  const report = JSON.parse(ran.stdout) as ExerciseReport;
  assert.equal(ran.code, 1, ran.stderr);
  assert.deepEqual(breached(report), ['4.claim-foreign-pool']);
  // The claim answered the run's credentials; no report carries them (S1).
  assert.doesNotMatch(ran.stdout, /"accessToken"|"certificate"/);
});

test(
  'against bulwark up nothing is breached, and on each weakened target exactly the matching attacks are',
  { concurrency: true },
  async (t) => {
    const facts = hostFacts();
    // Side by side: each target is a pool of its own, each run has names of its own.
    const cases: [string, () => Promise<void>][] = [
      [
        'S1-S19: against bulwark up, nothing is breached and every implemented goal is blocked at least once',
        againstBulwarkUp,
      ],
      [
        'S1, S6, S7, S8: on a pool of the insecure engine, exactly the matching attacks are breached',
        () => againstInsecureEngine(platform(), facts),
      ],
      [
        'S8: on a sandbox without its seccomp filter, exactly the seccomp, ptrace, system call and vsock attacks are breached',
        async () => {
          // The filter is also what refuses ptrace (the task seizes bubblewrap's init),
          // the rare system calls, and AF_VSOCK, which no network namespace confines.
          const got = await againstWeakenedSandbox(
            platform(),
            'no-seccomp',
            { seccomp: false },
            'no seccomp',
            [2, 5, 6, 8],
          );
          const expected = ['8.new-syscalls', '8.ptrace', '8.seccomp'];
          assert.deepEqual(got, [...expected, ...(facts.vsock ? ['6.vsock'] : [])].sort());
        },
      ],
      [
        'S6, S8: on a sandbox without its pid namespace, exactly the pid namespace attack is breached',
        async () => {
          const got = await againstWeakenedSandbox(
            platform(),
            'no-pidns',
            { pidNamespace: false },
            'no pid namespace',
            [2, 5, 8],
          );
          assert.deepEqual(got, ['8.pid-namespace']);
        },
      ],
      [
        'S7: on a sandbox without its network namespace, exactly the attacks that reach the host are breached',
        async () => {
          const got = await againstWeakenedSandbox(
            platform(),
            'no-netns',
            { network: false },
            'no network namespace',
            [5, 6, 8],
          );
          const expected = [
            '6.abstract-unix',
            ...(facts.address ? ['6.host-addresses'] : []),
            '6.loopback',
            '6.reach-control-plane',
            '8.shell-server',
            ...(facts.gateway ? ['6.gateway'] : []),
            ...(facts.metadataRoute ? ['6.metadata'] : []),
          ];
          assert.deepEqual(got, expected.sort());
        },
      ],
      [
        'S12, S15: on a sandbox whose proxy forwards any path spelling, exactly the spelling attacks are breached',
        async () => {
          const got = await againstWeakenedSandbox(
            platform(),
            'no-path-check',
            { proxyPathCheck: false },
            'no proxy path check',
            [6, 7],
          );
          assert.deepEqual(got, ['6.proxy-path-spellings', '7.masking-spelling']);
        },
      ],
      [
        'S15: on a sandbox that masks no secret it fetched, exactly the masking attack is breached',
        async () => {
          const got = await againstWeakenedSandbox(
            platform(),
            'no-masking',
            { masking: false },
            'no secret masking',
            [2, 7],
          );
          assert.deepEqual(got, ['7.masking']);
        },
      ],
    ];
    await Promise.all(cases.map(([name, run]) => t.test(name, run)));
  },
);

test('S17: with the victim’s nightly key signing for every queue (test-only), exactly the own-task attack flips', async () => {
  const ran = await exercise(['--goal', '9', '--weaken', 'signing-policy', '--json'], {
    BULWARK_EXERCISE_ALLOW_WEAKEN: '1',
  });
  const report = JSON.parse(ran.stdout) as ExerciseReport;
  assert.equal(ran.code, 1, ran.stderr);
  assert.deepEqual(breached(report), ['9.own-task']);
  assert.deepEqual(report.leftovers, []);
  // The keys set-up made are disabled at the end: they sign nothing more.
  const keys = (await (await fetch(`${rootUrl}/api/signing/v1/keys`)).json()) as {
    keys: { keyId: string; disabled?: string }[];
  };
  const made = keys.keys.filter((k) => k.keyId.startsWith(`exercise-${report.runId}-`));
  assert.equal(made.length, 2);
  assert.ok(made.every((k) => k.disabled !== undefined));
});

test('Ctrl-C stops the attacks and removes everything set-up made', async () => {
  let interrupted = false;
  const ran = await exercise(['--goal', '8'], {}, (stderr, child) => {
    if (!interrupted && /goal 8:/.test(stderr)) {
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  assert.ok(interrupted, ran.stderr);
  assert.equal(ran.code, 130, ran.stderr);
  assert.match(ran.stderr, /stopping the exercise and removing what it made/);
  const runId = /red team exercise\/([0-9a-f]{8})\/red-team/.exec(ran.stderr)?.[1];
  assert.ok(runId, ran.stderr);
  const auth = new taskcluster.Auth({ rootUrl, credentials: root });
  const clients = (await auth.listClients!({ prefix: `exercise/${runId}` })) as {
    clients: unknown[];
  };
  assert.deepEqual(clients.clients, []);
  await assert.rejects(auth.role!(`repo:exercise/${runId}:level:1`), { statusCode: 404 });
  await assert.rejects(auth.role!(`project:exercise-${runId}-victim:ci`), { statusCode: 404 });
  const secrets = new taskcluster.Secrets({ rootUrl, credentials: root });
  const listed = (await secrets.list!()) as { secrets: string[] };
  assert.deepEqual(
    listed.secrets.filter((name) => name.includes(runId)),
    [],
  );
});

test('--as attacks with an existing low-privilege client and sets up nothing', async () => {
  const auth = new taskcluster.Auth({ rootUrl, credentials: root });
  const clientId = `try-bot/${process.pid}`;
  const { accessToken } = (await auth.createClient!(clientId, {
    description: 'a try-level client for the exercise test',
    expires: new Date(Date.now() + 3600_000).toJSON(),
    scopes: [
      'queue:create-task:highest:local/default',
      'queue:create-task:project:none',
      'queue:scheduler-id:-',
      'queue:status:*',
    ],
  })) as { accessToken: string };
  try {
    const env = { TASKCLUSTER_CLIENT_ID: clientId, TASKCLUSTER_ACCESS_TOKEN: accessToken };
    const other = await exercise(['--as', 'someone/else', '--goal', '1'], env);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /the credentials in the environment are try-bot/);

    const ran = await exercise(
      ['--as', clientId, '--goal', '1', '--goal', '4', '--goal', '7', '--json'],
      env,
    );
    const report = JSON.parse(ran.stdout) as ExerciseReport;
    assert.equal(ran.code, 0, ran.stdout);
    assert.equal(report.mode, 'as-client');
    assert.equal(report.redTeamClientId, clientId);
    assert.deepEqual(breached(report), []);
    assert.doesNotMatch(ran.stderr, /set up:/);
    const verdict = (id: string): string | undefined =>
      report.results.find((r) => r.id === id)?.verdict;
    assert.equal(verdict('1.forged-key'), 'BLOCKED');
    assert.equal(verdict('1.replay'), 'BLOCKED');
    assert.equal(verdict('4.claim-foreign-pool'), 'BLOCKED');
    assert.equal(verdict('7.list'), 'BLOCKED');
    assert.equal(verdict('1.nested-temporary'), 'BLOCKED');
    // Never told it may restart the deployment: the exercise says so and restarts nothing.
    assert.equal(verdict('1.replay-across-restart'), 'INCONCLUSIVE');
    // Without a victim there is no secret to aim at: that is said, not counted as blocked.
    assert.equal(verdict('7.get-without-scope'), 'INCONCLUSIVE');
  } finally {
    await auth.deleteClient!(clientId);
  }
});

test('S13: a request captured before bulwark up restarts is refused after the restart', async () => {
  const ran = await exercise([
    '--goal',
    '1',
    '--json',
    // The exercise may restart this platform: it runs the command after every other attack.
    '--restart-command',
    up.restartCommand(),
  ]);
  const report = JSON.parse(ran.stdout) as ExerciseReport;
  assert.equal(ran.code, 0, ran.stdout);
  assert.deepEqual(breached(report), []);
  const replay = report.results.find((r) => r.id === '1.replay-across-restart');
  assert.equal(replay?.verdict, 'BLOCKED', JSON.stringify(replay));
  assert.equal(replay.evidence.status, 401);
  assert.match(ran.stderr, /restarting the deployment/);
  assert.deepEqual(report.leftovers, []);
});
