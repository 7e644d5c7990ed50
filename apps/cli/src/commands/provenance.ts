import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import taskcluster from 'taskcluster-client';
import { publicKeyFromPem, type PublicSigningKey } from '@bulwark/attest';
import { loadConfig } from '../lib/credentials.js';
import { printJson } from '../lib/output.js';
import { action, apiFailure } from '../lib/run.js';

interface PublishedKey {
  keyId: string;
  publicKey: string;
  created: string;
  current: boolean;
  retired?: string;
}

async function publishedKeys(rootUrl: string): Promise<PublishedKey[]> {
  const response = await fetch(`${rootUrl}/api/queue/v1/provenance/keys`);
  if (!response.ok) {
    throw apiFailure(response.status, undefined, `the provenance keys answered ${response.status}`);
  }
  return ((await response.json()) as { keys: PublishedKey[] }).keys;
}

/** The deployment's provenance keys, as verifiers use them. */
export async function fetchPublishedKeys(rootUrl: string): Promise<PublicSigningKey[]> {
  return (await publishedKeys(rootUrl)).map((k) => publicKeyFromPem(k.publicKey));
}

export function registerProvenance(program: Command): void {
  const provenance = program
    .command('provenance')
    .description('the keys with which the control plane signs task provenance');

  provenance
    .command('keys')
    .description('print the public keys (current and retired) that verify provenance')
    .option('--out <file>', 'also write them to a file, for `bulwark verify --key`')
    .option('--json', 'print JSON')
    .action(
      action(async (options: { out?: string; json?: boolean }) => {
        const { rootUrl } = await loadConfig();
        const keys = await publishedKeys(rootUrl);
        const text = options.json
          ? JSON.stringify({ keys }, null, 2) + '\n'
          : keys
              .map(
                (k) =>
                  `# ${k.keyId} ${k.current ? 'current' : `retired ${k.retired ?? ''}`}\n${k.publicKey.trim()}\n`,
              )
              .join('');
        if (options.out !== undefined) await writeFile(options.out, text, { mode: 0o644 });
        if (options.json) printJson({ keys });
        else process.stdout.write(text);
      }),
    );

  provenance
    .command('rotate-key')
    .description('make a new signing key; the current one is retired and still verifies')
    .option('--json', 'print JSON')
    .action(
      action(async (options: { json?: boolean }) => {
        // A Bulwark endpoint: build a client from the served reference.
        const config = await loadConfig();
        const reference: unknown = await (
          await fetch(`${config.rootUrl}/api/queue/v1/reference`)
        ).json();
        const Queue = taskcluster.createClient(reference);
        const queue = new Queue({
          rootUrl: config.rootUrl,
          ...(config.credentials ? { credentials: config.credentials } : {}),
          retries: 2,
        });
        const rotated = await queue.rotateProvenanceKey!();
        if (options.json) return printJson(rotated);
        process.stdout.write(`new provenance key ${String(rotated.keyId)}\n`);
      }),
    );
}
