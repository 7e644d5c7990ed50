import { chmod, mkdir, writeFile } from 'node:fs/promises';

/**
 * Creates a directory (and missing parents) and forces its mode: `mkdir` honours
 * the umask and leaves an existing directory's mode alone, so the chmod is what
 * actually guarantees the mode (S11).
 */
export async function ensurePrivateDir(path: string, mode = 0o700): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chmod(path, mode);
}

/**
 * Writes a new file readable only by its owner. `wx` fails if the path exists, so
 * we never write through a planted file or symlink; the chmod defeats the umask.
 */
export async function writeNewPrivateFile(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
}
