import { markedLines, python, runRedTeamTask, type FinishedTask } from '../red-team-tasks.js';
import type { HostVictim } from '../host-victim.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext } from '../types.js';

export const MARK = 'EXERCISE-6';

/**
 * The task tries every way to another host it can find. Safe by construction: it
 * connects only to this machine's own addresses (EXERCISE_SAFE, the exercise's list) at
 * the victim's port, and to the victim's abstract socket. An address it learns that is
 * not this machine's (a gateway, a metadata address) it only looks up a route for, with
 * connect() on a UDP socket, which sends nothing. A vsock socket is only created, never
 * connected: the host's CID is the hypervisor when this machine is a VM.
 */
const PROBE = String.raw`
import os, socket, struct, errno
port = int(os.environ['EXERCISE_PORT'])
safe = set(os.environ['EXERCISE_SAFE'].split(','))
def report(method, state, what):
    print('EXERCISE-6 %s %s %s' % (method, state, ' '.join(str(what).split())[:400]), flush=True)
def knock(method, family, address):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect(address)
        s.sendall(('GET /6/%s HTTP/1.0\r\n\r\n' % method).encode())
        answer = s.recv(200)
        return 'connected (%s)' % answer.decode('latin1').split('\r\n\r\n')[-1][:40]
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e))
    finally:
        s.close()
def family_of(address):
    return socket.AF_INET6 if ':' in address else socket.AF_INET
def route(address):
    s = socket.socket(family_of(address), socket.SOCK_DGRAM)
    try:
        s.connect((address, 9))
        return 'route'
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e))
    finally:
        s.close()
def tried(method, addresses):
    seen = []
    for a in sorted(addresses)[:32]:
        if a in safe:
            seen.append('%s:%s' % (a, knock(method, family_of(a), (a, port))))
        else:
            seen.append('%s:%s(not this machine, not contacted)' % (a, route(a)))
    return seen
# The loopback of the host, when the task shares it.
seen = tried('loopback', ['127.0.0.1', '::1'])
report('loopback', 'TRIED', seen)
# Every address of its interfaces the task can learn, and what its name resolves to.
learned = set()
try:
    text = open('/proc/net/fib_trie').read().split('\n')
    for i, line in enumerate(text):
        if '/32 host LOCAL' in line and i > 0:
            learned.add(text[i - 1].split()[-1])
except OSError:
    pass
try:
    for line in open('/proc/net/if_inet6'):
        h = line.split()[0]
        a = socket.inet_ntop(socket.AF_INET6, bytes.fromhex(h))
        if not a.startswith('fe80'):
            learned.add(a)
except OSError:
    pass
try:
    for info in socket.getaddrinfo(socket.gethostname(), None):
        learned.add(info[4][0])
except OSError:
    pass
learned -= {'127.0.0.1', '::1'}
learned = {a for a in learned if not a.startswith('127.')}
seen = tried('host-addresses', learned)
report('host-addresses', 'TRIED', seen or ['no address but loopback'])
# The gateways of its routes.
gateways = set()
try:
    for line in open('/proc/net/route').read().split('\n')[1:]:
        f = line.split()
        if len(f) > 2 and f[2] != '00000000':
            gateways.add(socket.inet_ntoa(struct.pack('<I', int(f[2], 16))))
except OSError:
    pass
try:
    for line in open('/proc/net/ipv6_route'):
        g = line.split()[4]
        if g != '0' * 32:
            gateways.add(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(g)))
except OSError:
    pass
seen = tried('gateway', gateways)
report('gateway', 'OPEN' if gateways else 'SHUT', seen or ['no route has a gateway'])
# Metadata-style addresses: a route to them is the finding; they are never contacted.
seen = ['%s:%s' % (a, route(a)) for a in ['169.254.169.254', 'fd00:ec2::254']]
report('metadata', 'OPEN' if any(s.endswith(':route') for s in seen) else 'SHUT', seen)
# The victim's abstract unix socket (the abstract namespace belongs to the network namespace).
# Node binds the whole sun_path: the name padded with NULs to 108 bytes.
abstract = ('\0' + os.environ['EXERCISE_ABSTRACT']).ljust(108, '\0')
report('abstract-unix', 'TRIED', knock('abstract-unix', socket.AF_UNIX, abstract))
# vsock goes to the hypervisor whatever the network namespace: creating one is the finding.
try:
    v = socket.socket(getattr(socket, 'AF_VSOCK', 40), socket.SOCK_STREAM)
    v.close()
    report('vsock', 'OPEN', 'an AF_VSOCK socket was created (the host CID was not contacted)')
except OSError as e:
    report('vsock', 'SHUT', 'socket(AF_VSOCK): %s' % errno.errorcode.get(e.errno, str(e)))
print('EXERCISE-6 done', flush=True)
`;

const METHODS: [string, string][] = [
  ['loopback', 'reach a listener on the host’s loopback'],
  ['host-addresses', 'reach a listener on every address of the host the task can learn'],
  ['gateway', 'reach the gateway of the task’s network'],
  ['metadata', 'reach a metadata-style address (169.254.169.254, fd00:ec2::254)'],
  ['abstract-unix', 'reach a listener in the host’s abstract unix socket namespace'],
  ['vsock', 'open an AF_VSOCK socket to the host'],
];

/**
 * Goal 6's direct paths out of a task: the loopback, the host's addresses, the gateway,
 * metadata-style addresses, abstract unix sockets, vsock. A method is BREACHED when the
 * victim on this machine recorded it, or when the task found a route or socket that
 * leads off it (the target is then never contacted).
 */
export async function networkAttacks(
  context: ExerciseContext,
  victim: HostVictim,
  victimAt: { port: number; abstractName: string; safe: string[] },
): Promise<AttackResult[]> {
  const infos = METHODS.map(([id, title]): AttackInfo => ({
    goal: 6,
    id: `6.${id}`,
    title,
    invariants: ['S7'],
  }));
  let task: FinishedTask;
  try {
    task = await runRedTeamTask(context, {
      name: 'reach the host and other hosts',
      script: python(PROBE),
      env: {
        EXERCISE_PORT: String(victimAt.port),
        EXERCISE_ABSTRACT: victimAt.abstractName,
        EXERCISE_SAFE: victimAt.safe.join(','),
      },
    });
  } catch (err) {
    const why = `the task could not be created: ${(err as Error).message.split('\n')[0] ?? ''}`;
    return infos.map((info) => inconclusive(info, why));
  }
  const lines = markedLines(task.log ?? '', MARK);
  return infos.map((info) => {
    const method = info.id.slice(2);
    const line = lines.get(method);
    const hits = victim.reached(method);
    const evidence = {
      taskId: task.taskId,
      logExcerpt: line === undefined ? (task.log ?? '').slice(-600) : `${MARK} ${method} ${line}`,
      notes: [`the victim on this machine was reached ${hits.length} time(s) by this method`],
    };
    if (hits.length > 0) {
      const via = [...new Set(hits.map((hit) => hit.via))].join(', ');
      return result(info, 'BREACHED', `the victim on this machine was reached (${via})`, evidence);
    }
    if (line === undefined) {
      return inconclusive(info, `the task did not report this probe (${task.state})`, evidence);
    }
    if (line.startsWith('OPEN')) {
      return result(info, 'BREACHED', 'the task has a way off its sandbox here', evidence);
    }
    return result(info, 'BLOCKED', 'nothing was reached and no way out was found', evidence);
  });
}
