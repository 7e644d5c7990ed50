import type { Command } from 'commander';

type Example = readonly [what: string, line: string];

/**
 * Examples shown at the end of each command's help, as `gh` and `kubectl` show them,
 * keyed by the command's path. One table: a test holds every command to having some.
 */
export const EXAMPLES: Readonly<Record<string, readonly Example[]>> = {
  up: [
    ['everything on this machine, state in ./.bulwark', 'bulwark up'],
    ['another data directory and port', 'bulwark up --data-dir /srv/bulwark --port 9090'],
  ],
  serve: [
    [
      'the control plane alone, from a config file',
      'bulwark serve --config /etc/bulwark/server.json',
    ],
    ['only the queue service', 'bulwark serve --service queue --config server.json'],
  ],
  signin: [
    ['sign in through your organization, in a browser', 'bulwark signin --web'],
    ['without a browser at hand: enter a code elsewhere', 'bulwark signin --device'],
    ['keep temporary credentials of your client for a day', 'bulwark signin'],
    ['only some scopes, for a week', 'bulwark signin --scope "queue:*" --expires "7 days"'],
    ['a second deployment', 'bulwark --profile staging signin'],
  ],
  signout: [
    ['end the sign-in and forget the default profile', 'bulwark signout'],
    ['forget another one', 'bulwark --profile staging signout'],
  ],
  status: [
    ['which deployment and credentials am I using?', 'bulwark status'],
    ['for scripts', 'bulwark status --json'],
  ],
  whoami: [
    ['my client and its scopes', 'bulwark whoami'],
    ['for scripts', 'bulwark whoami --json | jq -r .scopes[]'],
  ],
  exercise: [
    [
      'attack this deployment as a try-level red team',
      'bulwark exercise --root-url http://127.0.0.1:8080',
    ],
    [
      'one goal, with reports for CI',
      'bulwark exercise --goal 7 --json-file exercise.json --html exercise.html',
    ],
    ['attack with an existing low-privilege client', 'bulwark exercise --as ci/try-bot'],
  ],
  completion: [
    ['bash, for this shell', 'source <(bulwark completion bash)'],
    ['zsh, for good', 'bulwark completion zsh > "${fpath[1]}/_bulwark"'],
    ['fish', 'bulwark completion fish > ~/.config/fish/completions/bulwark.fish'],
  ],
  'clients create': [
    ['a CI bot that may run tasks', 'bulwark clients create ci/bot --scope assume:project:web:ci'],
    [
      'a short-lived client',
      'bulwark clients create tmp/alice --expires "7 days" --delete-on-expiration',
    ],
  ],
  'clients list': [
    ['every client', 'bulwark clients list'],
    ['those under a prefix, as JSON', 'bulwark clients list --prefix ci/ --json'],
  ],
  'clients show': [['a client and its expanded scopes', 'bulwark clients show ci/bot']],
  'clients update': [
    ['change the description only', 'bulwark clients update ci/bot --description "web CI"'],
    [
      'add and remove scopes',
      'bulwark clients update ci/bot --add-scope secrets:get:web/* --remove-scope queue:*',
    ],
    ['extend the expiry', 'bulwark clients update ci/bot --expires "1 year"'],
  ],
  'clients reset': [['a new access token (printed once)', 'bulwark clients reset ci/bot --yes']],
  'clients disable': [
    ['stop a client and its temporary credentials', 'bulwark clients disable ci/bot'],
  ],
  'clients enable': [['enable it again', 'bulwark clients enable ci/bot']],
  'clients delete': [
    ['delete a client, without a question', 'bulwark clients delete ci/bot --yes'],
  ],
  'roles create': [
    [
      'a role that grants scopes',
      'bulwark roles create project:web:ci --scope queue:create-task:*:local/default',
    ],
  ],
  'roles update': [
    [
      'add a scope, keep the rest',
      'bulwark roles update project:web:ci --add-scope secrets:get:web/*',
    ],
    ['replace every scope', 'bulwark roles update project:web:ci --scope queue:*'],
  ],
  'roles list': [['every role', 'bulwark roles list']],
  'idp create': [
    [
      'a Keycloak realm, its groups claim, the secret from a file',
      'bulwark idp create corp --issuer https://sso.example.com/realms/corp --client-id bulwark ' +
        '--groups-claim groups --scope groups --secret-file secret.txt',
    ],
  ],
  'idp update': [
    ['sign-ins last at most 8 hours', 'bulwark idp update corp --max-session "8 hours"'],
    ['a new client secret, from stdin', 'bulwark idp update corp --secret-file - < secret.txt'],
  ],
  'idp list': [['the providers people can sign in with', 'bulwark idp list']],
  'idp show': [["a provider's settings", 'bulwark idp show corp']],
  'idp delete': [['remove a provider', 'bulwark idp delete corp --yes']],
  'logins revoke': [
    ['someone left: end their sign-ins now', 'bulwark logins revoke corp alice@example.com --yes'],
  ],
  'roles show': [['a role and what it expands to', 'bulwark roles show project:web:ci']],
  'roles delete': [
    ['delete a role, without a question', 'bulwark roles delete project:web:ci --yes'],
  ],
  'roles recipe': [
    [
      'scopes to run tasks in a pool',
      'bulwark roles recipe run-tasks --pool local/default --role project:web:ci',
    ],
    [
      "scopes to read a project's secrets",
      'bulwark roles recipe read-secrets --project web --role project:web:secrets',
    ],
    ['create the role at once', 'bulwark roles recipe admin --role admins --apply'],
  ],
  'scopes expand': [['what a role grants', 'bulwark scopes expand assume:project:web:ci']],
  'scopes check': [
    ['may I create tasks here?', 'bulwark scopes check queue:create-task:highest:local/default'],
  ],
  'audit list': [['who changed this client', 'bulwark audit list client ci/bot']],
  'audit verify': [["check the audit log's hash chain", 'bulwark audit verify']],
  verify: [
    [
      'check a download against its task’s signed provenance',
      'bulwark verify app.bin --task <taskId> --key keys.pem',
    ],
    [
      'offline, requiring a release builder',
      'bulwark verify app.bin --provenance provenance.intoto.json --key keys.pem --min-level 3',
    ],
  ],
  'provenance keys': [
    ['save the keys that verify provenance', 'bulwark provenance keys --out keys.pem'],
  ],
  'provenance rotate-key': [
    ['sign new provenance with a new key', 'bulwark provenance rotate-key'],
  ],
  'signing keys': [
    ['every key and its policy', 'bulwark signing keys'],
    ['one key, and its .pub for minisign', 'bulwark signing keys release --pub release.pub'],
  ],
  'signing create-key': [
    [
      'a release key: two agreeing replicas, one trusted, level 3',
      'bulwark signing create-key release --description "releases" --task-queue proj-release/* --min-level 3 --replicas 2 --trusted-task-queue proj-release/trusted',
    ],
  ],
  'signing disable-key': [
    [
      'retire a key; old signatures still verify',
      'bulwark signing disable-key release --reason "rotated"',
    ],
  ],
  sign: [
    [
      'sign a release artifact, then verify it',
      'bulwark sign --task <taskId> --artifact public/dist/app.bin --key release -o app.bin.minisig',
    ],
  ],
  'secrets set': [
    ['from stdin', 'echo \'{"token":"..."}\' | bulwark secrets set web/deploy'],
    [
      'from a file, for a month',
      'bulwark secrets set web/deploy --file deploy.json --expires "30 days"',
    ],
  ],
  'secrets get': [['a value', 'bulwark secrets get web/deploy']],
  'secrets list': [['every name', 'bulwark secrets list']],
  'secrets rm': [['remove a secret, without a question', 'bulwark secrets rm web/deploy --yes']],
  'task create': [
    ['from a YAML file', 'bulwark task create task.yml'],
    ['from stdin with a chosen id', 'bulwark task create --task-id "$(uuidgen)" < task.json'],
  ],
  'task run': [
    [
      'run a command, get its artifact',
      "bulwark task run --artifact out.txt -- sh -c 'echo hi > out.txt'",
    ],
    [
      'with the taskcluster proxy and a scope',
      'bulwark task run --proxy --scope secrets:get:web/* -- ./deploy.sh',
    ],
  ],
  'task log': [["a run's log, followed while it runs", 'bulwark task log <taskId>']],
  'task artifacts': [
    ["list the latest run's artifacts", 'bulwark task artifacts <taskId>'],
    ['save them all', 'bulwark task artifacts <taskId> --download ./out'],
  ],
  'task watch': [
    ['state changes as they happen', 'bulwark task watch <taskId>'],
    ['one JSON object per event', 'bulwark task watch <taskId> --json'],
  ],
  'task status': [["a task's state and runs", 'bulwark task status <taskId>']],
  'task show': [["a task's definition", 'bulwark task show <taskId> --json']],
  'task cancel': [['cancel, without a question', 'bulwark task cancel <taskId> --yes']],
  'task rerun': [['run a resolved task again', 'bulwark task rerun <taskId>']],
  'group list': [['the tasks of a group', 'bulwark group list <taskGroupId>']],
  worker: [
    ['a worker on another machine', 'bulwark worker --config /etc/bulwark/worker.json'],
    [
      'prove the sandbox controls here, then exit',
      'bulwark worker --config worker.json --self-test',
    ],
  ],
  'worker init': [
    [
      'a worker client and its config file, for a worker host',
      'bulwark worker init --root-url http://10.0.0.5:8080 --queue proj/linux --worker-id w1',
    ],
  ],
};

/** A command's path below the program: `task run`, `clients create`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Whether a command does something of its own (not only holding subcommands). */
export function hasOwnAction(command: Command): boolean {
  // commander keeps the handler private; reading it is the only way to ask.
  const handler = (command as unknown as { _actionHandler?: unknown })._actionHandler;
  return handler !== undefined && handler !== null;
}

/** Groups given an action that only prints their help: not commands of their own. */
const helpOnly = new WeakSet<Command>();
export function markHelpOnly(command: Command): void {
  helpOnly.add(command);
}

/** Every command that runs something (not the groups), depth first. */
export function leafCommands(program: Command): Command[] {
  return program.commands.flatMap((c) => [
    ...(hasOwnAction(c) && !helpOnly.has(c) ? [c] : []),
    ...leafCommands(c),
  ]);
}

/** Adds each command's examples to its help. Returns the paths that have none. */
export function attachExamples(program: Command): string[] {
  const missing: string[] = [];
  for (const command of leafCommands(program)) {
    const list = EXAMPLES[commandPath(command)];
    if (!list) {
      missing.push(commandPath(command));
      continue;
    }
    const text = list.map(([what, line]) => `  # ${what}\n  $ ${line}`).join('\n\n');
    command.addHelpText('after', `\nExamples:\n${text}\n`);
  }
  return missing;
}
