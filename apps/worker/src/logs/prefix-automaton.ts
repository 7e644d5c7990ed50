/**
 * An Aho-Corasick automaton over a set of strings, used for one question: how long is
 * the longest end of a text that is the beginning of one of the strings? That end is
 * what a streaming masker must hold back. One pass over the text, whatever the number
 * or length of the strings, so output written a byte at a time stays linear.
 */
export class PrefixAutomaton {
  private readonly next: Map<string, number>[] = [new Map<string, number>()];
  private readonly fail: number[] = [0];
  private readonly depth: number[] = [0];

  constructor(strings: Iterable<string>) {
    for (const text of strings) this.insert(text);
    this.link();
  }

  /**
   * Length of the longest suffix of text.slice(from) that is a proper prefix of some
   * string: one that more text could still extend. A suffix that completes a string
   * and can grow no further does not count.
   */
  pendingPrefixLength(text: string, from = 0): number {
    let state = 0;
    for (let i = from; i < text.length; i++) state = this.step(state, text[i] as string);
    while (state !== 0 && (this.next[state] as Map<string, number>).size === 0) {
      state = this.fail[state] ?? 0;
    }
    return this.depth[state] ?? 0;
  }

  // Code units, not code points, in insert and in the scan alike.
  private insert(text: string): void {
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const char = text[i] as string;
      const transitions = this.next[state] as Map<string, number>;
      let target = transitions.get(char);
      if (target === undefined) {
        target = this.next.length;
        this.next.push(new Map<string, number>());
        this.fail.push(0);
        this.depth.push((this.depth[state] ?? 0) + 1);
        transitions.set(char, target);
      }
      state = target;
    }
  }

  /** Breadth-first failure links: each state falls back to its longest proper suffix in the trie. */
  private link(): void {
    const queue: number[] = [0];
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] as number;
      for (const [char, target] of this.next[state] as Map<string, number>) {
        // The root's children fall back to the root; deeper states to where their
        // parent's fallback goes on the same character.
        this.fail[target] = state === 0 ? 0 : this.step(this.fail[state] ?? 0, char);
        queue.push(target);
      }
    }
  }

  private step(state: number, char: string): number {
    for (let current = state; ; current = this.fail[current] ?? 0) {
      const target = (this.next[current] as Map<string, number>).get(char);
      if (target !== undefined) return target;
      if (current === 0) return 0;
    }
  }
}
