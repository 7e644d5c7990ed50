import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { deploymentIsLocal } from '../host-victim.js';
import { markedLines, python, runRedTeamTask, type FinishedTask } from '../red-team-tasks.js';
import { inconclusive, result, type AttackInfo } from '../verdicts.js';
import type { AttackResult, ExerciseContext } from '../types.js';

const MARK = 'EXERCISE-8';
const LISTEN_SECONDS = 15;
const KNOCK_EVERY_MS = 500;

/**
 * A shell server's first step: a listener the host can reach. It answers one line
 * naming the task and runs nothing; it stops after the first connection, or after
 * LISTEN_SECONDS.
 */
const LISTENER = String.raw`
import os, socket, select
port = int(os.environ['EXERCISE_SHELL_PORT'])
servers = []
for family, host in ((socket.AF_INET6, '::'), (socket.AF_INET, '0.0.0.0')):
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, port)); s.listen(4); servers.append(s)
    except OSError as e:
        print('EXERCISE-8 shell-bind %s %s' % (host, e), flush=True)
print('EXERCISE-8 shell-listening %d on %d socket(s)' % (port, len(servers)), flush=True)
ready, _, _ = select.select(servers, [], [], float(os.environ['EXERCISE_LISTEN_SECONDS']))
for s in ready:
    c, peer = s.accept()
    c.sendall(('bulwark-exercise-shell %s\n' % os.environ['TASK_ID']).encode())
    c.close()
    print('EXERCISE-8 shell-accepted %s' % (peer[0],), flush=True)
    break
print('EXERCISE-8 shell-done', flush=True)
`;

/** A port free on this machine's loopback just now (the task binds it; port 0 cannot be shared). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

/** Connects once to 127.0.0.1:port and reads at most one line; sends nothing. */
function knock(port: number): Promise<string | undefined> {
  return new Promise((done) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    const finish = (): void => {
      socket.destroy();
      done(text || undefined);
    };
    socket.setTimeout(2000, finish);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1').slice(0, 200);
      if (text.includes('\n')) finish();
    });
    socket.on('error', finish);
    socket.on('end', finish);
  });
}

/**
 * 8.shell-server: a task listens on every address of its network, and the exercise tries
 * to connect from this machine's loopback while it runs. BREACHED when the task's
 * listener answered.
 */
export async function shellServerAttack(context: ExerciseContext): Promise<AttackResult> {
  const info: AttackInfo = {
    goal: 8,
    id: '8.shell-server',
    title: 'listen for connections in a task and reach the listener from the host',
    invariants: ['S7', 'S8'],
  };
  if (!deploymentIsLocal(context.rootUrl)) {
    return inconclusive(info, 'the exercise connects from this machine: it needs the workers here');
  }
  const port = await freePort();
  let finished: FinishedTask | Error | undefined;
  const running = runRedTeamTask(context, {
    name: 'start a listener in the task',
    script: python(LISTENER),
    env: { EXERCISE_SHELL_PORT: String(port), EXERCISE_LISTEN_SECONDS: String(LISTEN_SECONDS) },
  }).then(
    (task) => (finished = task),
    (err: unknown) => (finished = err as Error),
  );
  let answer: string | undefined;
  const until = Date.now() + (LISTEN_SECONDS + 180) * 1000;
  while (finished === undefined && Date.now() < until && !context.signal.aborted) {
    const got = await knock(port);
    if (got?.startsWith('bulwark-exercise-shell ')) {
      answer = got.trim();
      break;
    }
    await sleep(KNOCK_EVERY_MS);
  }
  await running;
  const task = finished;
  if (task === undefined || task instanceof Error) {
    const why = task instanceof Error ? task.message.split('\n')[0] : 'no answer';
    return inconclusive(info, `the task could not be run: ${why ?? ''}`);
  }
  const lines = markedLines(task.log ?? '', MARK);
  const listening = lines.get('shell-listening');
  const evidence = {
    taskId: task.taskId,
    request: `connect to 127.0.0.1:${port} from this machine while the task ran`,
    logExcerpt: [...lines]
      .filter(([method]) => method.startsWith('shell-'))
      .map(([method, rest]) => `${MARK} ${method} ${rest}`)
      .join('\n'),
  };
  if (answer !== undefined) {
    return result(info, 'BREACHED', `the task's listener answered: ${answer}`, evidence);
  }
  if (listening === undefined || listening.endsWith('on 0 socket(s)')) {
    return inconclusive(info, `the task did not listen (${task.state})`, evidence);
  }
  return result(
    info,
    'BLOCKED',
    'the task listened, and nothing from the host reached it',
    evidence,
  );
}
