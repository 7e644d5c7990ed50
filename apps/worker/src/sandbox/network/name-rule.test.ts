import { strict as assert } from 'node:assert';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { detectCgroupVersion, type CgroupVersion } from '../cgroup.js';
import { destroyLeftovers } from '../recovery.js';
import { SandboxEngine } from '../sandbox-engine.js';
import { PORTS, TestDestination } from './test-destination.js';
import { allowlist, probe } from './test-probe.js';

/**
 * S7: the rule for names (docs/decisions.md, D26). A permitted name is resolved by the
 * worker when each task starts, through a resolver this test controls, and may lead a
 * task only to public addresses. Re-pointing it between tasks at an internal service,
 * a metadata address or a neighbour of the worker (DNS rebinding) refuses the task
 * before it runs; an internal address listed as an address is still reachable.
 */
const PREFIX = `bulwark-names${process.pid}`;
const NAME = 'service.bulwark-test.example';
/** What the test's resolver answers for NAME; the test re-points it between tasks. */
let answer: string[] = [];
let engine: SandboxEngine;
let version: CgroupVersion;
let scratch: string;
let destination: TestDestination;

before(async () => {
  version = await detectCgroupVersion();
  engine = new SandboxEngine({
    cgroupVersion: version,
    prefix: PREFIX,
    uid: 61000,
    gid: 61000,
    network: {
      resolveName: (name) => Promise.resolve(name === NAME ? answer : []),
    },
  });
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-names-test-'));
  await chmod(scratch, 0o711);
  destination = await TestDestination.create(process.pid + 193);
});

after(async () => {
  await destination?.close();
  await destroyLeftovers({ prefix: PREFIX, cgroupVersion: version, taskDirParents: [] });
  await rm(scratch, { recursive: true, force: true });
});

const byName = `${NAME}:${PORTS.allowed}`;
const runByName = () => probe(engine, scratch, [byName], allowlist([NAME, PORTS.allowed]));

test('S7: a permitted name re-pointed between tasks at an internal address refuses the next task before it runs', async () => {
  answer = [destination.publicAddress];
  const first = await runByName();
  assert.equal(first.seen.get(byName), 'allowed', JSON.stringify(first));

  for (const [internal, why] of [
    // Each of these is served by the test's namespace: the task would reach it.
    [destination.neighbourAddress, /worker host's own network/],
    [destination.address, /benchmarking address/],
    [destination.metadataAddress, /link-local/],
    // And the ranges where the services of a worker's network live.
    ['10.20.30.40', /private address/],
    ['172.16.0.1', /private address/],
    ['192.168.1.1', /private address/],
    ['100.100.100.200', /carrier-grade NAT/],
    ['127.0.0.1', /loopback/],
    ['168.63.129.16', /Azure/],
  ] as const) {
    answer = [internal];
    const r = await runByName();
    assert.equal(r.outcome, 'failed-to-start', `${internal}: ${JSON.stringify(r)}`);
    assert.match(r.message ?? '', why, internal);
    assert.ok(r.message?.includes(`resolved to ${internal}`), r.message);
    assert.equal(r.stdout, '', 'the task never ran');
  }

  // One internal address among public ones is enough to refuse the name.
  answer = [destination.publicAddress, destination.neighbourAddress];
  assert.equal((await runByName()).outcome, 'failed-to-start');
  // A resolver's answer that is not a plain address is not used.
  answer = ['010.250.000.002'];
  assert.match((await runByName()).message ?? '', /not an IPv4 address/);

  // The rule is about where a name leads, not a pin: back to a public address, it works.
  answer = [destination.publicAddress];
  assert.equal((await runByName()).seen.get(byName), 'allowed');
});

test('S7: an internal address the pool lists as an address is reachable; the same address behind a name is not', async () => {
  const listed = `${destination.neighbourAddress}:${PORTS.allowed}`;
  const r = await probe(
    engine,
    scratch,
    [listed],
    allowlist([destination.neighbourAddress, PORTS.allowed]),
  );
  assert.equal(r.seen.get(listed), 'allowed', JSON.stringify(r));
  answer = [destination.neighbourAddress];
  assert.equal((await runByName()).outcome, 'failed-to-start');
  await engine.networksRemoved();
});
