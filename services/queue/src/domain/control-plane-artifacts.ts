/**
 * Artifact names only the control plane writes (S17, S18). Under `public/bulwark/` the
 * queue stores what it generated itself, such as a task's signed provenance; no
 * credentials, not even a run's own or root's, can create, replace or re-point a name
 * there, so a worker or a task cannot put a provenance of its choosing where verifiers
 * look. Compared without regard to letter case, like the worker's log prefix.
 */
export const CONTROL_PLANE_PREFIX = 'public/bulwark/';

/** Where a completed task's signed provenance (a DSSE envelope) is stored. */
export const PROVENANCE_ARTIFACT = 'public/bulwark/provenance.intoto.json';

export function isControlPlaneArtifactName(name: string): boolean {
  return name.slice(0, CONTROL_PLANE_PREFIX.length).toLowerCase() === CONTROL_PLANE_PREFIX;
}

/** Where a quorum task's signed verification summary (in-toto VSA) is stored. */
export const VERIFICATION_ARTIFACT = 'public/bulwark/verification.intoto.json';
