export {
  envelopeDigest,
  envelopePayload,
  envelopeShapeProblem,
  IN_TOTO_PAYLOAD_TYPE,
  preAuthEncoding,
  serializeEnvelope,
  signEnvelope,
  type DsseEnvelope,
  type DsseSignature,
  type EnvelopeSigner,
} from './dsse.js';
export {
  generateSigningKey,
  keyIdOfRawPublicKey,
  publicKeyFromPem,
  signingKeyFromPem,
  verifyEd25519,
  type PublicSigningKey,
  type SigningKeyPair,
} from './ed25519.js';
export {
  BULWARK_TASK_BUILD_TYPE,
  builderId,
  SLSA_PROVENANCE_V1,
  slsaProvenance,
  type RunRecord,
  type SlsaProvenance,
  type TaskBuild,
  type TrustLevel,
} from './provenance.js';
export {
  statement,
  statementProblem,
  STATEMENT_TYPE,
  type ResourceDescriptor,
  type Statement,
  type Subject,
} from './statement.js';
export {
  distinctWorkers,
  QUORUM_POLICY_URI,
  SLSA_VSA_V1,
  verificationSummary,
  type QuorumOutcome,
  type QuorumReplica,
  type VerificationSummary,
  type VsaInput,
} from './vsa.js';
export {
  verifyAttestations,
  type Check,
  type VerificationInput,
  type VerificationPolicy,
  type VerificationReport,
} from './verify.js';
export {
  generateMinisignKey,
  minisignKeyFromPem,
  verifyMinisign,
  type MinisignKey,
} from './minisign.js';
