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
import { registerWhoami } from './commands/whoami.js';

const program = new Command();
program
  .name('bulwark')
  .description('Bulwark: a hardened, Taskcluster-compatible CI platform')
  .showHelpAfterError();
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

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`bulwark: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
