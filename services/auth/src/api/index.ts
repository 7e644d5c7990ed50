// Importing each module declares its endpoints on authApi.
import './clients.js';
import './client-lifecycle.js';
import './roles.js';
import './scopes.js';
import './authenticate.js';
import './audit.js';
import './identity-providers.js';
import './signin.js';
