import { Readable } from 'node:stream';

/**
 * The worker's test-only tamper switch: the configuration field
 * `testOnlyTamperArtifact` names one artifact whose first byte the worker flips
 * before uploading it, to play a compromised worker in the reproducibility quorum's
 * tests (docs/quorum.md). A worker refuses the field unless this variable is `1`, so
 * no production configuration can carry it by accident.
 */
export const TAMPER_GATE = 'BULWARK_TEST_ONLY_TAMPER';

export function tamperAllowed(env: NodeJS.ProcessEnv): boolean {
  return env[TAMPER_GATE] === '1';
}

/** The content with its first byte flipped; the same length, so the upload's size holds. */
export function flipFirstByte(content: Readable): Readable {
  return Readable.from(
    (async function* flipped() {
      let first = true;
      for await (const chunk of content as AsyncIterable<Buffer>) {
        if (first && chunk.length > 0) {
          const copy = Buffer.from(chunk);
          copy[0] = (copy[0] as number) ^ 0xff;
          first = false;
          yield copy;
        } else {
          yield chunk;
        }
      }
    })(),
  );
}
