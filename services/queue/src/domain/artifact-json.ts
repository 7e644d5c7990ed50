import type { queries } from '@bulwark/db';

export interface ArtifactJson {
  storageType: string;
  name: string;
  expires: string;
  contentType: string;
  contentLength?: number;
}

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
