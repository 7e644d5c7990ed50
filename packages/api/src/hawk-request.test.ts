// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { hawkRequestInfo } from './hawk-request.js';

/** Just what hawkRequestInfo reads of a Fastify request. */
function request(headers: Record<string, string>): FastifyRequest {
  return {
    headers,
    method: 'GET',
    url: '/api/auth/v1/ping',
    get ip() {
      return '127.0.0.1';
    },
  } as unknown as FastifyRequest;
}

const hostOf = (host: string, extra: Record<string, string> = {}) => {
  const info = hawkRequestInfo(request({ host, ...extra }));
  return info && { host: info.host, port: info.port };
};

test('the signed host and port come from the Host header, as Taskcluster derives them', () => {
  // Twice each: the second answer comes from the cache of parsed headers and must agree.
  for (let round = 0; round < 2; round++) {
    assert.deepEqual(hostOf('Example.COM:8080'), { host: 'example.com', port: 8080 });
    assert.deepEqual(hostOf('example.com'), { host: 'example.com', port: 80 });
    assert.deepEqual(hostOf('[::1]:9000'), { host: '::1', port: 9000 });
    assert.deepEqual(hostOf('example.com', { 'x-forwarded-proto': 'https' }), {
      host: 'example.com',
      port: 443,
    });
    assert.deepEqual(hostOf('example.com:80', { 'x-forwarded-port': '8443' }), {
      host: 'example.com',
      port: 8443,
    });
    for (const bad of ['', 'a:b:c', '[::1', 'host:123456', 'x'.repeat(256)]) {
      assert.equal(hostOf(bad), undefined, bad);
    }
  }
});

test('many different Host headers neither grow the cache without bound nor change answers', () => {
  for (let i = 0; i < 1000; i++) {
    assert.deepEqual(hostOf(`host-${i}.example:${1000 + i}`), {
      host: `host-${i}.example`,
      port: 1000 + i,
    });
  }
  assert.deepEqual(hostOf('host-1.example:1001'), { host: 'host-1.example', port: 1001 });
  assert.equal(hawkRequestInfo(request({ host: 'a' }))?.sourceIp, '127.0.0.1');
});
