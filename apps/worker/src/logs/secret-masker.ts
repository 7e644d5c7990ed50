import { StringDecoder } from 'node:string_decoder';
import { PrefixAutomaton } from './prefix-automaton.js';
import { secretForms } from './secret-forms.js';

export const MASK = '[secret]';

/**
 * Replaces every form of every registered secret in a stream of output chunks (S15),
 * also when a form is split across chunks: the end of a chunk that could be the start
 * of a form is held back until the next chunk (or the end) decides it. Nothing else
 * is held, so a live log shows output as soon as it is safe to.
 *
 * Secrets may be added while the stream runs (the proxy adds each secret the task
 * fetches); text already emitted cannot be recalled, which is why the proxy registers
 * a value before the task receives it.
 */
export class SecretMasker {
  private readonly forms = new Set<string>();
  private pattern: RegExp | undefined;
  private automaton = new PrefixAutomaton([]);
  private held = '';
  private readonly decoder = new StringDecoder('utf8');

  addSecret(value: string): void {
    let changed = false;
    for (const form of secretForms(value)) {
      if (this.forms.has(form)) continue;
      this.forms.add(form);
      changed = true;
    }
    if (changed) {
      // Longest first, so a form that contains another is replaced whole.
      const sorted = [...this.forms].sort((a, b) => b.length - a.length);
      this.pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
      this.automaton = new PrefixAutomaton(this.forms);
    }
  }

  /** Masks a chunk; returns what can be emitted now. */
  write(chunk: Buffer | string): string {
    const source = this.held + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    if (!this.pattern) {
      this.held = '';
      return source;
    }
    // The end that could still grow into a form (or into a longer form than one it
    // already completes) waits; everything before it is final.
    const cut = source.length - this.automaton.pendingPrefixLength(source);
    const { text, end } = this.replace(source, cut);
    this.held = source.slice(end);
    return text;
  }

  /** Everything still held, masked: call once at the end of the stream. */
  end(): string {
    const rest = this.held + this.decoder.end();
    this.held = '';
    return this.pattern ? this.replace(rest, rest.length).text : rest;
  }

  /**
   * Replaces the forms that start before `cut` and returns the text up to `cut`, or
   * up to the end of a form that runs past it (possible only when forms overlap).
   */
  private replace(source: string, cut: number): { text: string; end: number } {
    const pattern = this.pattern as RegExp;
    pattern.lastIndex = 0;
    let text = '';
    let from = 0;
    for (
      let match = pattern.exec(source);
      match && match.index < cut;
      match = pattern.exec(source)
    ) {
      text += source.slice(from, match.index) + MASK;
      from = match.index + match[0].length;
    }
    const end = Math.max(cut, from);
    return { text: text + source.slice(from, end), end };
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
