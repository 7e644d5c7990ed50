import { runTool, ToolError } from '../run-tool.js';
import { replaceTableScript } from './nft-rules.js';

/**
 * One nftables table the engine owns, in the host's namespace or in a task's: loaded
 * atomically, then read back and compared with what was meant (S9). Nothing is trusted
 * from `nft`'s exit status alone: a table counts as loaded only when `nft list table`,
 * run afterwards, prints it exactly as written.
 */
export class Firewall {
  constructor(
    /** The nftables command (a path, or a name looked up in the system's PATH). */
    private readonly nft: string,
    readonly table: string,
    /** The task's namespace (`/run/netns/...`), or undefined for the host's. */
    private readonly netnsPath: string | undefined,
  ) {}

  private run(args: string[], input = ''): Promise<string> {
    if (this.netnsPath === undefined) return runTool(this.nft, args, input);
    return runTool('nsenter', [`--net=${this.netnsPath}`, '--', this.nft, ...args], input);
  }

  private get where(): string {
    return this.netnsPath === undefined ? "in the host's namespace" : "in the task's namespace";
  }

  /** Replaces the table with `printed` (one transaction) and proves it is in place. */
  async load(printed: string): Promise<void> {
    await this.commit(replaceTableScript(this.table, printed));
    const difference = await this.difference(printed);
    if (difference !== undefined) throw new Error(`nft reported success, but ${difference}`);
  }

  /**
   * Makes the table `printed` by adding `additions` to it (one transaction) and proves
   * it is in place. A table that then reads back otherwise (deleted or changed since it
   * was made) is replaced whole, as load() does.
   */
  async extend(printed: string, additions: string): Promise<void> {
    try {
      if (additions !== '') await this.commit(additions);
      if ((await this.difference(printed)) === undefined) return;
    } catch {
      // Replaced whole below; what went wrong then is what the task is told.
    }
    await this.load(printed);
  }

  /** Runs a script; a failure says which table and where, with nft's own words. */
  private async commit(script: string): Promise<void> {
    try {
      await this.run(['-f', '-'], script);
    } catch (err) {
      throw new Error(
        `nft could not load the firewall table ${this.table} ${this.where}: ${said(err)}`,
      );
    }
  }

  /**
   * Undefined when the table is loaded exactly as `printed`; otherwise what is wrong
   * (missing, or the first line that differs), in words.
   */
  async difference(printed: string): Promise<string | undefined> {
    let listed: string;
    try {
      listed = await this.run(['list', 'table', 'inet', this.table]);
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

function firstLines(text: string): string {
  return text.trim().split('\n').slice(0, 3).join('; ');
}

function said(err: unknown): string {
  return err instanceof ToolError ? firstLines(err.stderr) || err.message : (err as Error).message;
}
