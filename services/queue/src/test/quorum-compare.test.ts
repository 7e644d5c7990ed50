// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { artifactPattern } from '../domain/artifact-patterns.js';
import { compareReplicas } from '../domain/quorum-compare.js';

const D = (c: string): string => c.repeat(64);
const stored = (name: string, digest: string, runId = 0) => ({
  runId,
  name,
  storageType: 'object',
  blobSha256: digest,
  details: {},
});

test('S17: identical stored artifacts agree; one byte of difference fails the quorum', () => {
  const same = compareReplicas(
    [
      { replica: 0, artifacts: [stored('public/a', D('a'))] },
      { replica: 1, artifacts: [stored('public/a', D('a'))] },
    ],
    [],
  );
  assert.equal(same.agreed, true);
  const differ = compareReplicas(
    [
      { replica: 0, artifacts: [stored('public/a', D('a'))] },
      { replica: 1, artifacts: [stored('public/a', D('b'))] },
    ],
    [],
  );
  assert.equal(differ.agreed, false);
  assert.deepEqual(differ.artifacts[0]?.digests, [
    { replica: 0, sha256: D('a') },
    { replica: 1, sha256: D('b') },
  ]);
});

test('S17: an artifact missing on one side is a difference, whichever side', () => {
  for (const [first, second] of [
    [[stored('public/a', D('a'))], []],
    [[], [stored('public/a', D('a'))]],
  ]) {
    const result = compareReplicas(
      [
        { replica: 0, artifacts: first! },
        { replica: 1, artifacts: second! },
      ],
      [],
    );
    assert.equal(result.agreed, false);
    assert.equal(result.artifacts[0]?.name, 'public/a');
  }
});

test('logs, the queue’s own artifacts and declared nondeterministic ones are not compared', () => {
  const result = compareReplicas(
    [
      {
        replica: 0,
        artifacts: [
          stored('public/logs/live.log', D('1')),
          stored('Public/Logs/x', D('1')),
          stored('public/bulwark/quorum-report.json', D('1')),
          stored('public/build/stamp.txt', D('1')),
          stored('public/deep/a/b/c.json', D('1')),
          stored('public/app', D('a')),
        ],
      },
      {
        replica: 1,
        artifacts: [
          stored('public/logs/live.log', D('2')),
          stored('public/build/stamp.txt', D('2')),
          stored('public/deep/a/b/c.json', D('2')),
          stored('public/app', D('a')),
        ],
      },
    ],
    ['public/build/*.txt', 'public/deep/**'],
  );
  assert.equal(result.agreed, true);
  assert.deepEqual(result.ignored, [
    'Public/Logs/x',
    'public/build/stamp.txt',
    'public/bulwark/quorum-report.json',
    'public/deep/a/b/c.json',
    'public/logs/live.log',
  ]);
  assert.deepEqual(
    result.artifacts.map((a) => a.name),
    ['public/app'],
  );
});

test('a pattern’s * stays within a segment, ** crosses them, and nothing else is special', () => {
  assert.equal(artifactPattern('public/*.txt').test('public/a.txt'), true);
  assert.equal(artifactPattern('public/*.txt').test('public/x/a.txt'), false);
  assert.equal(artifactPattern('public/**').test('public/x/a.txt'), true);
  assert.equal(artifactPattern('public/a.b').test('public/aXb'), false);
  assert.equal(artifactPattern('public/(a)+').test('public/(a)+'), true);
});

test('reference, link and error artifacts agree only when they point at the same thing', () => {
  const ref = (url: string) => ({
    runId: 0,
    name: 'public/r',
    storageType: 'reference',
    blobSha256: null,
    details: { url },
  });
  const compare = (a: string, b: string): boolean =>
    compareReplicas(
      [
        { replica: 0, artifacts: [ref(a)] },
        { replica: 1, artifacts: [ref(b)] },
      ],
      [],
    ).agreed;
  assert.equal(compare('https://a/', 'https://a/'), true);
  assert.equal(compare('https://a/', 'https://b/'), false);
  // A stored artifact is never equal to one without content.
  const mixed = compareReplicas(
    [
      { replica: 0, artifacts: [ref('https://a/')] },
      { replica: 1, artifacts: [stored('public/r', D('a'))] },
    ],
    [],
  );
  assert.equal(mixed.agreed, false);
});

test('no artifact at all agrees vacuously', () => {
  assert.equal(
    compareReplicas(
      [
        { replica: 0, artifacts: [] },
        { replica: 1, artifacts: [] },
      ],
      [],
    ).agreed,
    true,
  );
});
