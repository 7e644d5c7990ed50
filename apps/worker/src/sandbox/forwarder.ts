// Runs inside the sandbox, as the task's first process when the task has a proxy:
// listens on the sandbox's own loopback and forwards each connection to the worker's
// per-task proxy over the unix socket bound in, so TASKCLUSTER_PROXY_URL is an ordinary
// http URL. Then it runs the task's command and exits with its status. It holds no
// credential: the proxy outside signs.
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { constants } from 'node:os';

const [socketPath, separator, ...command] = process.argv.slice(2);
if (!socketPath || separator !== '--' || command.length === 0) {
  process.stderr.write('usage: forwarder.js SOCKET -- COMMAND...\n');
  process.exit(125);
}

const server = createServer((client) => {
  const upstream = connect(socketPath);
  client.pipe(upstream).pipe(client);
  const close = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const child = spawn(command[0] as string, command.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, TASKCLUSTER_PROXY_URL: `http://127.0.0.1:${port}` },
  });
  child.on('error', (err) => {
    process.stderr.write(`cannot run ${command[0] as string}: ${err.message}\n`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    process.exit(code ?? 128 + (signal ? (constants.signals[signal] ?? 9) : 1));
  });
});
