/**
 * What the proxy takes out of every JSON answer before the task sees it (S2): any
 * member that carries a credential. The control plane hands out credentials in a few
 * answers (createArtifact's upload credentials, artifact-content's download
 * credentials, createClient's and resetAccessToken's access token, the temporary
 * credentials of a claim); the proxy does not list those endpoints but removes the
 * fields wherever they appear, so an endpoint added later cannot hand a token to a
 * task either:
 *
 * - `accessToken` and `certificate` members are removed;
 * - a `credentials` member becomes `{}` (the published client treats `{}` as "no
 *   credentials", so code that passes it on to a client talks through the proxy).
 *
 * Strings may also be rewritten (the proxy swaps one-time upload URLs for handles of
 * its own, see UploadGrants).
 */

const REMOVED = new Set(['accesstoken', 'access_token', 'certificate']);
const EMPTIED = new Set(['credentials']);

export interface ScrubOptions {
  /** A top-level member left exactly as it is (the secret a task was granted). */
  keepTopLevel?: string;
  /** Returns a replacement for a string value, or undefined to keep it. */
  rewriteString?: (value: string) => string | undefined;
}

/**
 * Scrubs `value` in place and tells whether anything changed. Iterative, so a deeply
 * nested answer cannot exhaust the stack.
 */
export function scrubCredentials(value: unknown, options: ScrubOptions = {}): boolean {
  let changed = false;
  const stack: { node: object; depth: number }[] = [];
  if (isContainer(value)) stack.push({ node: value, depth: 0 });
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: object; depth: number };
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (depth === 0 && key === options.keepTopLevel && !Array.isArray(node)) continue;
      const lower = key.toLowerCase();
      if (!Array.isArray(node) && REMOVED.has(lower)) {
        delete record[key];
        changed = true;
        continue;
      }
      if (!Array.isArray(node) && EMPTIED.has(lower)) {
        record[key] = {};
        changed = true;
        continue;
      }
      const item = record[key];
      if (typeof item === 'string' && options.rewriteString) {
        const replacement = options.rewriteString(item);
        if (replacement !== undefined && replacement !== item) {
          record[key] = replacement;
          changed = true;
        }
      } else if (isContainer(item)) {
        stack.push({ node: item, depth: depth + 1 });
      }
    }
  }
  return changed;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
