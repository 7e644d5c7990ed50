/**
 * The queue refuses artifact names that could mean more than one place (S12): it is
 * the authority. The worker applies the same rule before it uploads, so a payload
 * naming `a//b` or `../x`, or a directory holding a file whose name has a control
 * character, gets a plain explanation in the log instead of a failed upload.
 */
export function artifactNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 1024) return 'must have 1 to 1024 characters';
  if (/[^\x20-\x7e]/.test(name)) return 'must be printable ASCII (no control characters)';
  if (name.startsWith('/')) return 'must not start with /';
  const bad = name.split('/').find((segment) => ['', '.', '..'].includes(segment));
  return bad === undefined ? undefined : 'must not have an empty, . or .. segment';
}
