import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import apis from 'taskcluster-client/src/apis.js';
import { authApi } from '@bulwark/auth-service';
import { objectApi, queueApi } from '@bulwark/queue-service';
import { secretsApi } from '@bulwark/secrets-service';
import type { ApiDefinition } from '@bulwark/api';
import { startTestPlatform, type TestPlatform } from '../testing.js';

interface ReferenceEntry {
  type: string;
  name: string;
  method: string;
  route: string;
}

const references = (apis as unknown as { default?: typeof apis }).default ?? apis;
const clientReference = (service: string): ReferenceEntry[] =>
  (references as unknown as Record<string, { reference: { entries: ReferenceEntry[] } }>)[
    service
  ]!.reference.entries.filter((e) => e.type === 'function');

/**
 * What Bulwark deliberately lacks or adds beside the functions `taskcluster-client`
 * knows, service by service. A change to either side fails the test until this list
 * says why.
 */
const DIFFERENCES: Record<string, { lacks: Record<string, string>; adds: Record<string, string> }> =
  {
    Auth: {
      lacks: {
        awsS3Credentials: 'no cloud credential brokering: tasks reach no cloud account (S2, S7)',
        azureAccounts: 'no cloud credential brokering',
        azureTables: 'no cloud credential brokering',
        azureTableSAS: 'no cloud credential brokering',
        azureContainers: 'no cloud credential brokering',
        azureContainerSAS: 'no cloud credential brokering',
        gcpCredentials: 'no cloud credential brokering',
        sentryDSN: 'no third-party error reporting',
        websocktunnelToken: 'no websocktunnel: workers serve nothing to the network',
      },
      adds: {
        verifyAuditLog: 'the hash-chained audit log (S14)',
        // Taskcluster signs people in through its web server, not its auth service (D37).
        listIdentityProviders: 'sign-in through OpenID Connect providers (D37)',
        identityProvider: 'sign-in through OpenID Connect providers (D37)',
        createIdentityProvider: 'sign-in through OpenID Connect providers (D37)',
        updateIdentityProvider: 'sign-in through OpenID Connect providers (D37)',
        deleteIdentityProvider: 'sign-in through OpenID Connect providers (D37)',
        startSignIn: 'sign-in through OpenID Connect providers (D37)',
        finishSignIn: 'sign-in through OpenID Connect providers (D37)',
        startDeviceSignIn: 'sign-in through OpenID Connect providers (D37)',
        pollDeviceSignIn: 'sign-in through OpenID Connect providers (D37)',
        signOut: 'sign-out ends sign-in credentials before they expire (D37)',
        revokeLogins: 'ends every sign-in of one person at once (D37)',
      },
    },
    Queue: {
      lacks: {
        claimTask: 'deprecated in Taskcluster; claimWork is the only claim',
        listProvisioners: 'provisioners are gone from Taskcluster too; pools are task queues',
        getProvisioner: 'see listProvisioners',
        declareProvisioner: 'see listProvisioners',
        listWorkerTypes: 'see listProvisioners',
        getWorkerType: 'see listProvisioners',
        declareWorkerType: 'see listProvisioners',
      },
      adds: {
        changeTaskPriority: 'newer Taskcluster queues have it; this client version does not',
        changeTaskGroupPriority: 'newer Taskcluster queues have it; this client version does not',
        taskEvents: 'server-sent task events, without AMQP',
        taskGroupEvents: 'server-sent task-group events, without AMQP',
        provenanceKeys: 'the public keys that verify task provenance (S17)',
        rotateProvenanceKey: 'rotates the control plane’s provenance signing key (S17)',
      },
    },
    Secrets: { lacks: {}, adds: {} },
    Object: {
      lacks: {
        object: 'objects are artifact data only, named by the queue, not by clients',
        download: 'the client downloads through startDownload',
      },
      adds: {
        uploadData: 'where createUpload’s signed PUT URL points (data into the blob store)',
        downloadData: 'where startDownload’s signed URL points',
        appendLiveLog: 'the worker sends the live log through the API (no worker-served URL)',
        liveLog: 'the live log, behind the artifact scope',
      },
    },
  };

const SERVICES: [string, ApiDefinition<never>][] = [
  ['Auth', authApi],
  ['Queue', queueApi],
  ['Secrets', secretsApi],
  ['Object', objectApi],
];

for (const [service, definition] of SERVICES) {
  test(`${service}: every function shared with taskcluster-client has its method and route`, () => {
    const theirs = clientReference(service);
    const ours = new Map(definition.endpoints.map((e) => [e.name, e]));
    for (const entry of theirs) {
      const endpoint = ours.get(entry.name);
      if (!endpoint) continue;
      assert.equal(endpoint.method.toLowerCase(), entry.method, `${service}.${entry.name} method`);
      assert.equal(endpoint.route, entry.route, `${service}.${entry.name} route`);
    }
    const lacks = theirs.filter((e) => !ours.has(e.name)).map((e) => e.name);
    const adds = [...ours.keys()].filter((name) => !theirs.some((e) => e.name === name));
    const expected = DIFFERENCES[service]!;
    assert.deepEqual(lacks.sort(), Object.keys(expected.lacks).sort(), `what ${service} lacks`);
    assert.deepEqual(adds.sort(), Object.keys(expected.adds).sort(), `what ${service} adds`);
  });
}

let running: TestPlatform;
before(async () => {
  running = await startTestPlatform();
});
after(() => running.stop());

test('each service answers its standard endpoints through the published client', async () => {
  for (const Service of ['Auth', 'Queue', 'Secrets'] as const) {
    const client = new taskcluster[Service]({ rootUrl: running.platform.rootUrl, retries: 0 });
    assert.deepEqual(await client.lbheartbeat!(), {});
    assert.deepEqual(await client.heartbeat!(), {});
    assert.equal(((await client.version!()) as { source: string }).source, 'bulwark');
    assert.equal(((await client.ping!()) as { alive: boolean }).alive, true);
  }
});
