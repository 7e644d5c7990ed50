import { runProgram } from './program.js';

// Output piped into `head` and the like: a closed pipe ends the command quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

await runProgram(process.argv);
