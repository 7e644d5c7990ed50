import { runTool, ToolError } from '../run-tool.js';
import { replaceTableScript } from './nft-rules.js';

/**
 * One nftables table the engine owns, in the host's namespace or in a task's: loaded
 * atomically, then read back and compared with what was meant (S9). Nothing is trusted
 * from `nft`'s exit status alone: a table counts as loaded only when `nft list table`
 * prints it exactly as written.
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

  /** Loads a script; a failure says which table and where, with nft's own words. */
  private async runScript(script: string): Promise<void> {
    try {
      await this.run(['-f', '-'], script);
    } catch (err) {
      const said =
        err instanceof ToolError ? err.stderr.trim().split('\n').slice(0, 3).join('; ') : '';
      throw new Error(
        `nft could not load the firewall table ${this.table} ${this.where}: ${said || (err as Error).message}`,
      );
    }
  }

  private get where(): string {
    return this.netnsPath === undefined ? "in the host's namespace" : "in the task's namespace";
  }

  /** Replaces the table with `printed` and proves it is in place; throws saying what differs. */
  async load(printed: string): Promise<void> {
    await this.runScript(replaceTableScript(this.table, printed));
    const difference = await this.difference(printed);
    if (difference !== undefined) {
      throw new Error(`nft reported success, but ${difference}`);
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
      return `the firewall table ${this.table} ${this.where} could not be read: ${(err as Error).message}`;
    }
    const want = printed.trimEnd().split('\n');
    const have = listed.trimEnd().split('\n');
    if (have.length === 1 && have[0] === '') {
      return `the firewall table ${this.table} ${this.where} is missing (nft listed nothing)`;
    }
    for (let i = 0; i < Math.max(want.length, have.length); i++) {
      if (want[i] !== have[i]) {
        const found = have[i] === undefined ? 'nothing' : JSON.stringify(have[i]?.trim());
        const meant = want[i] === undefined ? 'nothing' : JSON.stringify(want[i]?.trim());
        return `the firewall table ${this.table} ${this.where} differs from the one meant at line ${i + 1}: ${found} where ${meant} was meant`;
      }
    }
    return undefined;
  }

  /** Deletes the table; a table that is not there is fine. */
  async delete(): Promise<void> {
    await this.run(['delete', 'table', 'inet', this.table]).catch((err: unknown) => {
      if (!(err instanceof ToolError && err.stderr.includes('No such file or directory')))
        throw err;
    });
  }
}
