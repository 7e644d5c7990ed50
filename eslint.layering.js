// The house's layering, as lint rules (docs/architecture.md, "The layout"): dependencies
// point one way, apps -> services -> packages. Kept apart from eslint.config.js so a
// test can hold a deliberate violation against exactly these rules.

const SERVICES = [
  '@bulwark/auth-service',
  '@bulwark/queue-service',
  '@bulwark/secrets-service',
  '@bulwark/signing-service',
];
const APPS = [
  '@bulwark/server',
  '@bulwark/server/*',
  '@bulwark/worker',
  '@bulwark/cli',
  '@bulwark/ui',
];

/** One rule set per layer: which imports it may not make, and why. */
function forbid(files, groups, message) {
  return {
    files,
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: groups, message }] }] },
  };
}

export default [
  forbid(['packages/**/*.ts'], [...SERVICES, ...APPS], 'packages never import services or apps'),
  // No exemptions, tests included: a test that needs more than its own service runs
  // the whole platform from apps/server (apps/server/src/test/<service>/).
  ...SERVICES.map((service) => {
    const name = service.replace('@bulwark/', '').replace('-service', '');
    return forbid(
      [`services/${name}/**/*.ts`],
      [...SERVICES.filter((s) => s !== service), ...APPS],
      'a service never imports another service or an app: services talk over HTTP',
    );
  }),
  forbid(
    ['apps/worker/**/*.ts', 'apps/cli/**/*.ts', 'apps/ui/**/*.ts', 'apps/ui/**/*.tsx'],
    ['@bulwark/db', '@bulwark/db/*'],
    'only the composition root (apps/server) talks to the database',
  ),
  forbid(
    ['apps/exercise/**/*.ts'],
    ['@bulwark/db', '@bulwark/db/*', ...SERVICES, ...APPS],
    'the exercise is a client of the deployment: it speaks HTTP only',
  ),
  {
    files: ['packages/**/*.ts', 'services/**/*.ts', 'apps/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
    },
  },
];
