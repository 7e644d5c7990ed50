export { Keyring, KeyringError, type KeyringKey, type SealedValue } from './keyring.js';
export { loadOrCreateKeyringFile, parseKeyring } from './keyring-file.js';
export { constantTimeEqual, generateAccessToken } from './tokens.js';
