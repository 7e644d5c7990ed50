// Importing each module declares its endpoints on queueApi.
import './tasks.js';
import './claims.js';
import './resolution.js';
import './scheduling.js';
import './task-groups.js';
import './task-queues.js';
import './workers.js';
import './artifacts.js';
import './events.js';
import './provenance.js';
