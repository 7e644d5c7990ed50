import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * The three btrfs ioctls a task's start needs, done by one long-lived helper process
 * instead of a `btrfs` process per call: Node cannot issue an ioctl, and starting the
 * tool twice per task cost about 8 ms of CPU on a 2-core worker, taken from the tasks
 * running beside it. The helper is the system's python3 (already needed by the
 * self-test) running the program below: one JSON request per line on stdin, one JSON
 * answer per line on stdout, one request at a time. It runs as the worker (root),
 * never as a task, and exits when its stdin closes.
 *
 * Layouts (linux/btrfs.h): btrfs_ioctl_vol_args {s64 fd; char name[4088]};
 * btrfs_ioctl_qgroup_limit_args {u64 qgroupid; {u64 flags, max_rfer, max_excl,
 * rsv_rfer, rsv_excl}} (qgroupid 0: the subvolume of the descriptor);
 * btrfs_ioctl_ino_lookup_args {u64 treeid; u64 objectid; char name[4080]} (treeid 0
 * and the subvolume's root inode: the kernel answers with the subvolume's id).
 * Buffers are mutable: Python copies immutable ioctl arguments into 1024 bytes only.
 */
const PROGRAM = `
import fcntl, json, os, struct, sys
SUBVOL_CREATE = 0x5000940e
QGROUP_LIMIT = 0x8030942b
INO_LOOKUP = 0xd0009412
LIMIT_MAX_RFER = 1
ROOT_INO = 256

def opendir(path):
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)

def limit_and_id(path, limit):
    fd = opendir(path)
    try:
        fcntl.ioctl(fd, QGROUP_LIMIT, bytearray(struct.pack("=6Q", 0, LIMIT_MAX_RFER, limit, 0, 0, 0)), True)
        lookup = bytearray(struct.pack("=2Q4080s", 0, ROOT_INO, b""))
        fcntl.ioctl(fd, INO_LOOKUP, lookup, True)
        return struct.unpack_from("=Q", lookup)[0]
    finally:
        os.close(fd)

def create(parent, name):
    encoded = name.encode()
    if not encoded or b"/" in encoded or len(encoded) > 255:
        raise ValueError("bad subvolume name")
    fd = opendir(parent)
    try:
        fcntl.ioctl(fd, SUBVOL_CREATE, bytearray(struct.pack("=q4088s", 0, encoded)), True)
    finally:
        os.close(fd)

for line in sys.stdin:
    try:
        request = json.loads(line)
        if request["op"] == "create":
            create(request["parent"], request["name"])
            path = os.path.join(request["parent"], request["name"])
        else:
            path = request["path"]
        answer = {"id": limit_and_id(path, int(request["limit"]))}
    except OSError as e:
        answer = {"error": os.strerror(e.errno)}
    except Exception as e:
        answer = {"error": str(e)}
    sys.stdout.write(json.dumps(answer) + "\\n")
    sys.stdout.flush()
`;

type Request =
  | { op: 'create'; parent: string; name: string; limit: number }
  | { op: 'limit'; path: string; limit: number };

export class BtrfsHelper {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly waiting: ((answer: { id?: number; error?: string }) => void)[] = [];
  /** Requests go one at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  /** Makes subvolume `name` in `parent`, limits it to `bytes`; resolves with its id. */
  createLimited(parent: string, name: string, bytes: number): Promise<number> {
    return this.send({ op: 'create', parent, name, limit: bytes });
  }

  /** Limits the subvolume whose root is `path` to `bytes`; resolves with its id. */
  limit(path: string, bytes: number): Promise<number> {
    return this.send({ op: 'limit', path, limit: bytes });
  }

  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private send(request: Request): Promise<number> {
    const done = this.queue.then(
      () =>
        new Promise<number>((resolve, reject) => {
          const child = this.start();
          this.waiting.push((answer) => {
            if (typeof answer.id === 'number') resolve(answer.id);
            else reject(new Error(`btrfs ${request.op}: ${answer.error ?? 'no answer'}`));
          });
          child.stdin.write(`${JSON.stringify(request)}\n`);
        }),
    );
    this.queue = done.catch(() => undefined);
    return done;
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child && this.child.exitCode === null && !this.child.killed) return this.child;
    const child = spawn('/usr/bin/python3', ['-I', '-c', PROGRAM], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    this.child = child;
    child.stdin.on('error', () => undefined);
    child.stderr.resume();
    createInterface({ input: child.stdout }).on('line', (line) => {
      let answer: { id?: number; error?: string };
      try {
        answer = JSON.parse(line) as { id?: number; error?: string };
      } catch {
        answer = { error: 'the helper said something else than JSON' };
      }
      this.waiting.shift()?.(answer);
    });
    const fail = (): void => {
      if (this.child === child) this.child = undefined;
      for (const answer of this.waiting.splice(0)) answer({ error: 'the helper stopped' });
    };
    child.once('exit', fail);
    child.once('error', fail);
    return child;
  }
}
