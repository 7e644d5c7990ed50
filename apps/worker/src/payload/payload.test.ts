// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { planTask, type PoolLimits } from './payload.js';

const POOL: PoolLimits = {
  maxRunTime: 3600,
  max: { memoryMB: 4096, pids: 1024, cpus: 2 },
  defaults: { memoryMB: 1024, pids: 256, cpus: 1 },
  networkAllow: ['registry.npmjs.org:443', '10.0.0.5:5432'],
};
const TASK = {
  taskQueueId: 'proj/builders',
  scopes: ['worker:network:proj/builders/registry.npmjs.org:443'],
};

function problems(payload: unknown, task = TASK): string[] {
  const result = planTask(payload, task, POOL);
  assert.equal(result.ok, false, 'expected the payload to be refused');
  return result.ok ? [] : result.problems;
}

test('a minimal payload gets the pool defaults', () => {
  const result = planTask({ command: ['true'] }, TASK, POOL);
  assert.ok(result.ok);
  assert.deepEqual(result.plan.commands, [['true']]);
  assert.equal(result.plan.maxRunTime, 3600);
  assert.deepEqual(result.plan.resources, POOL.defaults);
  assert.equal(result.plan.taskclusterProxy, false);
  assert.deepEqual(result.plan.networkAllow, []);
});

test('a full payload is planned as written', () => {
  const result = planTask(
    {
      command: [
        ['sh', '-c', 'echo one'],
        ['sh', '-c', 'echo two'],
      ],
      env: { CI: '1' },
      maxRunTime: 600,
      artifacts: [{ type: 'file', path: 'out/result.txt', name: 'public/result.txt' }],
      features: { taskclusterProxy: true },
      network: { allow: ['registry.npmjs.org:443'] },
      resources: { memoryMB: 2048, cpus: 0.5 },
      onExitStatus: { retry: [75] },
    },
    TASK,
    POOL,
  );
  assert.ok(result.ok, JSON.stringify(result));
  assert.equal(result.plan.commands.length, 2);
  assert.deepEqual(result.plan.networkAllow, [{ host: 'registry.npmjs.org', port: 443 }]);
  assert.deepEqual(result.plan.resources, { memoryMB: 2048, pids: 256, cpus: 0.5 });
  assert.deepEqual(result.plan.retryExitCodes, [75]);
});

test('schema violations are listed in words', () => {
  assert.match(problems({})[0] ?? '', /must have required property 'command'/);
  assert.match(problems({ command: [] }).join('\n'), /command/);
  assert.match(problems({ command: ['true'], extra: 1 }).join('\n'), /additional properties/);
  assert.match(
    problems({ command: ['true'], env: { 'BAD NAME': 'x' } }).join('\n'),
    /property name/,
  );
  assert.match(problems({ command: ['true'], maxRunTime: 0 }).join('\n'), /maxRunTime/);
});

test('pool limits hold: run time, memory, pids, cpus', () => {
  const found = problems({
    command: ['true'],
    maxRunTime: 7200,
    resources: { memoryMB: 8192, pids: 4096, cpus: 4 },
  });
  assert.equal(found.length, 4, found.join('\n'));
});

test('S7: a destination needs both the pool’s permission and the task’s scope', () => {
  assert.match(
    problems({ command: ['true'], network: { allow: ['10.0.0.5:5432'] } })[0] ?? '',
    /lacks the scope worker:network:proj\/builders\/10.0.0.5:5432/,
  );
  assert.match(
    problems({ command: ['true'], network: { allow: ['169.254.169.254:80'] } })[0] ?? '',
    /pool does not permit/,
  );
  const star = { taskQueueId: 'proj/builders', scopes: ['worker:network:proj/builders/*'] };
  assert.ok(planTask({ command: ['true'], network: { allow: ['10.0.0.5:5432'] } }, star, POOL).ok);
  const otherQueue = { taskQueueId: 'proj/other', scopes: TASK.scopes };
  assert.equal(
    planTask(
      { command: ['true'], network: { allow: ['registry.npmjs.org:443'] } },
      otherQueue,
      POOL,
    ).ok,
    false,
  );
});

test('S7: network.allow entries are read strictly before the pool is consulted', () => {
  const star = { taskQueueId: 'proj/builders', scopes: ['worker:network:proj/builders/*'] };
  for (const [entry, why] of [
    ['010.0.0.5:5432', /not a canonical IPv4 address/],
    ['10.0.0.5:05432', /port 05432/],
    ['0xa.0.0.5:5432', /not a canonical IPv4 address/],
    ['[::1]:5432', /IPv6/],
  ] as const) {
    const found = problems({ command: ['true'], network: { allow: [entry] } }, star);
    assert.match(found[0] ?? '', why, entry);
  }
  const upper = planTask(
    { command: ['true'], network: { allow: ['REGISTRY.npmjs.org:443'] } },
    TASK,
    POOL,
  );
  assert.ok(upper.ok);
  assert.deepEqual(upper.plan.networkAllow, [{ host: 'registry.npmjs.org', port: 443 }]);
});

test('S12: artifact paths stay inside the task directory; reserved env names are refused', () => {
  for (const path of ['/etc/passwd', '../secret', 'a/../../b', 'a\u0000b']) {
    assert.match(
      problems({ command: ['true'], artifacts: [{ type: 'file', path, name: 'public/x' }] }).join(
        '\n',
      ),
      /artifact public\/x/,
      path,
    );
  }
  assert.match(
    problems({ command: ['true'], env: { TASKCLUSTER_ACCESS_TOKEN: 'x' } })[0] ?? '',
    /set by the worker/,
  );
});

test('S19: a disk limit defaults to the pool’s and may not exceed its maximum', () => {
  const pool: PoolLimits = {
    ...POOL,
    max: { ...POOL.max, diskMB: 4096 },
    defaults: { ...POOL.defaults, diskMB: 1024 },
  };
  const planned = planTask({ command: ['true'] }, TASK, pool);
  assert.ok(planned.ok);
  assert.equal(planned.plan.resources.diskMB, 1024);
  const asked = planTask({ command: ['true'], resources: { diskMB: 64 } }, TASK, pool);
  assert.ok(asked.ok);
  assert.equal(asked.plan.resources.diskMB, 64);
  const tooMuch = planTask({ command: ['true'], resources: { diskMB: 8192 } }, TASK, pool);
  assert.deepEqual(tooMuch.ok ? [] : tooMuch.problems, [
    "resources.diskMB 8192 exceeds this pool's limit of 4096",
  ]);
  const tooSmall = planTask({ command: ['true'], resources: { diskMB: 1 } }, TASK, pool);
  assert.match(tooSmall.ok ? '' : tooSmall.problems.join('\n'), /diskMB must be >= 16/);
});

test('S18: artifact names under public/logs/ are the worker’s log and refused in payloads', () => {
  const refused = [
    { type: 'file', path: 'forged.log', name: 'public/logs/live_backing.log' },
    { type: 'file', path: 'forged.log', name: 'public/logs/live.log' },
    { type: 'file', path: 'forged.log', name: 'Public/Logs/live.log' },
    { type: 'directory', path: 'logs', name: 'public/logs' },
    { type: 'directory', path: 'logs', name: 'PUBLIC/LOGS/sub' },
  ];
  for (const artifact of refused) {
    const found = problems({ command: ['true'], artifacts: [artifact] });
    assert.match(
      found.join('\n'),
      /is under public\/logs\/, which holds the worker's own log; choose another name/,
      JSON.stringify(artifact),
    );
  }
  // Names beside the prefix are the task's.
  for (const artifact of [
    { type: 'file', path: 'a', name: 'public/logs' },
    { type: 'file', path: 'a', name: 'public/logsx/a' },
    { type: 'directory', path: 'a', name: 'public' },
    { type: 'directory', path: 'a', name: 'public/log' },
  ]) {
    assert.ok(planTask({ command: ['true'], artifacts: [artifact] }, TASK, POOL).ok);
  }
});
