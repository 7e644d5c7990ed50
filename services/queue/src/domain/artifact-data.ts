import { Reply, inputError } from '@bulwark/api';
import type { queries } from '@bulwark/db';
import { downloadableObject } from './artifact-objects.js';
import type { QueueContext } from './context.js';

type ArtifactKey = queries.queueArtifacts.ArtifactKey;

/**
 * Headers for serving uploaded content from the API's own origin: a browser must never
 * run it as a page of that origin, so it is sandboxed with no resources allowed.
 */
const CONTENT_HEADERS = {
  'content-security-policy': "default-src 'none'; sandbox",
  'x-content-type-options': 'nosniff',
  'accept-ranges': 'bytes',
};

/** One `bytes=` range of Range's simplest forms: `a-b`, `a-`, `-n`. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined | 'unsatisfiable' {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  // Several ranges or another unit: serve the whole content, as HTTP allows.
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (size === 0) return 'unsatisfiable';
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/** Streams an artifact's stored data (whole, or one range), never buffering it. */
export async function objectDataReply(
  ctx: QueueContext,
  key: ArtifactKey,
  rangeHeader: string | undefined,
): Promise<Reply> {
  const artifact = await downloadableObject(ctx, key);
  const size = artifact.contentLength ?? (await ctx.blobs.store.stat(artifact.blobSha256))?.size;
  if (size === undefined) throw new Error('stored data of a finished upload is missing');
  const headers: Record<string, string> = {
    ...CONTENT_HEADERS,
    'content-type': artifact.contentType,
    'x-bulwark-sha256': artifact.blobSha256,
  };
  const range = parseRange(rangeHeader, size);
  if (range === 'unsatisfiable') {
    throw inputError(`The requested range is outside the ${size} bytes of this object`);
  }
  const stream = await ctx.blobs.store.get(artifact.blobSha256, range);
  if (!stream) throw new Error('stored data of a finished upload is missing');
  if (!range) return new Reply(200, stream, { ...headers, 'content-length': String(size) });
  return new Reply(206, stream, {
    ...headers,
    'content-length': String(range.end - range.start + 1),
    'content-range': `bytes ${range.start}-${range.end}/${size}`,
  });
}
