import { readFile } from 'node:fs/promises';
import { UsageError } from './credentials.js';

/** Larger than any secret or task definition the services accept, so they say why. */
const MAX_INPUT_BYTES = 4 * 1024 * 1024;

/**
 * Reads a document from a file, or from stdin when no file (or `-`) is given. Values
 * never come from argv: arguments are visible to every user of the machine in
 * /proc/<pid>/cmdline and end up in shell history.
 */
export async function readInput(file: string | undefined, what: string): Promise<string> {
  if (file !== undefined && file !== '-') {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${what} from ${file}: ${(err as Error).message}`);
    }
  }
  if (process.stdin.isTTY) {
    throw new UsageError(`give ${what} on stdin or with --file`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_INPUT_BYTES) throw new UsageError(`${what} is larger than 4 MiB`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON object, with a usage error that names what was expected. */
export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`${what} must be a JSON object`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}
