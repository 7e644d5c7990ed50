import { strict as assert } from 'node:assert';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';

const repository = resolve(fileURLToPath(import.meta.url), '../../../../..');

/** Lints `code` as if it were the file at `path`, against the layering rules alone. */
async function violations(path: string, code: string): Promise<string[]> {
  const layering = (await import(
    pathToFileURL(resolve(repository, 'eslint.layering.js')).href
  )) as {
    default: Linter.Config[];
  };
  const eslint = new ESLint({
    cwd: repository,
    overrideConfigFile: true,
    overrideConfig: [
      { languageOptions: { sourceType: 'module', ecmaVersion: 'latest' } },
      ...layering.default,
    ],
  });
  const [result] = await eslint.lintText(code, { filePath: resolve(repository, path) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? ''}: ${m.message}`);
}

test('the layering holds by lint: a service importing a service fails', async () => {
  const found = await violations(
    'services/queue/src/domain/example.ts',
    "import { authApi } from '@bulwark/auth-service';\nexport const x = authApi;\n",
  );
  assert.equal(found.length, 1);
  assert.match(found[0]!, /no-restricted-imports: .*a service never imports another service/);
  // The same import from the composition root is its job.
  assert.deepEqual(
    await violations('apps/server/src/example.ts', "import '@bulwark/auth-service';\n"),
    [],
  );
});

test("a service's tests may not start another service either: they use the platform from apps/server", async () => {
  for (const harness of [
    'services/queue/src/test/harness.ts',
    'services/secrets/src/test/harness.ts',
  ]) {
    const found = await violations(
      harness,
      "import { startAuthService } from '@bulwark/auth-service';\nexport { startAuthService };\n",
    );
    assert.match(found[0] ?? '', /a service never imports another service/, harness);
  }
  assert.match(
    (
      await violations('services/auth/src/test/harness.ts', "import '@bulwark/server/testing';\n")
    )[0] ?? '',
    /a service never imports another service or an app/,
  );
});

test('packages never import services or apps; the worker and the CLI never import the database', async () => {
  assert.match(
    (await violations('packages/api/src/example.ts', "import '@bulwark/queue-service';\n"))[0]!,
    /packages never import services or apps/,
  );
  assert.match(
    (await violations('packages/db/src/example.ts', "import '@bulwark/server/testing';\n"))[0]!,
    /packages never import services or apps/,
  );
  for (const app of ['apps/worker/src/example.ts', 'apps/cli/src/example.ts']) {
    assert.match(
      (
        await violations(app, "import { createPool } from '@bulwark/db';\nexport { createPool };\n")
      )[0]!,
      /only the composition root/,
    );
  }
});

test('the exercise is a client of the deployment: no database, no service, no server code', async () => {
  for (const module of [
    '@bulwark/db',
    '@bulwark/secrets-service',
    '@bulwark/server',
    '@bulwark/worker',
  ]) {
    const found = await violations('apps/exercise/src/example.ts', `import '${module}';\n`);
    assert.equal(found.length, 1, module);
    assert.match(found[0]!, /the exercise is a client of the deployment/);
  }
  assert.deepEqual(
    await violations('apps/exercise/src/example.ts', "import 'taskcluster-client';\n"),
    [],
  );
});

test('no file over 400 lines of code', async () => {
  const long = Array.from({ length: 401 }, (_, i) => `export const v${i} = ${i};`).join('\n');
  assert.match((await violations('apps/worker/src/example.ts', long))[0]!, /max-lines/);
  const commented = `${'// why\n'.repeat(300)}${Array.from({ length: 300 }, (_, i) => `export const v${i} = ${i};`).join('\n')}\n`;
  assert.deepEqual(await violations('apps/worker/src/example.ts', commented), []);
});
