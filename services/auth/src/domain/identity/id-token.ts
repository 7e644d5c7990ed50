import { createHash, timingSafeEqual } from 'node:crypto';
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/**
 * Signature algorithms an ID token may use: asymmetric only. `none` would need no key
 * at all, and an HS* token would be "signed" with the client secret, which a token
 * from elsewhere could be forged with by anyone who learned the secret; neither is
 * ever accepted, whatever the token's header says.
 */
export const ID_TOKEN_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** Tolerated difference between the provider's clock and ours. */
export const CLOCK_TOLERANCE_SECONDS = 60;
/** An ID token is fresh from the token endpoint: older ones are refused. */
export const MAX_ID_TOKEN_AGE_SECONDS = 10 * 60;

export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  /** Audiences besides the client id that the token may also name. */
  otherAudiences: readonly string[];
  /** The nonce sent with the authorization request; absent in the device flow. */
  nonce?: string;
  keys: JWTVerifyGetKey;
  now: Date;
}

/** An ID token that does not verify; the message says which check failed, never the token. */
export class IdTokenRefused extends Error {
  override readonly name = 'IdTokenRefused';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_ID_TOKEN_REFUSED';
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) {
    return err.claim === 'iat'
      ? 'its iat claim is too old (issued too long ago)'
      : 'it has expired';
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    return `its ${err.claim} claim does not verify (${err.reason})`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'its signature algorithm is not accepted';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (err instanceof errors.JWKSNoMatchingKey) return "no key of the provider's matches it";
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
    return "the provider's keys could not be fetched";
  }
  if (err instanceof errors.JOSEError) return `it is malformed (${err.code})`;
  return 'it could not be verified';
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Verifies an ID token as OpenID Connect Core, section 3.1.3.7, asks: the signature
 * against the provider's published keys with an asymmetric algorithm, `iss` exactly the
 * configured issuer, `aud` naming our client id and nothing we do not accept (with
 * `azp` our client id when there are several), `exp` in the future, `iat` recent and
 * not in the future, `sub` present, and the nonce we sent. Answers the claims.
 */
export async function verifyIdToken(
  token: string,
  expect: IdTokenExpectations,
): Promise<JWTPayload> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, expect.keys, {
      issuer: expect.issuer,
      audience: expect.clientId,
      algorithms: [...ID_TOKEN_ALGORITHMS],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      maxTokenAge: MAX_ID_TOKEN_AGE_SECONDS,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
      currentDate: expect.now,
    }));
  } catch (err) {
    throw new IdTokenRefused(`the ID token was refused: ${describe(err)}`);
  }
  const nowSeconds = Math.floor(expect.now.getTime() / 1000);
  if ((payload.iat ?? 0) > nowSeconds + CLOCK_TOLERANCE_SECONDS) {
    throw new IdTokenRefused('the ID token was refused: it was issued in the future');
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  const accepted = new Set([expect.clientId, ...expect.otherAudiences]);
  if (!audiences.every((aud) => typeof aud === 'string' && accepted.has(aud))) {
    throw new IdTokenRefused('the ID token was refused: it names an audience not accepted');
  }
  if (audiences.length > 1 && payload.azp !== expect.clientId) {
    throw new IdTokenRefused('the ID token was refused: its azp is not our client id');
  }
  if (expect.nonce !== undefined) {
    const given = typeof payload.nonce === 'string' ? payload.nonce : '';
    if (!timingSafeEqual(sha256(given), sha256(expect.nonce))) {
      throw new IdTokenRefused('the ID token was refused: its nonce is not the one sent');
    }
  }
  return payload;
}
