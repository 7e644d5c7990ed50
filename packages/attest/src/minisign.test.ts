import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { generateMinisignKey, minisignKeyFromPem, verifyMinisign } from './index.js';

const run = promisify(execFile);
const MINISIGN = '/usr/bin/minisign';
const skip = existsSync(MINISIGN)
  ? false
  : 'minisign is not installed (scripts/system-packages.sh --tests)';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bulwark-minisign-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test(
  'a minisign signature verifies with Debian’s minisign, and with the trusted comment it carries',
  { skip },
  async () => {
    const key = generateMinisignKey();
    const content = Buffer.from('a release binary\n');
    const file = join(dir, 'app.bin');
    await writeFile(file, content);
    await writeFile(`${file}.minisig`, key.signFile(content, 'task abc artifact public/app.bin'));
    await writeFile(join(dir, 'key.pub'), key.publicKeyFile);
    const { stdout } = await run(MINISIGN, ['-V', '-m', file, '-p', join(dir, 'key.pub')]);
    assert.match(stdout, /Signature and comment signature verified/);
    assert.match(stdout, /Trusted comment: task abc artifact public\/app.bin/);
    assert.equal(verifyMinisign(content, key.signFile(content, 'c'), key.publicKeyBase64), 'c');
    const again = minisignKeyFromPem(key.exportPrivatePem(), key.keyIdBytes.toString('hex'));
    assert.equal(again.publicKeyBase64, key.publicKeyBase64);
  },
);

test(
  'minisign refuses a changed file, another key, and a changed trusted comment',
  { skip },
  async () => {
    const key = generateMinisignKey();
    const content = Buffer.from('a release binary\n');
    const file = join(dir, 'changed.bin');
    const signature = key.signFile(content, 'the original comment');
    await writeFile(`${file}.minisig`, signature);
    const refused = async (data: Buffer, publicKey: string): Promise<void> => {
      await writeFile(file, data);
      await assert.rejects(run(MINISIGN, ['-V', '-m', file, '-P', publicKey]));
    };
    await refused(Buffer.from('a malicious binary\n'), key.publicKeyBase64);
    await refused(content, generateMinisignKey().publicKeyBase64);
    await writeFile(
      `${file}.minisig`,
      signature.replace('the original comment', 'another comment'),
    );
    await refused(content, key.publicKeyBase64);
    assert.equal(verifyMinisign(Buffer.from('x'), signature, key.publicKeyBase64), undefined);
  },
);
