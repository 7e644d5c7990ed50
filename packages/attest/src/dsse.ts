import { createHash } from 'node:crypto';

/** The payload type of an in-toto Statement inside a DSSE envelope. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** One signature of an envelope: the signer's key id and the signature, base64. */
export interface DsseSignature {
  keyid: string;
  sig: string;
}

/** A DSSE envelope as serialized (https://github.com/secure-systems-lab/dsse, envelope.md). */
export interface DsseEnvelope {
  payloadType: string;
  /** The payload's bytes, base64 (standard alphabet, padded). */
  payload: string;
  signatures: DsseSignature[];
}

/** Anything that signs bytes with a key it names; the signature comes back raw. */
export interface EnvelopeSigner {
  readonly keyId: string;
  sign(message: Buffer): Buffer;
}

/**
 * The Pre-Authentication Encoding of DSSE v1, exactly as the protocol defines it:
 * `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, where LEN is the length in
 * bytes as ASCII decimal without leading zeros. The signature covers these bytes, so
 * neither the payload nor its type can be swapped without breaking it.
 */
export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${payload.length} `, 'ascii'),
    payload,
  ]);
}

/** Signs `payload` (already serialized) into an envelope with one signature. */
export function signEnvelope(
  payload: Buffer,
  signer: EnvelopeSigner,
  payloadType = IN_TOTO_PAYLOAD_TYPE,
): DsseEnvelope {
  const sig = signer.sign(preAuthEncoding(payloadType, payload));
  return {
    payloadType,
    payload: payload.toString('base64'),
    signatures: [{ keyid: signer.keyId, sig: sig.toString('base64') }],
  };
}

/** The envelope as stored and served: canonical enough to be hashed by what refers to it. */
export function serializeEnvelope(envelope: DsseEnvelope): Buffer {
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

/** The digest by which other provenance refers to this envelope: sha256 of its bytes. */
export function envelopeDigest(serialized: Buffer): string {
  return createHash('sha256').update(serialized).digest('hex');
}

/** Why a document is not a DSSE envelope, or undefined when it has the envelope's shape. */
export function envelopeShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'it is not a JSON object';
  }
  const v = value as Record<string, unknown>;
  if (typeof v.payloadType !== 'string') return 'it has no payloadType';
  if (typeof v.payload !== 'string' || !BASE64.test(v.payload)) return 'its payload is not base64';
  if (!Array.isArray(v.signatures) || v.signatures.length === 0) return 'it has no signatures';
  for (const s of v.signatures as unknown[]) {
    const sig = s as Record<string, unknown> | null;
    if (typeof sig !== 'object' || sig === null || typeof sig.sig !== 'string') {
      return 'a signature is malformed';
    }
    if (sig.keyid !== undefined && typeof sig.keyid !== 'string') return 'a keyid is not text';
  }
  return undefined;
}

// DSSE allows either base64 alphabet; the decoder must not silently drop characters.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** The payload's bytes. */
export function envelopePayload(envelope: DsseEnvelope): Buffer {
  // Node's base64 decoder takes both alphabets, as DSSE allows.
  return Buffer.from(envelope.payload, 'base64');
}
