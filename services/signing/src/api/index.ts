// Importing each module declares its endpoints on signingApi.
import './keys.js';
