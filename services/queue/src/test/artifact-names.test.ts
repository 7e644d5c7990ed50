// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { artifactNameProblem, parseArtifactObjectName } from '../domain/artifact-names.js';
import { ARTIFACT_NAME_PATTERN } from '../schemas/artifacts.js';

// Names built from the characters that matter to the rules, so traversal shapes are common.
const tricky = fc
  .array(fc.constantFrom('a', 'b', '.', '/', '..', '\n', '\u0000', 'é', ' ', '\\'), {
    maxLength: 12,
  })
  .map((parts) => parts.join(''));

test('S12: the route pattern accepts exactly the names the rules accept', () => {
  fc.assert(
    fc.property(fc.oneof(tricky, fc.string({ maxLength: 40 })), (name) => {
      assert.equal(
        ARTIFACT_NAME_PATTERN.test(name),
        artifactNameProblem(name) === undefined,
        JSON.stringify(name),
      );
    }),
    { numRuns: 5000 },
  );
  assert.equal(ARTIFACT_NAME_PATTERN.test('x'.repeat(1024)), true);
  assert.equal(ARTIFACT_NAME_PATTERN.test('x'.repeat(1025)), false);
});

test('S12: accepted names never contain a traversal segment', () => {
  fc.assert(
    fc.property(tricky, (name) => {
      if (artifactNameProblem(name) !== undefined) return;
      const segments = name.split('/');
      assert.ok(!name.startsWith('/'));
      assert.ok(segments.every((s) => s !== '' && s !== '.' && s !== '..'));
    }),
    { numRuns: 5000 },
  );
});

test('object names map back to exactly one artifact, or to none', () => {
  const taskId = 'fN1SbArXTPSVFNUvaOlinQ';
  assert.deepEqual(parseArtifactObjectName(`t/${taskId}/3/public/a.txt`), {
    taskId,
    runId: 3,
    name: 'public/a.txt',
  });
  for (const bad of [
    `t/${taskId}/3/../x`,
    `t/${taskId}/03/a`,
    `t/${taskId}/3/`,
    `t/short/3/a`,
    `x/${taskId}/3/a`,
    `t/${taskId}/3//a`,
  ]) {
    assert.equal(parseArtifactObjectName(bad), undefined, bad);
  }
});
