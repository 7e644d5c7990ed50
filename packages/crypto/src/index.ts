export { Keyring, KeyringError, type KeyringKey, type SealedValue } from './keyring.js';
export { loadOrCreateKeyringFile, parseKeyring } from './keyring-file.js';
export { constantTimeEqual, generateAccessToken } from './tokens.js';
export {
  CERTIFICATE_TOLERANCE_MS,
  MAX_CERTIFICATE_LIFETIME_MS,
  certificateSignature,
  certificateSigningString,
  issueTemporaryCredentials,
  parseCertificate,
  temporaryAccessToken,
  type Certificate,
  type TemporaryCredentials,
} from './temporary-credentials.js';
