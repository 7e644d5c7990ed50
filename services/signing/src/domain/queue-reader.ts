import { createHash } from 'node:crypto';
import { publicKeyFromPem, type PublicSigningKey } from '@bulwark/attest';
import taskcluster from 'taskcluster-client';

/** What the signing service learns of an artifact by reading it through: never trusted as given. */
export interface MeasuredArtifact {
  sha256: string;
  blake2b512: Buffer;
  size: number;
}

/** The largest artifact the service reads through to sign (S3's single-object bound). */
const MAX_ARTIFACT_BYTES = 5 * 1024 * 1024 * 1024;

/**
 * The queue, as the signing service reads it: over HTTP with its own static client,
 * like any other caller (services never import each other). Provenance keys come from
 * the queue's public endpoint; artifacts through signed URLs, streamed and hashed,
 * never held whole in memory.
 */
export class QueueReader {
  constructor(
    private readonly rootUrl: () => string,
    private readonly credentials: { clientId: string; accessToken: string },
  ) {}

  private queue() {
    return new taskcluster.Queue({ rootUrl: this.rootUrl(), credentials: this.credentials });
  }

  async provenanceKeys(): Promise<PublicSigningKey[]> {
    const response = await fetch(`${this.rootUrl()}/api/queue/v1/provenance/keys`);
    if (!response.ok) throw new Error(`the queue's provenance keys answered ${response.status}`);
    const { keys } = (await response.json()) as { keys: { publicKey: string }[] };
    return keys.map((k) => publicKeyFromPem(k.publicKey));
  }

  private async open(taskId: string, name: string): Promise<Response | undefined> {
    const queue = this.queue();
    const url = queue.buildSignedUrl(queue.getLatestArtifact!, taskId, name);
    const response = await fetch(url);
    if (response.status === 404 || response.status === 424) return undefined;
    if (!response.ok || !response.body) throw new Error(`${name} answered ${response.status}`);
    return response;
  }

  /** A small artifact (a provenance envelope) of the task's latest run, or undefined. */
  async small(taskId: string, name: string): Promise<Buffer | undefined> {
    const response = await this.open(taskId, name);
    if (!response) return undefined;
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length > 1024 * 1024) throw new Error(`${name} is larger than 1 MiB`);
    return bytes;
  }

  /** Streams an artifact of the task's latest run through both hashes; undefined when absent. */
  async measure(taskId: string, name: string): Promise<MeasuredArtifact | undefined> {
    const response = await this.open(taskId, name);
    if (!response?.body) return undefined;
    const sha256 = createHash('sha256');
    const blake = createHash('blake2b512');
    let size = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > MAX_ARTIFACT_BYTES) throw new Error(`${name} is larger than signing reads`);
      sha256.update(chunk);
      blake.update(chunk);
    }
    return { sha256: sha256.digest('hex'), blake2b512: blake.digest(), size };
  }
}
