/**
 * What a credential looks like in a log, whoever printed it: a token the exercise knows
 * (admin, red team, victim), or any value shaped like an access token behind a name that
 * says so (`"accessToken": "..."`, `TASKCLUSTER_ACCESS_TOKEN=...`, a certificate's signature).
 */
const SHAPED = [
  /"accessToken"\s*:\s*"([A-Za-z0-9_-]{22,})"/g,
  /ACCESS_TOKEN=([A-Za-z0-9_-]{22,})/g,
  /"signature"\s*:\s*"([A-Za-z0-9+/=]{40,})"/g,
];

export interface TokenFinding {
  /** Which kind of credential: `known` or the shape that matched. */
  kind: string;
  /** The line it was on, with the credential itself replaced. */
  line: string;
}

export function findTokens(log: string, known: readonly string[]): TokenFinding[] {
  const findings: TokenFinding[] = [];
  const lines = log.split('\n');
  for (const line of lines) {
    if (findings.length >= 20) break;
    const hit = known.find((token) => token.length >= 16 && line.includes(token));
    if (hit) {
      findings.push({ kind: 'a credential the exercise knows', line: redact(line, known) });
      continue;
    }
    for (const shape of SHAPED) {
      shape.lastIndex = 0;
      const match = shape.exec(line);
      if (match?.[1]) {
        findings.push({
          kind: `a value shaped like ${shape.source.slice(0, 20)}…`,
          line: redact(line, [match[1]]),
        });
        break;
      }
    }
  }
  return findings;
}

/** Token-shaped values replaced wherever they are, whoever they belong to. */
export function redactShaped(text: string): string {
  let out = text;
  for (const shape of SHAPED) {
    out = out.replace(new RegExp(shape.source, 'g'), (whole, value: string) =>
      whole.replace(value, '[redacted]'),
    );
  }
  return out;
}

/** Every occurrence of a credential replaced, so no report ever carries one (S1). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  }
  return out.length > 400 ? `${out.slice(0, 400)}…` : out;
}
