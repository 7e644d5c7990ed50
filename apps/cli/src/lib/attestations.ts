import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import {
  envelopePayload,
  publicKeyFromPem,
  type DsseEnvelope,
  type PublicSigningKey,
  type SlsaProvenance,
} from '@bulwark/attest';
import taskcluster, { type ServiceClient } from 'taskcluster-client';
import { UsageError } from './credentials.js';

/** Where the control plane stores a task's signed provenance, and a quorum's summary. */
export const PROVENANCE_ARTIFACT = 'public/bulwark/provenance.intoto.json';
export const VERIFICATION_ARTIFACT = 'public/bulwark/verification.intoto.json';

/** How many dependencies' provenance `verify --task` downloads, at most. */
const MAX_DEPENDENCIES = 100;

/**
 * Public keys from a file: PEM blocks ("-----BEGIN PUBLIC KEY-----"), or the JSON
 * `bulwark provenance keys --json` prints. Anything else, or a key that is not
 * Ed25519, is a usage error.
 */
export async function readPublicKeys(path: string): Promise<PublicSigningKey[]> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new UsageError(`cannot read the key file ${path}`);
  });
  const pems = text.trimStart().startsWith('{')
    ? ((JSON.parse(text) as { keys?: { publicKey?: unknown }[] }).keys ?? []).map((k) =>
        String(k.publicKey),
      )
    : (text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? []);
  if (pems.length === 0) throw new UsageError(`no public key in ${path}`);
  try {
    return pems.map(publicKeyFromPem);
  } catch {
    throw new UsageError(`${path} holds a key that is not an Ed25519 public key`);
  }
}

/** Envelopes from a file: one JSON envelope, or several, one per line (an in-toto bundle). */
export function parseEnvelopes(text: string): unknown[] {
  const trimmed = text.trim();
  try {
    return [JSON.parse(trimmed)];
  } catch {
    return trimmed
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, i) => {
        try {
          return JSON.parse(line) as unknown;
        } catch {
          throw new UsageError(`line ${i + 1} of the provenance file is not JSON`);
        }
      });
  }
}

/** An artifact's bytes from the task's latest run, or undefined when it has none. */
async function latestArtifact(
  queue: ServiceClient,
  taskId: string,
  name: string,
): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  try {
    await taskcluster.downloadArtifact({
      taskId,
      name,
      queue,
      retries: 2,
      streamFactory: async () => {
        chunks.length = 0;
        return new Writable({
          write(chunk: Buffer, _encoding, done) {
            chunks.push(chunk);
            done();
          },
        });
      },
    });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
  return Buffer.concat(chunks);
}

export interface DownloadedAttestations {
  provenance: Buffer;
  verification: Buffer | undefined;
  dependencies: Map<string, Buffer>;
}

/**
 * Downloads the task's provenance (and its verification summary, where it has one)
 * and, through resolvedDependencies, its dependencies' provenance: everything the
 * offline check then needs. Nothing downloaded is trusted: it is verified after.
 */
export async function downloadAttestations(
  queue: ServiceClient,
  taskId: string,
): Promise<DownloadedAttestations> {
  const provenance = await latestArtifact(queue, taskId, PROVENANCE_ARTIFACT);
  if (!provenance) {
    throw Object.assign(new Error(`task ${taskId} has no provenance (yet)`), { statusCode: 404 });
  }
  const verification = await latestArtifact(queue, taskId, VERIFICATION_ARTIFACT);
  const dependencies = new Map<string, Buffer>();
  const pending = dependencyIds(provenance);
  while (pending.length > 0 && dependencies.size < MAX_DEPENDENCIES) {
    const dep = pending.shift()!;
    if (dependencies.has(dep)) continue;
    const bytes = await latestArtifact(queue, dep, PROVENANCE_ARTIFACT);
    if (!bytes) continue;
    dependencies.set(dep, bytes);
    pending.push(...dependencyIds(bytes));
  }
  return { provenance, verification, dependencies };
}

/** The task ids a provenance names as dependencies; none when it does not parse. */
function dependencyIds(bytes: Buffer): string[] {
  try {
    const envelope = JSON.parse(bytes.toString('utf8')) as DsseEnvelope;
    const statement = JSON.parse(envelopePayload(envelope).toString('utf8')) as {
      predicate: SlsaProvenance;
    };
    return statement.predicate.buildDefinition.resolvedDependencies
      .map((d) => d.name ?? '')
      .filter((name) => /^[A-Za-z0-9_-]{22}$/.test(name));
  } catch {
    return [];
  }
}
