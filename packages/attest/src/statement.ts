/** in-toto Statement v1 (https://github.com/in-toto/attestation, spec/v1/statement.md). */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

/** An in-toto ResourceDescriptor v1: at least one of uri, digest or content. */
export interface ResourceDescriptor {
  name?: string;
  uri?: string;
  digest?: Record<string, string>;
  annotations?: Record<string, unknown>;
}

/** A subject: an artifact named and identified by its digest. */
export interface Subject {
  name: string;
  digest: { sha256: string } & Record<string, string>;
}

export interface Statement<P = unknown> {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: string;
  predicate: P;
}

export function statement<P>(
  subjects: Subject[],
  predicateType: string,
  predicate: P,
): Statement<P> {
  return { _type: STATEMENT_TYPE, subject: subjects, predicateType, predicate };
}

const SHA256 = /^[0-9a-f]{64}$/;

/** Why a parsed payload is not an in-toto Statement v1, or undefined when it is one. */
export function statementProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'the payload is not a JSON object';
  }
  const v = value as Record<string, unknown>;
  if (v._type !== STATEMENT_TYPE) return `the payload is not an in-toto Statement v1`;
  if (typeof v.predicateType !== 'string') return 'the statement has no predicateType';
  if (!Array.isArray(v.subject) || v.subject.length === 0) return 'the statement has no subject';
  for (const s of v.subject as unknown[]) {
    const subject = s as { name?: unknown; digest?: { sha256?: unknown } } | null;
    if (typeof subject?.name !== 'string' || typeof subject.digest?.sha256 !== 'string') {
      return 'a subject has no name or sha256 digest';
    }
    if (!SHA256.test(subject.digest.sha256)) return 'a subject digest is not a sha256 hex digest';
  }
  if (typeof v.predicate !== 'object' || v.predicate === null)
    return 'the statement has no predicate';
  return undefined;
}
