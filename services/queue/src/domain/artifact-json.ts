import type { FromJsonSchema } from '@bulwark/api';
import type { queries } from '@bulwark/db';
import type { artifactSchema } from '../schemas/artifacts.js';

/** An artifact as Taskcluster lists it, as its schema defines it. */
export type ArtifactJson = FromJsonSchema<typeof artifactSchema>;

/** The artifact as Taskcluster lists it; the size is the one the store measured. */
export function artifactJson(a: queries.queueArtifacts.ArtifactRow): ArtifactJson {
  return {
    storageType: a.storageType,
    name: a.name,
    expires: a.expires.toJSON(),
    contentType: a.contentType,
    ...(a.contentLength !== null ? { contentLength: a.contentLength } : {}),
  };
}
