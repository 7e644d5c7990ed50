// The published browser client as any page would bundle it; the test drives it.
import * as taskclusterWeb from 'taskcluster-client-web';

(window as unknown as { taskclusterWeb: unknown }).taskclusterWeb = taskclusterWeb;
