import { runToolOutput, ToolError } from '../run-tool.js';
import { replaceTableScript } from './nft-rules.js';

/**
 * One nftables table the engine owns, in the host's namespace or in a task's: loaded
 * atomically, then read back and compared with what was meant (S9). Nothing is trusted
 * from `nft`'s exit status: a table counts as loaded only when `nft list table` prints
 * it exactly as written.
 */
export class Firewall {
  constructor(
    /** The nftables command (a path, or a name looked up in the system's PATH). */
    private readonly nft: string,
    readonly table: string,
    /** The task's namespace (`/run/netns/...`), or undefined for the host's. */
    private readonly netnsPath: string | undefined,
  ) {}

  private run(args: string[], input = ''): Promise<{ stdout: string; stderr: string }> {
    if (this.netnsPath === undefined) return runToolOutput(this.nft, args, input);
    return runToolOutput('nsenter', [`--net=${this.netnsPath}`, '--', this.nft, ...args], input);
  }

  private get where(): string {
    return this.netnsPath === undefined ? "in the host's namespace" : "in the task's namespace";
  }

  /**
   * Replaces the table with `printed` and proves it is in place, in one nft process:
   * in interactive mode nft runs each line as a command of its own, so the `list` on
   * the second line reads the table back from the kernel after the first line's
   * transaction committed. (A second process would cost the task about 10 ms more: nft
   * waits for the kernel when it lets go of its netlink socket after a change.) In that
   * mode nft's exit status says nothing of the commands, so only the read-back counts;
   * what nft said goes into the error.
   */
  async load(printed: string): Promise<void> {
    const script = `${oneLine(replaceTableScript(this.table, printed))}\nlist table inet ${this.table}\n`;
    let output: { stdout: string; stderr: string };
    try {
      output = await this.run(['-i'], script);
    } catch (err) {
      throw new Error(
        `nft could not load the firewall table ${this.table} ${this.where}: ${said(err)}`,
      );
    }
    const difference = compare(printed, output.stdout);
    if (difference === undefined) return;
    const complaint = firstLines(output.stderr);
    throw new Error(
      complaint === ''
        ? `nft reported success, but the firewall table ${this.table} ${this.where} ${difference}`
        : `nft could not load the firewall table ${this.table} ${this.where}: ${complaint} (the table ${difference})`,
    );
  }

  /**
   * Undefined when the table is loaded exactly as `printed`; otherwise what is wrong
   * (missing, or the first line that differs), in words.
   */
  async difference(printed: string): Promise<string | undefined> {
    let listed: string;
    try {
      listed = (await this.run(['list', 'table', 'inet', this.table])).stdout;
    } catch (err) {
      if (err instanceof ToolError && err.stderr.includes('No such file or directory')) {
        return `the firewall table ${this.table} ${this.where} is missing`;
      }
      return `the firewall table ${this.table} ${this.where} could not be read: ${said(err)}`;
    }
    const difference = compare(printed, listed);
    return difference === undefined
      ? undefined
      : `the firewall table ${this.table} ${this.where} ${difference}`;
  }

  /** Deletes the table; a table that is not there is fine. */
  async delete(): Promise<void> {
    await this.run(['delete', 'table', 'inet', this.table]).catch((err: unknown) => {
      if (!(err instanceof ToolError && err.stderr.includes('No such file or directory')))
        throw err;
    });
  }
}

/** How `listed` differs from `printed` ("is missing", "differs ... at line N"), or undefined. */
function compare(printed: string, listed: string): string | undefined {
  const want = printed.trimEnd().split('\n');
  const have = listed.trimEnd().split('\n');
  if (have.length === 1 && have[0] === '') return 'is missing (nft listed nothing)';
  for (let i = 0; i < Math.max(want.length, have.length); i++) {
    if (want[i] !== have[i]) {
      const found = have[i] === undefined ? 'nothing' : JSON.stringify(have[i]?.trim());
      const meant = want[i] === undefined ? 'nothing' : JSON.stringify(want[i]?.trim());
      return `differs from the one meant at line ${i + 1}: ${found} where ${meant} was meant`;
    }
  }
  return undefined;
}

/**
 * A script on one line (one interactive command, so one transaction): statements are
 * separated by `;`, which nft reads as it reads line ends.
 */
function oneLine(script: string): string {
  return script
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line, i, lines) => (line.endsWith('{') || i === lines.length - 1 ? line : `${line};`))
    .join(' ');
}

function firstLines(text: string): string {
  return text.trim().split('\n').slice(0, 3).join('; ');
}

function said(err: unknown): string {
  return err instanceof ToolError ? firstLines(err.stderr) || err.message : (err as Error).message;
}
