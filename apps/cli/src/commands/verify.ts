import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import {
  verifyAttestations,
  type PublicSigningKey,
  type VerificationPolicy,
  type VerificationReport,
} from '@bulwark/attest';
import { serviceClient } from '../lib/clients.js';
import { UsageError } from '../lib/credentials.js';
import { downloadAttestations, parseEnvelopes, readPublicKeys } from '../lib/attestations.js';
import { printJson } from '../lib/output.js';
import { EXIT, action } from '../lib/run.js';
import { fetchPublishedKeys } from './provenance.js';

interface VerifyOptions {
  task?: string;
  provenance?: string;
  key?: string;
  minLevel?: string;
  requireTrustedQueue?: string;
  replicas?: string;
  dependency?: string[];
  json?: boolean;
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch {
    throw new UsageError(`cannot read ${path}`);
  }
  return hash.digest('hex');
}

function whole(value: string | undefined, name: string, min: number, max: number) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}`);
  }
  return n;
}

function policyOf(options: VerifyOptions): VerificationPolicy {
  const minLevel = whole(options.minLevel, '--min-level', 1, 3);
  const replicas = whole(options.replicas, '--replicas', 1, 5);
  return {
    ...(minLevel !== undefined && { minLevel }),
    ...(replicas !== undefined && { replicas }),
    ...(options.requireTrustedQueue !== undefined && {
      trustedTaskQueueId: options.requireTrustedQueue,
    }),
  };
}

/** Dependencies' provenance given by hand: matched to the task ids the provenance names. */
async function suppliedDependencies(paths: readonly string[]): Promise<Map<string, Buffer>> {
  const byTask = new Map<string, Buffer>();
  for (const path of paths) {
    const bytes = await readFile(path).catch(() => {
      throw new UsageError(`cannot read ${path}`);
    });
    const envelope = parseEnvelopes(bytes.toString('utf8'))[0] as { payload?: string };
    const statement = JSON.parse(Buffer.from(String(envelope.payload), 'base64').toString()) as {
      predicate?: { buildDefinition?: { internalParameters?: { taskId?: string } } };
    };
    const taskId = statement.predicate?.buildDefinition?.internalParameters?.taskId;
    if (typeof taskId !== 'string') throw new UsageError(`${path} is not a task's provenance`);
    byTask.set(taskId, bytes);
  }
  return byTask;
}

function printReport(file: string, report: VerificationReport): void {
  for (const check of report.checks) {
    process.stdout.write(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.what}: ${check.detail}\n`);
  }
  const failed = report.checks.find((c) => !c.ok);
  process.stdout.write(
    failed
      ? `${basename(file)}: NOT verified: ${failed.detail}\n`
      : `${basename(file)}: verified (artifact ${report.subjectName} of task ${report.taskId})\n`,
  );
}

export function registerVerify(program: Command): void {
  program
    .command('verify <file>')
    .description(
      'check a file against the provenance the control plane signed: its digest, the signature, a policy and the chain through dependencies (offline, with the public key)',
    )
    .option('--task <taskId>', 'download the task’s provenance (and its dependencies’) first')
    .option('--provenance <file>', 'the provenance envelope(s), already downloaded')
    .option('--key <file>', 'the control plane’s public key(s): PEM, or `provenance keys --json`')
    .option('--min-level <n>', 'the builder’s trust level must be at least n (1 to 3)')
    .option('--require-trusted-queue <taskQueueId>', 'a run on this queue must have produced it')
    .option('--replicas <n>', 'at least n replicas on distinct workers must have agreed')
    .option('--dependency <file...>', 'dependencies’ provenance, to check the chain offline')
    .option('--json', 'print the checks as JSON')
    .action(
      action(async (file: string, options: VerifyOptions) => {
        if ((options.task === undefined) === (options.provenance === undefined)) {
          throw new UsageError('give exactly one of --task ID and --provenance FILE');
        }
        if (options.provenance !== undefined && options.key === undefined) {
          throw new UsageError('--provenance needs --key: the public key you trust');
        }
        const policy = policyOf(options);
        const fileSha = await fileSha256(file);
        let envelopes: unknown[];
        let dependencies = await suppliedDependencies(options.dependency ?? []);
        let keys: PublicSigningKey[];
        const notes: string[] = [];
        if (options.task !== undefined) {
          const { client, rootUrl } = await serviceClient('Queue', { requireCredentials: false });
          const got = await downloadAttestations(client, options.task);
          envelopes = [got.provenance, ...(got.verification ? [got.verification] : [])].map(
            (b) => JSON.parse(b.toString('utf8')) as unknown,
          );
          dependencies = new Map([...got.dependencies, ...dependencies]);
          notes.push(`downloaded the provenance of task ${options.task} from ${rootUrl}`);
          if (options.key === undefined) {
            keys = await fetchPublishedKeys(rootUrl);
            notes.push(`no --key: using the keys ${rootUrl} serves now (trust that deployment)`);
          } else {
            keys = await readPublicKeys(options.key);
          }
        } else {
          envelopes = parseEnvelopes(await readFile(options.provenance!, 'utf8'));
          keys = await readPublicKeys(options.key!);
        }
        const report = verifyAttestations({
          fileSha256: fileSha,
          envelopes,
          keys,
          policy,
          dependencies,
        });
        if (options.json) {
          printJson({ file, sha256: fileSha, notes, ...report });
        } else {
          for (const note of notes) process.stdout.write(`note  ${note}\n`);
          printReport(file, report);
        }
        if (!report.ok) process.exitCode = EXIT.failure;
      }),
    );
}
