import { mergeScopeSets } from './scope-sets.js';

/** The empty scope set, shared so that empty results never allocate. */
export const NO_SCOPES: readonly string[] = Object.freeze([]);

/** Union of two sorted, normalized sets that returns one of its inputs when the other is empty. */
export function unionOf(a: readonly string[], b: readonly string[]): readonly string[] {
  if (a.length === 0) return b;
  if (b.length === 0 || a === b) return a;
  return mergeScopeSets(a, b);
}

/**
 * Gathers sorted, normalized scope sets and merges them at the end, pairwise in rounds
 * so that merging k sets of n scopes in total costs about n·log(k) instead of n·k.
 *
 * Results may be one of the added arrays itself, so everything added and returned is
 * treated as immutable.
 */
export class ScopeCollector {
  private sets: (readonly string[])[] = [];

  /** Adds a sorted, normalized scope set. */
  add(scopes: readonly string[]): void {
    if (scopes.length > 0) this.sets.push(scopes);
  }

  /** The union of everything added so far, sorted and normalized. */
  result(): readonly string[] {
    let sets = this.sets;
    if (sets.length === 0) return NO_SCOPES;
    while (sets.length > 1) {
      const merged: (readonly string[])[] = [];
      for (let i = 0; i < sets.length; i += 2) {
        const second = sets[i + 1];
        merged.push(second === undefined ? sets[i]! : mergeScopeSets(sets[i]!, second));
      }
      sets = merged;
    }
    this.sets = sets;
    return sets[0]!;
  }
}
