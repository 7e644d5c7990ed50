// test-tier: unit
import { strict as assert } from 'node:assert';
import net from 'node:net';
import { test } from 'node:test';
import { HostVictim, ownAddresses } from '../host-victim.js';

function send(target: net.NetConnectOpts, text: string): Promise<string> {
  return new Promise((done, fail) => {
    const socket = net.connect(target, () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('end', () => done(answer));
    socket.on('error', fail);
  });
}

test('S7: the victim records which attack reached it, on loopback and in the abstract namespace', async () => {
  const victim = new HostVictim(`unit${process.pid}`);
  const { port, abstractName } = await victim.listen();
  try {
    const answer = await send({ host: '127.0.0.1', port }, 'GET /6/loopback HTTP/1.0\r\n\r\n');
    assert.match(answer, /bulwark-exercise-victim$/);
    await send({ path: `\0${abstractName}` }, 'GET /6/abstract-unix HTTP/1.0\r\n\r\n');
    await send({ host: '127.0.0.1', port }, 'no attack named\n');
    assert.deepEqual(victim.reached('loopback').length, 1);
    assert.match(victim.reached('loopback')[0]!.via, /^tcp .*127\.0\.0\.1$/);
    assert.deepEqual(victim.reached('abstract-unix'), [
      { method: 'abstract-unix', via: 'abstract-unix' },
    ]);
    assert.equal(victim.reached('unnamed').length, 1);
    assert.equal(victim.reached('gateway').length, 0);
  } finally {
    await victim.close();
  }
  // The list a task may connect to: this machine's own addresses, loopback first.
  assert.deepEqual(ownAddresses().slice(0, 2), ['127.0.0.1', '::1']);
});
