import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { FingerprintSet, PairFingerprinter } from './fingerprint-set.js';
import { MemoryReplayGuard } from './replay-guard.js';

const RUNS = Number(process.env.BULWARK_FUZZ_RUNS ?? 200);

test('FingerprintSet answers as a Set of the same fingerprints would, through its growth', () => {
  const word = fc.oneof(
    fc.constantFrom(0, 1, 0xffffffff, 0x80000000),
    fc.integer({ min: 0, max: 0xffffffff }),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(word, word), { maxLength: 3000 }), (pairs) => {
      const set = new FingerprintSet(16);
      const reference = new Set<string>();
      // Every pair twice, the second time interleaved with later ones.
      for (const [high, low] of [...pairs, ...pairs.slice().reverse()]) {
        const key = `${high}:${low}`;
        assert.equal(set.add(high, low), !reference.has(key), key);
        reference.add(key);
      }
      assert.equal(set.size, reference.size);
    }),
    { numRuns: RUNS },
  );
  // (0, 0), the empty-slot marker, is still a fingerprint like any other.
  const set = new FingerprintSet();
  assert.equal(set.add(0, 0), true);
  assert.equal(set.add(0, 0), false);
});

test('fingerprints are deterministic per seed, differ across seeds, and do not collide', () => {
  const seeded = new PairFingerprinter(Buffer.from('0123456789abcdef', 'hex'));
  const again = new PairFingerprinter(Buffer.from('0123456789abcdef', 'hex'));
  const other = new PairFingerprinter(Buffer.from('fedcba9876543210', 'hex'));
  const of = (f: PairFingerprinter, a: string, b: string): string => {
    f.fingerprint(a, b);
    return `${f.high}:${f.low}`;
  };
  assert.equal(of(seeded, 'client', 'nonce'), of(again, 'client', 'nonce'));
  assert.notEqual(of(seeded, 'client', 'nonce'), of(other, 'client', 'nonce'));

  // Many similar pairs: shifted boundaries, one character apart, Unicode, empty strings.
  const seen = new Map<string, string>();
  const record = (a: string, b: string): void => {
    const fingerprint = of(seeded, a, b);
    const pair = JSON.stringify([a, b]);
    const earlier = seen.get(fingerprint);
    assert.ok(earlier === undefined || earlier === pair, `${pair} collides with ${earlier}`);
    seen.set(fingerprint, pair);
  };
  for (let i = 0; i < 100_000; i++) record('static/bench', i.toString(36));
  for (let i = 0; i < 2_000; i++) {
    const s = `c${i}:n${i}`;
    for (let cut = 0; cut <= s.length; cut++) record(s.slice(0, cut), s.slice(cut));
  }
  record('', '');
  record('\u{1f600}', '');
  record('\ud83d', '\ude00');
});

test('S13: the memory replay guard agrees with a plain set of (client, second, nonce)', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.constantFrom('a', 'b', 'a:b', 'ab', ''),
          fc.integer({ min: 0, max: 3 }),
          fc.constantFrom('n', 'n1', ':n', 'b:n', ''),
        ),
        { maxLength: 300 },
      ),
      (requests) => {
        const guard = new MemoryReplayGuard(2);
        const reference = new Set<string>();
        for (const [clientId, second, nonce] of requests) {
          const key = JSON.stringify([clientId, second, nonce]);
          const ts = 1_800_000_000 + second;
          assert.equal(guard.firstUse(clientId, ts, nonce), !reference.has(key), key);
          reference.add(key);
        }
        assert.equal(guard.size, reference.size);
      },
    ),
    { numRuns: RUNS },
  );
});
