import type { Command } from 'commander';
import { resolveConfig, startPlatform } from '@bulwark/server';

interface ServeOptions {
  dataDir?: string;
  port?: string;
  host?: string;
  rootUrl?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'run the control plane (auth) on this machine, with the embedded database by default',
    )
    .option('--data-dir <dir>', 'data directory (database, keyring, root credentials)', '.bulwark')
    .option('--port <port>', 'TCP port to listen on (0 picks a free one)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--root-url <url>', 'public root URL, when behind a proxy')
    .action(async (options: ServeOptions) => {
      const config = resolveConfig({
        dataDir: options.dataDir,
        port: options.port === undefined ? undefined : parsePort(options.port),
        host: options.host,
        rootUrl: options.rootUrl,
      });
      const platform = await startPlatform(config);
      process.stdout.write(
        [
          `Bulwark is running at ${platform.rootUrl}`,
          `Root credentials: ${platform.rootCredentialsPath} (keep this file private)`,
          `Try: curl ${platform.rootUrl}/api/auth/v1/ping`,
          '',
        ].join('\n'),
      );
      let stopping = false;
      const shutdown = (): void => {
        if (stopping) return;
        stopping = true;
        platform
          .stop()
          .then(() => process.exit(0))
          .catch(() => process.exit(1));
      };
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be an integer between 0 and 65535, not ${value}`);
  }
  return port;
}
