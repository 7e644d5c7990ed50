import type { Command } from 'commander';
import { UsageError } from '../lib/credentials.js';
import { loadConfigFile, resolveConfig, startPlatform, type Platform } from '@bulwark/server';

interface ServeOptions {
  config?: string;
  service?: string;
  dataDir?: string;
  port?: string;
  host?: string;
  rootUrl?: string;
  resetRootCredentials?: boolean;
}

/**
 * `bulwark serve`: the control plane, or some of its services, in this process.
 * Options carry no commander defaults on purpose: an option given on the command
 * line overrides BULWARK_* variables, which override the config file, which
 * overrides the defaults named in the help (docs/operations.md).
 */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'run the control plane (all services, or some of them) in this process; the embedded database unless BULWARK_DATABASE_URL is set',
    )
    .option('--config <file>', 'configuration file (JSON); BULWARK_* variables override it')
    .option(
      '--service <list>',
      'services to serve: all, or comma-separated auth,queue,secrets,signing (default all; env BULWARK_SERVICES)',
    )
    .option('--data-dir <dir>', 'data directory (database, keyring, root credentials, blobs)')
    .option('--port <port>', 'TCP port to listen on, 0 picks a free one (default 8080)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--root-url <url>', 'public root URL, when behind a proxy')
    .option(
      '--reset-root-credentials',
      'mint a new root token into <data-dir>/root-credentials.json (a process serving auth)',
    )
    .action(async (options: ServeOptions) => {
      // Output lost to a closed terminal or pipe must not crash an orderly stop.
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
      const file = options.config ? await loadConfigFile(options.config) : {};
      const config = resolveConfig(
        {
          dataDir: options.dataDir,
          port: options.port === undefined ? undefined : parsePort(options.port),
          host: options.host,
          rootUrl: options.rootUrl,
          services: options.service,
          resetRootCredentials: options.resetRootCredentials,
        },
        process.env,
        file,
      );
      const platform = await startPlatform(config);
      // The embedded database runs in a session of its own: a signal from the terminal
      // or a supervisor reaches us only, and we stop in order (HTTP, services, database).
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
      // Only now: whoever waits for this line (a supervisor, a test) may signal at once.
      process.stdout.write(banner(platform));
    });
}

function banner(platform: Platform): string {
  const lines = [
    `Bulwark is running at ${platform.rootUrl}`,
    `Services: ${platform.services.join(', ')}`,
  ];
  if (platform.rootCredentials !== 'elsewhere') {
    lines.push(`Root credentials: ${platform.rootCredentialsPath} (keep this file private)`);
  }
  const first = platform.services[0] ?? 'auth';
  lines.push(`Try: curl ${platform.rootUrl}/api/${first}/v1/ping`, '');
  return lines.join('\n');
}

function parsePort(value: string): number {
  const port = Number(value);
  // Number('') is 0, which would quietly pick a random port.
  if (value.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be an integer between 0 and 65535, not ${value}`);
  }
  return port;
}
