// Importing each module declares its endpoints on secretsApi.
import './secret.js';
import './list.js';
