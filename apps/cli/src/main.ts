import { Command } from 'commander';
import { registerAudit } from './commands/audit.js';
import { registerClients } from './commands/clients.js';
import { registerGroup } from './commands/group.js';
import { registerRoles } from './commands/roles.js';
import { registerScopes } from './commands/scopes.js';
import { registerSecrets } from './commands/secrets.js';
import { registerServe } from './commands/serve.js';
import { registerSignin } from './commands/signin.js';
import { registerTask } from './commands/task.js';
import { registerUp } from './commands/up.js';
import { registerWhoami } from './commands/whoami.js';
import { registerWorker } from './commands/worker.js';

// Output piped into `head` and the like: a closed pipe ends the command quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command();
program
  .name('bulwark')
  .description('Bulwark: a hardened, Taskcluster-compatible CI platform')
  .showHelpAfterError();
registerUp(program);
registerServe(program);
registerSignin(program);
registerWhoami(program);
registerClients(program);
registerRoles(program);
registerScopes(program);
registerAudit(program);
registerSecrets(program);
registerTask(program);
registerGroup(program);
registerWorker(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`bulwark: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
