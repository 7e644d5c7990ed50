import { readFile } from 'node:fs/promises';

/**
 * How many mount points of this process's mount namespace are at `path` or below it.
 * A tree holding one is never removed entry by entry: `rm --one-file-system` skips
 * another file system, but a bind mount of the same file system has the same device
 * number, so rm would walk into it and delete what it shows, files that belong
 * elsewhere on the host. Such a tree is set aside whole instead.
 */
export async function mountPointsAt(path: string): Promise<number> {
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  const top = path.endsWith('/') ? path.slice(0, -1) : path;
  let count = 0;
  for (const line of table.split('\n')) {
    // Fields: id, parent id, major:minor, root, mount point, ...; the kernel escapes
    // space, tab, newline and backslash in paths as octal.
    const field = line.split(' ')[4];
    if (field === undefined) continue;
    const point = unescapeOctal(field);
    if (point === top || point.startsWith(`${top}/`)) count++;
  }
  return count;
}

function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}
