import { inputError } from '@bulwark/api';

/** Taskcluster's bound on artifact names (artifact-response.yml). */
export const MAX_ARTIFACT_NAME_LENGTH = 1024;

/**
 * Why an artifact name is refused, or undefined when it is acceptable (S12). Names are
 * printable ASCII (what object names and scopes may hold), `/`-separated, with no
 * empty, `.` or `..` segment and no leading `/`, so a name can only ever mean one
 * place inside its own run, whatever later turns it into a path or a key.
 */
export function artifactNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > MAX_ARTIFACT_NAME_LENGTH) {
    return `must be at most ${MAX_ARTIFACT_NAME_LENGTH} characters`;
  }
  if (!/^[\x20-\x7e]+$/.test(name)) return 'must be printable ASCII (no control characters)';
  if (name.startsWith('/')) return 'must not start with /';
  for (const segment of name.split('/')) {
    if (segment === '') return 'must not have an empty segment (// or a trailing /)';
    if (segment === '.' || segment === '..') return 'must not have a . or .. segment';
  }
  return undefined;
}

export function assertArtifactName(name: string, what = 'artifact name'): void {
  const problem = artifactNameProblem(name);
  if (problem !== undefined) throw inputError(`Invalid ${what}: it ${problem}`);
}

/** The object name under which an artifact's data is uploaded and downloaded. */
export function artifactObjectName(taskId: string, runId: number, name: string): string {
  return `t/${taskId}/${runId}/${name}`;
}

const OBJECT_NAME = /^t\/([A-Za-z0-9_-]{22})\/(0|[1-9][0-9]{0,3})\/(.+)$/s;

/** The artifact an object name stands for, or undefined when it names none. */
export function parseArtifactObjectName(
  objectName: string,
): { taskId: string; runId: number; name: string } | undefined {
  const m = OBJECT_NAME.exec(objectName);
  if (!m?.[1] || !m[2] || !m[3] || artifactNameProblem(m[3]) !== undefined) return undefined;
  return { taskId: m[1], runId: Number(m[2]), name: m[3] };
}
