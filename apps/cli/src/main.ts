import { Command } from 'commander';
import { registerServe } from './commands/serve.js';

const program = new Command();
program.name('bulwark').description('Bulwark: a hardened, Taskcluster-compatible CI platform');
registerServe(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`bulwark: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
