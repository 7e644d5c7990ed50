import { mountApi, type MountOptions } from '@bulwark/api';
import type { QueueContext } from '../domain/context.js';
import { objectApi } from './object-definition.js';
import './object.js';
import './live-log.js';

type ApiApp = Parameters<typeof mountApi>[0];

/**
 * Mounts the object API in its own encapsulated context, where a request body of type
 * `application/octet-stream` is left unread for the upload handler to stream into the
 * blob store. Everywhere else the server keeps accepting JSON only, with its size limit.
 */
export function mountObjectApi(app: ApiApp, options: MountOptions<QueueContext>): void {
  void app.register(async (child) => {
    child.addContentTypeParser('application/octet-stream', (_request, _payload, done) => {
      done(null, undefined);
    });
    mountApi(child, objectApi, options);
  });
}
