import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { CliHarness } from './harness.js';

let harness: CliHarness;

before(async () => {
  harness = await CliHarness.start();
});
after(async () => {
  await harness.stop();
});

/**
 * Waits for a command to print a line, instead of for a guessed time: `check` is fed
 * the output as it arrives; `seen` resolves with the match, or fails if the command
 * ends without printing it.
 */
function printed(pattern: RegExp): {
  check(output: string): void;
  seen(command: Promise<{ code: number | null; stderr: string }>): Promise<RegExpMatchArray>;
} {
  let found: (match: RegExpMatchArray) => void;
  const match = new Promise<RegExpMatchArray>((resolve) => (found = resolve));
  return {
    check(output) {
      const result = pattern.exec(output);
      if (result) found(result);
    },
    seen: (command) =>
      Promise.race([
        match,
        command.then(async (ended) => {
          // Output and exit can arrive in either order: the match, if any, wins.
          await new Promise((resolve) => setImmediate(resolve));
          return Promise.race([
            match,
            Promise.reject(
              new Error(`exited ${ended.code} without printing ${pattern}:\n${ended.stderr}`),
            ),
          ]);
        }),
      ]),
  };
}

const TASK_YAML = `
taskQueueId: proj-cli/builders
deadline: 2 hours
expires: 3 days
priority: low
payload:
  command: [sh, -c, 'echo hello']
metadata:
  name: cli test task
`;

test('task create from YAML with durations, then status, show, cancel, rerun', async () => {
  const file = join(harness.configHome, 'task.yml');
  await writeFile(file, TASK_YAML);
  const created = await harness.run(['task', 'create', file]);
  assert.equal(created.code, 0, created.stderr);
  const taskId = created.stdout.trim();
  assert.match(taskId, /^[A-Za-z0-9_-]{22}$/);

  const definition = JSON.parse((await harness.run(['task', 'show', taskId, '--json'])).stdout);
  assert.equal(definition.taskQueueId, 'proj-cli/builders');
  assert.equal(definition.taskGroupId, taskId);
  assert.equal(definition.metadata.name, 'cli test task');
  const deadlineIn = Date.parse(definition.deadline) - Date.parse(definition.created);
  assert.ok(Math.abs(deadlineIn - 2 * 3600_000) < 60_000, 'deadline is 2 hours after created');

  const status = await harness.run(['task', 'status', taskId]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /state\s+pending/);
  assert.match(status.stdout, /RUN\s+STATE/);

  const canceled = JSON.parse(
    (await harness.run(['task', 'cancel', taskId, '--yes', '--json'])).stdout,
  );
  assert.equal(canceled.state, 'exception');
  assert.equal(canceled.runs[0].reasonResolved, 'canceled');
  const rerun = await harness.run(['task', 'rerun', taskId]);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stdout, /state\s+pending/);
});

test('task create reads JSON from stdin and keeps an explicit taskId', async () => {
  const body = JSON.stringify({ taskQueueId: 'proj-cli/builders', payload: {} });
  const created = await harness.run(['task', 'create', '--task-id', 'GHiWyIPeTeSzfmZf-lHiiA'], {
    stdin: body,
  });
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout.trim(), 'GHiWyIPeTeSzfmZf-lHiiA');
  // The same definition again is idempotent only if identical; times differ, so 409.
  const again = await harness.run(['task', 'create', '--task-id', 'GHiWyIPeTeSzfmZf-lHiiA'], {
    stdin: body,
  });
  assert.equal(again.code, 6);
  assert.match(again.stderr, /^bulwark: RequestConflict \(409\)/);
});

test('task commands fail in one line with their exit codes', async () => {
  const limited = JSON.parse(
    (await harness.run(['clients', 'create', 'task-limited', '--json'])).stdout,
  ) as { accessToken: string };
  const denied = await harness.run(['task', 'create'], {
    stdin: 'payload: {}\n',
    credentials: { clientId: 'task-limited', accessToken: limited.accessToken },
  });
  assert.equal(denied.code, 4);
  assert.match(denied.stderr, /^bulwark: InsufficientScopes \(403\)/);

  const missing = await harness.run(['task', 'status', 'SWXk3qweSbmUl9VdbVgcjg']);
  assert.equal(missing.code, 5);
  const badId = await harness.run(['task', 'status', 'not a task id']);
  assert.equal(badId.code, 7);
  const badYaml = await harness.run(['task', 'create'], { stdin: 'payload: [unclosed' });
  assert.equal(badYaml.code, 2);
  assert.match(badYaml.stderr, /not valid YAML or JSON/);
  const badDuration = await harness.run(['task', 'create'], { stdin: 'deadline: whenever\n' });
  assert.equal(badDuration.code, 2);
  assert.match(badDuration.stderr, /deadline in stdin must be a duration/);
  const invalid = await harness.run(['task', 'create'], { stdin: 'priority: urgent-ish\n' });
  assert.equal(invalid.code, 7);
  assert.match(invalid.stderr, /InputValidationError \(400\)/);
});

test('task run, log and artifacts: usage errors, missing scopes, unknown tasks', async () => {
  const noCommand = await harness.run(['task', 'run']);
  assert.equal(noCommand.code, 2, 'a usage error');
  assert.match(noCommand.stderr, /missing required argument/);
  const badEnv = await harness.run(['task', 'run', '--env', 'NOEQUALS', '--', 'true']);
  assert.equal(badEnv.code, 2);
  assert.match(badEnv.stderr, /--env takes NAME=VALUE/);
  const badDeadline = await harness.run(['task', 'run', '--deadline', 'soonish', '--', 'true']);
  assert.equal(badDeadline.code, 2);

  const limited = JSON.parse(
    (await harness.run(['clients', 'create', 'run-limited', '--json'])).stdout,
  ) as { accessToken: string };
  const denied = await harness.run(['task', 'run', '--', 'true'], {
    credentials: { clientId: 'run-limited', accessToken: limited.accessToken },
  });
  assert.equal(denied.code, 4);
  assert.match(denied.stderr, /^bulwark: InsufficientScopes \(403\)/);
  // A scope the caller lacks cannot be handed to the task (S4).
  const escalate = await harness.run(['task', 'run', '--scope', 'secrets:get:*', '--', 'true'], {
    credentials: { clientId: 'run-limited', accessToken: limited.accessToken },
  });
  assert.equal(escalate.code, 4);

  const unknown = await harness.run(['task', 'artifacts', 'SWXk3qweSbmUl9VdbVgcjg']);
  assert.equal(unknown.code, 5);
  const pending = await harness.run(['task', 'create'], { stdin: 'payload: {}\n' });
  const noRuns = await harness.run(['task', 'artifacts', pending.stdout.trim(), '--run', 'x']);
  assert.equal(noRuns.code, 2);
  assert.match(noRuns.stderr, /--run takes a run number/);
  const listed = await harness.run(['task', 'artifacts', pending.stdout.trim(), '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout), []);
});

test('task run says when no worker takes the task, and exits 8 when it is canceled', async () => {
  const created = printed(/task (\S+) created on proj-cli\/nobody/);
  const waiting = printed(/waiting for a worker to take run 0/);
  const running = harness.run(['task', 'run', '--queue', 'proj-cli/nobody', '--', 'true'], {
    onOutput: (stdout, stderr) => {
      created.check(stderr);
      waiting.check(stderr);
    },
  });
  const [, taskId] = await created.seen(running);
  // The notice comes after 3 s without a worker; cancel once it is there.
  await waiting.seen(running);
  const queue = new taskcluster.Queue({
    rootUrl: harness.platform.rootUrl,
    credentials: harness.root,
  });
  await queue.cancelTask!(taskId!);
  const ran = await running;
  assert.equal(ran.code, 8, ran.stderr);
  assert.match(ran.stderr, /exception \(canceled\)/);
});

test('task watch prints state changes live and ends with the task’s resolution', async () => {
  const created = await harness.run(['task', 'create'], { stdin: 'payload: {}\n' });
  const taskId = created.stdout.trim();
  const pending = printed(/pending run 0$/m);
  const watching = harness.run(['task', 'watch', taskId], {
    onOutput: (stdout) => pending.check(stdout),
  });
  // Cancel once the watch has shown the pending run, so it sees the change live.
  await pending.seen(watching);
  const canceled = await harness.run(['task', 'cancel', taskId, '--yes']);
  assert.equal(canceled.code, 0, canceled.stderr);
  const watched = await watching;
  assert.equal(watched.code, 8, watched.stderr);
  const lines = watched.stdout.trim().split('\n');
  assert.match(lines[0] ?? '', /defined$/);
  assert.match(lines[1] ?? '', /pending run 0$/);
  assert.match(lines.at(-1) ?? '', /exception run 0 \(canceled\)$/);

  const limited = JSON.parse(
    (await harness.run(['clients', 'create', 'watch-limited', '--json'])).stdout,
  ) as { accessToken: string };
  const denied = await harness.run(['task', 'watch', taskId], {
    credentials: { clientId: 'watch-limited', accessToken: limited.accessToken },
  });
  assert.equal(denied.code, 4);
  assert.match(denied.stderr, /InsufficientScopes \(403\)/);
  const unknown = await harness.run(['task', 'watch', 'SWXk3qweSbmUl9VdbVgcjg']);
  assert.equal(unknown.code, 5);
});

test('S1: no access token appears in any task command output', () => {
  const all = harness.transcript.join('\n');
  assert.ok(!all.includes(harness.root.accessToken));
});
