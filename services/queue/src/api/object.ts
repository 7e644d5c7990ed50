import { Reply } from '@bulwark/api';
import { createUpload, finishUpload, startDownload } from '../domain/artifact-objects.js';
import { objectDataReply } from '../domain/artifact-data.js';
import { publicRootUrl } from '../domain/artifact-signing.js';
import {
  artifactKeyOfObject,
  storeUploadData,
  uploadError,
  uploadForToken,
} from '../domain/artifact-upload.js';
import { lockAcceptingRun } from '../domain/artifact-rules.js';
import {
  createUploadRequest,
  createUploadResponse,
  finishUploadRequest,
  objectNameParam,
  startDownloadRequest,
  startDownloadResponse,
  uploadTokenParam,
} from '../schemas/artifact-objects.js';
import { objectApi } from './object-definition.js';
import { ApiError, inputError } from '@bulwark/api';

const nameParams = { name: objectNameParam };

objectApi.declare({
  name: 'createUpload',
  method: 'PUT',
  route: '/upload/<name>',
  wildcardParam: 'name',
  params: nameParams,
  input: createUploadRequest,
  output: createUploadResponse,
  scopes: 'object:upload:<projectId>:<name>',
  category: 'Upload',
  title: 'Begin upload of a new object',
  description: [
    'Negotiates how an artifact’s data is uploaded: `dataInline` (up to 8 KiB, stored at',
    'once) or `putUrl` (a one-time URL to PUT the data to). Only uploads that',
    'createArtifact started exist, and only while their run accepts artifacts.',
  ].join(' '),
  async handler(ctx, req) {
    req.authorize({ projectId: req.body.projectId, name: req.params.name });
    return createUpload(ctx, req.params.name, req.body, publicRootUrl(ctx, req.raw));
  },
});

objectApi.declare({
  name: 'finishUpload',
  method: 'POST',
  route: '/finish-upload/<name>',
  wildcardParam: 'name',
  params: nameParams,
  input: finishUploadRequest,
  scopes: 'object:upload:<projectId>:<name>',
  category: 'Upload',
  title: 'Mark an upload as complete.',
  description: [
    'Ends the upload. A sha256 given here must be the digest the blob store computed,',
    'else the data is discarded. Idempotent.',
  ].join(' '),
  async handler(ctx, req) {
    req.authorize({ projectId: req.body.projectId, name: req.params.name });
    await finishUpload(ctx, req.params.name, req.body);
    return {};
  },
});

objectApi.declare({
  name: 'startDownload',
  method: 'PUT',
  route: '/start-download/<name>',
  wildcardParam: 'name',
  params: nameParams,
  input: startDownloadRequest,
  output: startDownloadResponse,
  scopes: 'object:download:<name>',
  category: 'Download',
  title: 'Download object data',
  description: [
    'Answers a signed, expiring URL for the object’s data (`getUrl`, with the sha256',
    'the store computed, or `simple`).',
  ].join(' '),
  async handler(ctx, req) {
    return startDownload(
      ctx,
      req.params.name,
      req.body.acceptDownloadMethods,
      publicRootUrl(ctx, req.raw),
    );
  },
});

objectApi.declare({
  name: 'downloadData',
  method: 'GET',
  route: '/download/<name>',
  wildcardParam: 'name',
  params: nameParams,
  scopes: 'object:download:<name>',
  category: 'Download',
  title: 'Object data',
  description: [
    'Streams the object’s data (one `Range` supported). Reached through the signed URLs',
    'that getArtifact and startDownload hand out.',
  ].join(' '),
  async handler(ctx, req) {
    const range = req.raw.headers.range;
    return objectDataReply(ctx, artifactKeyOfObject(req.params.name), range);
  },
});

objectApi.declare({
  name: 'uploadData',
  method: 'PUT',
  route: '/upload-data/<token>',
  params: { token: uploadTokenParam },
  // The URL itself is the credential: a one-time capability createUpload issued.
  scopes: null,
  category: 'Upload',
  title: 'Upload object data',
  description: [
    'Receives the data for a `putUrl` upload as a stream. The blob store measures and',
    'hashes it; a length or digest that differs from what was announced is refused and',
    'nothing is kept.',
  ].join(' '),
  async handler(ctx, req) {
    const artifact = await uploadForToken(ctx, req.params.token);
    await lockAcceptingRun(ctx.pool, artifact.taskId, artifact.runId, ctx.now());
    const declared = req.raw.headers['content-length'];
    const length = declared === undefined ? undefined : Number(declared);
    if (length !== undefined && length > ctx.blobs.maxObjectBytes) {
      throw new ApiError(
        'InputTooLarge',
        `Objects may be at most ${ctx.blobs.maxObjectBytes} bytes`,
      );
    }
    if (
      length !== undefined &&
      artifact.uploadLength !== null &&
      length !== artifact.uploadLength
    ) {
      throw inputError(
        `This upload was announced as ${artifact.uploadLength} bytes, not ${length}`,
      );
    }
    try {
      await storeUploadData(
        ctx,
        artifact,
        req.raw.raw,
        {
          expectedSize: artifact.uploadLength ?? length,
          expectedSha256: artifact.uploadSha256 ?? undefined,
        },
        artifact.storageType === 's3',
      );
    } catch (err) {
      throw uploadError(err);
    }
    return new Reply(200, {});
  },
});
