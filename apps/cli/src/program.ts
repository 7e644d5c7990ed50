import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAudit } from './commands/audit.js';
import { registerClients } from './commands/clients.js';
import { registerCompletion } from './commands/completion.js';
import { registerExercise } from './commands/exercise.js';
import { registerGroup } from './commands/group.js';
import { registerIdentityProviders } from './commands/identity-providers.js';
import { registerRoles } from './commands/roles.js';
import { registerScopes } from './commands/scopes.js';
import { registerSecrets } from './commands/secrets.js';
import { registerServe } from './commands/serve.js';
import { registerSignin } from './commands/signin.js';
import { registerSigning } from './commands/signing.js';
import { registerTask } from './commands/task.js';
import { registerUp } from './commands/up.js';
import { registerProvenance } from './commands/provenance.js';
import { registerVerify } from './commands/verify.js';
import { registerWhoami } from './commands/whoami.js';
import { registerWorker } from './commands/worker.js';
import { UsageError } from './lib/credentials.js';
import { attachExamples, hasOwnAction, markHelpOnly } from './lib/examples.js';
import { EXIT } from './lib/run.js';

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

/**
 * The whole `bulwark` command tree. Global options (--profile, --no-color) are turned
 * into the environment variables the rest of the CLI reads, before any action runs.
 */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('bulwark')
    .description('Bulwark: a hardened, Taskcluster-compatible CI platform')
    .version(version, '-V, --version', 'print the version')
    .option('--profile <name>', 'the stored sign-in to use (also BULWARK_PROFILE)')
    .option('--no-color', 'never style output (also NO_COLOR)')
    // Usage mistakes exit 2, as docs/cli.md promises; commander would exit 1.
    .exitOverride()
    .showHelpAfterError()
    .hook('preAction', () => {
      const globals = program.opts<{ profile?: string; color: boolean }>();
      if (globals.profile !== undefined) process.env.BULWARK_PROFILE = globals.profile;
      if (!globals.color) process.env.NO_COLOR = '1';
    });
  registerUp(program);
  registerServe(program);
  registerSignin(program);
  registerWhoami(program);
  registerClients(program);
  registerRoles(program);
  registerIdentityProviders(program);
  registerScopes(program);
  registerAudit(program);
  registerSecrets(program);
  registerTask(program);
  registerGroup(program);
  registerWorker(program);
  registerVerify(program);
  registerProvenance(program);
  registerSigning(program);
  registerExercise(program);
  registerCompletion(program);
  attachExamples(program);
  helpForBareGroups(program);
  return program;
}

/**
 * `bulwark` or `bulwark clients` alone asks what there is: print the help and exit 0.
 * A word that names no subcommand is a usage error (exit 2).
 */
function helpForBareGroups(command: Command): void {
  for (const sub of command.commands) helpForBareGroups(sub);
  if (command.commands.length === 0 || hasOwnAction(command)) return;
  markHelpOnly(command);
  command.action((_options: unknown, self: Command) => {
    if (self.args.length > 0) {
      self.error(`unknown command '${self.args[0]}'`, {
        exitCode: EXIT.usage,
        code: 'commander.unknownCommand',
      });
    }
    self.outputHelp();
  });
}

/** Runs the program on argv; usage errors exit 2, help and version 0. */
export async function runProgram(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help'];
      process.exitCode = ok.includes(err.code) ? EXIT.ok : EXIT.usage;
      return;
    }
    process.stderr.write(`bulwark: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof UsageError ? EXIT.usage : EXIT.failure;
  }
}
