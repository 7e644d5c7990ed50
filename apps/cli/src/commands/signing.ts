import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import taskcluster, { type ServiceClient } from 'taskcluster-client';
import { loadConfig, UsageError } from '../lib/credentials.js';
import { noCredentialsHint } from '../lib/clients.js';
import { printFields, printJson, printTable } from '../lib/output.js';
import { action } from '../lib/run.js';

interface SigningKey {
  keyId: string;
  description: string;
  minisignKeyId: string;
  publicKey: string;
  publicKeyFile: string;
  policy: { minLevel: number; replicas: number; trustedTaskQueueId?: string; taskQueues: string[] };
  created: string;
  disabled?: string;
}

/** The signing service's client, built from its served reference (a Bulwark service). */
async function signingClient(requireCredentials: boolean): Promise<ServiceClient> {
  const config = await loadConfig();
  if (requireCredentials && !config.credentials) throw new UsageError(noCredentialsHint(config));
  const reference: unknown = await (
    await fetch(`${config.rootUrl}/api/signing/v1/reference`)
  ).json();
  const Signing = taskcluster.createClient(reference);
  return new Signing({
    rootUrl: config.rootUrl,
    ...(config.credentials && requireCredentials ? { credentials: config.credentials } : {}),
    retries: 2,
  });
}

const policyWords = (key: SigningKey): string =>
  [
    `level >= ${key.policy.minLevel}`,
    `${key.policy.replicas} replica(s)`,
    ...(key.policy.trustedTaskQueueId ? [`trusted ${key.policy.trustedTaskQueueId}`] : []),
    `queues ${key.policy.taskQueues.join(', ')}`,
  ].join('; ');

function printKey(key: SigningKey): void {
  printFields(
    {
      ...key,
      status: key.disabled ? `disabled ${key.disabled} (signs nothing)` : 'enabled',
      level: key.policy.minLevel,
      replicas: key.policy.replicas,
      trusted: key.policy.trustedTaskQueueId ?? '(none)',
      queues: key.policy.taskQueues,
    },
    {
      keyId: 'key',
      description: 'description',
      status: 'status',
      minisignKeyId: 'minisign key id',
      publicKey: 'public key',
      level: 'minimum trust level',
      replicas: 'agreeing replicas',
      trusted: 'trusted task queue',
      queues: 'task queues',
      created: 'created',
    },
  );
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function level(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 3) throw new UsageError('--min-level is 1, 2 or 3');
  return n;
}

function replicas(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 5) throw new UsageError('--replicas is 1 to 5');
  return n;
}

/** `bulwark signing` and `bulwark sign`: release keys, their policies, and signatures. */
export function registerSigning(program: Command): void {
  const signing = program
    .command('signing')
    .description('release signing keys and their policies (signatures verify with minisign)');

  signing
    .command('keys [keyId]')
    .description('list the keys, or show one with its policy; no credentials needed')
    .option('--pub <file>', 'with a key: write its minisign .pub file, for `minisign -V -p`')
    .option('--json', 'print JSON')
    .action(
      action(async (keyId: string | undefined, options: { pub?: string; json?: boolean }) => {
        const client = await signingClient(false);
        if (keyId === undefined) {
          if (options.pub !== undefined) throw new UsageError('--pub needs a key id');
          const { keys } = (await client.listKeys!()) as { keys: SigningKey[] };
          if (options.json) return printJson({ keys });
          printTable(
            keys.map((k) => ({
              ...k,
              status: k.disabled ? 'disabled' : '',
              policy: policyWords(k),
            })),
            { keyId: 'KEY', status: 'STATUS', policy: 'POLICY', description: 'DESCRIPTION' },
          );
          return;
        }
        const key = (await client.key!(keyId)) as unknown as SigningKey;
        if (options.pub !== undefined) {
          await writeFile(options.pub, key.publicKeyFile, { mode: 0o644 });
        }
        if (options.json) return printJson(key);
        printKey(key);
        if (options.pub !== undefined) process.stdout.write(`\nwrote ${options.pub}\n`);
      }),
    );

  signing
    .command('create-key <keyId>')
    .description('make a key with its policy (it never changes); scope signing:create-key:<keyId>')
    .requiredOption('--description <text>', 'what the key signs, for people')
    .requiredOption('--task-queue <pattern>', 'a task queue (or prefix*) it may sign for', collect)
    .option('--min-level <n>', 'the builder trust level required, 1 to 3', '3')
    .option('--replicas <n>', 'replicas on distinct workers that must agree, 1 to 5', '1')
    .option('--trusted-task-queue <id>', 'a replica from this queue must have agreed')
    .option('--json', 'print JSON')
    .action(
      action(
        async (
          keyId: string,
          options: {
            description: string;
            taskQueue: string[];
            minLevel: string;
            replicas: string;
            trustedTaskQueue?: string;
            json?: boolean;
          },
        ) => {
          const policy = {
            minLevel: level(options.minLevel),
            replicas: replicas(options.replicas),
            ...(options.trustedTaskQueue !== undefined && {
              trustedTaskQueueId: options.trustedTaskQueue,
            }),
            taskQueues: options.taskQueue,
          };
          const client = await signingClient(true);
          const key = (await client.createKey!(keyId, {
            description: options.description,
            policy,
          })) as unknown as SigningKey;
          if (options.json) return printJson(key);
          printKey(key);
        },
      ),
    );

  signing
    .command('disable-key <keyId>')
    .description('disable a key for good; its public key stays served (signing:manage-key:<keyId>)')
    .requiredOption('--reason <text>', 'why, for the audit log')
    .option('--json', 'print JSON')
    .action(
      action(async (keyId: string, options: { reason: string; json?: boolean }) => {
        const client = await signingClient(true);
        const key = (await client.disableKey!(keyId, {
          reason: options.reason,
        })) as unknown as SigningKey;
        if (options.json) return printJson(key);
        process.stdout.write(`${keyId} disabled ${key.disabled ?? ''}: it signs nothing more\n`);
      }),
    );

  program
    .command('sign')
    .description('sign a task’s artifact with a release key, if its provenance meets the policy')
    .requiredOption('--task <taskId>', 'the task that made the artifact')
    .requiredOption('--artifact <name>', 'the artifact’s name, e.g. public/dist/app.bin')
    .requiredOption('--key <keyId>', 'the signing key (scope signing:sign:<keyId>)')
    .option('-o, --out <file>', 'where to write the .minisig (default: the name’s last part)')
    .option('--json', 'print JSON (the signature included)')
    .action(
      action(
        async (options: {
          task: string;
          artifact: string;
          key: string;
          out?: string;
          json?: boolean;
        }) => {
          const client = await signingClient(true);
          const signed = (await client.sign!(options.key, {
            taskId: options.task,
            artifact: options.artifact,
          })) as { signature: string; sha256: string; minisignKeyId: string };
          const base = options.artifact.split('/').pop() ?? 'artifact';
          const out = options.out ?? `${base}.minisig`;
          await writeFile(out, signed.signature, { mode: 0o644 });
          if (options.json) return printJson({ ...signed, file: out });
          process.stdout.write(
            [
              `signed ${options.artifact} of ${options.task} (sha256 ${signed.sha256})`,
              `with ${options.key} (minisign key ${signed.minisignKeyId}): wrote ${out}`,
              'verify with Debian’s minisign:',
              `  bulwark signing keys ${options.key} --pub ${options.key}.pub`,
              `  minisign -V -m ${base} -x ${out} -p ${options.key}.pub`,
              '',
            ].join('\n'),
          );
        },
      ),
    );
}
