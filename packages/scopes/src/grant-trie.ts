import { fillParameters } from './role-parameter.js';
import { sortAndNormalize } from './scope-order.js';
import { NO_SCOPES, ScopeCollector, unionOf } from './scope-collector.js';

/**
 * A trie mapping an input scope to the scopes it is granted. Each node is a position
 * reached after reading some characters of the input; edges carry one or more characters
 * (positions inside an edge hold nothing, so chains need no nodes of their own). Reading
 * an input visits the nodes along its path; a trailing `*` is not read as a character but
 * means "every continuation", so the input ends just before it, with a wildcard.
 *
 * Nodes are immutable once built; tries share subtrees freely, and combining tries
 * (`mergeTries`) copies only the nodes where both sides have something.
 *
 * All scope arrays are sorted and normalized.
 */
export class GrantNode {
  private wildcardMemo: readonly string[] | undefined;

  constructor(
    /** Granted when a plain (non-wildcard) input ends exactly here. */
    readonly onEnd: readonly string[],
    /** Granted when the input reaches this node, whether it ends here or goes on. */
    readonly onReach: readonly string[],
    /**
     * Templates (see role-parameter.ts) granted when the input reaches this node, filled
     * with the rest of the input after this node: including its trailing `*` if it has
     * one, `*` if a wildcard input ends here, and empty if a plain input ends here.
     */
    readonly onReachFilled: readonly string[],
    /** Granted only when a wildcard input ends here. */
    readonly onWildcardEnd: readonly string[],
    /** Edge labels (never empty, with distinct first characters). */
    readonly labels: readonly string[],
    /** The node at the end of each edge. */
    readonly children: readonly GrantNode[],
  ) {}

  /** Index of the edge whose label starts with `character`, or -1. */
  edgeStartingWith(character: string): number {
    return this.labels.findIndex((label) => label[0] === character);
  }

  hasContent(): boolean {
    return (
      this.onEnd.length > 0 ||
      this.onReach.length > 0 ||
      this.onReachFilled.length > 0 ||
      this.onWildcardEnd.length > 0
    );
  }

  isEmpty(): boolean {
    return this.children.length === 0 && !this.hasContent();
  }

  /**
   * Everything granted when a wildcard input ends here (or inside an edge leading here):
   * the contents of this node and of every node below it, templates filled with `*`.
   * Computed once per node.
   */
  wildcardGrants(): readonly string[] {
    if (this.wildcardMemo === undefined) GrantNode.computeWildcardGrants(this);
    return this.wildcardMemo!;
  }

  /**
   * Computes wildcard grants bottom-up with an explicit stack, so that deep tries cannot
   * exhaust the call stack.
   */
  private static computeWildcardGrants(top: GrantNode): void {
    const pending = [top];
    while (pending.length > 0) {
      const node = pending[pending.length - 1]!;
      if (node.wildcardMemo !== undefined) {
        pending.pop();
        continue;
      }
      let childrenReady = true;
      for (const child of node.children) {
        if (child.wildcardMemo === undefined) {
          pending.push(child);
          childrenReady = false;
        }
      }
      if (!childrenReady) continue;
      const grants = new ScopeCollector();
      grants.add(node.onEnd);
      grants.add(node.onReach);
      grants.add(filledTemplates(node.onReachFilled, '*'));
      grants.add(node.onWildcardEnd);
      for (const child of node.children) grants.add(child.wildcardMemo!);
      node.wildcardMemo = grants.result();
      pending.pop();
    }
  }
}

export const EMPTY_NODE = new GrantNode(NO_SCOPES, NO_SCOPES, NO_SCOPES, NO_SCOPES, [], []);

/** A node with the given contents and no children. */
export function leafNode(contents: {
  onEnd?: readonly string[];
  onReach?: readonly string[];
  onReachFilled?: readonly string[];
  onWildcardEnd?: readonly string[];
}): GrantNode {
  return new GrantNode(
    contents.onEnd ?? NO_SCOPES,
    contents.onReach ?? NO_SCOPES,
    contents.onReachFilled ?? NO_SCOPES,
    contents.onWildcardEnd ?? NO_SCOPES,
    [],
    [],
  );
}

/** A node without contents whose only edge, labelled `label`, leads to `node`. */
function edgeTo(label: string, node: GrantNode): GrantNode {
  return new GrantNode(NO_SCOPES, NO_SCOPES, NO_SCOPES, NO_SCOPES, [label], [node]);
}

/** A trie whose only content is `node`, placed at the end of `path`. */
export function trieAt(path: string, node: GrantNode): GrantNode {
  return path === '' ? node : edgeTo(path, node);
}

/** Templates filled with one value, sorted and normalized. */
export function filledTemplates(templates: readonly string[], value: string): readonly string[] {
  return templates.length === 0 ? NO_SCOPES : sortAndNormalize(fillParameters(templates, value));
}

/** Adds to `out` everything the trie grants to `input`, in one walk along the input. */
export function collectGrants(root: GrantNode, input: string, out: ScopeCollector): void {
  const wildcard = input.endsWith('*');
  const pathLength = wildcard ? input.length - 1 : input.length;
  let node = root;
  let position = 0;
  while (position < pathLength) {
    out.add(node.onReach);
    if (node.onReachFilled.length > 0) {
      out.add(filledTemplates(node.onReachFilled, input.slice(position)));
    }
    const edge = node.edgeStartingWith(input[position]!);
    if (edge < 0) return;
    const label = node.labels[edge]!;
    const child = node.children[edge]!;
    if (pathLength - position < label.length) {
      // The input ends inside the edge: only a wildcard, covering the rest of the label
      // and everything beyond it, grants anything.
      if (wildcard && label.startsWith(input.slice(position, pathLength))) {
        out.add(child.wildcardGrants());
      }
      return;
    }
    if (!input.startsWith(label, position)) return;
    position += label.length;
    node = child;
  }
  if (wildcard) {
    out.add(node.wildcardGrants());
  } else {
    out.add(node.onEnd);
    out.add(node.onReach);
    out.add(filledTemplates(node.onReachFilled, ''));
  }
}

/** Everything the trie grants to `input`, sorted and normalized. */
export function grantsFor(root: GrantNode, input: string): readonly string[] {
  const out = new ScopeCollector();
  collectGrants(root, input, out);
  return out.result();
}

function commonPrefixLength(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let length = 0;
  while (length < limit && a.charCodeAt(length) === b.charCodeAt(length)) length++;
  return length;
}

/**
 * A trie granting what either trie grants, for every input. Shares every subtree that
 * only one side has; the inputs are never modified.
 */
export function mergeTries(a: GrantNode, b: GrantNode): GrantNode {
  if (a === b || b.isEmpty()) return a;
  if (a.isEmpty()) return b;
  const labels = [...a.labels];
  const children = [...a.children];
  b.labels.forEach((labelB, edgeB) => {
    const childB = b.children[edgeB]!;
    const edge = labels.findIndex((label) => label[0] === labelB[0]);
    if (edge < 0) {
      labels.push(labelB);
      children.push(childB);
      return;
    }
    const labelA = labels[edge]!;
    const childA = children[edge]!;
    const shared = commonPrefixLength(labelA, labelB);
    if (shared === labelA.length && shared === labelB.length) {
      children[edge] = mergeTries(childA, childB);
    } else if (shared === labelA.length) {
      children[edge] = mergeTries(childA, edgeTo(labelB.slice(shared), childB));
    } else if (shared === labelB.length) {
      labels[edge] = labelB;
      children[edge] = mergeTries(edgeTo(labelA.slice(shared), childA), childB);
    } else {
      // The labels part ways inside the edge: a new node at the fork leads to both.
      labels[edge] = labelA.slice(0, shared);
      children[edge] = new GrantNode(
        NO_SCOPES,
        NO_SCOPES,
        NO_SCOPES,
        NO_SCOPES,
        [labelA.slice(shared), labelB.slice(shared)],
        [childA, childB],
      );
    }
  });
  return new GrantNode(
    unionOf(a.onEnd, b.onEnd),
    unionOf(a.onReach, b.onReach),
    unionOf(a.onReachFilled, b.onReachFilled),
    unionOf(a.onWildcardEnd, b.onWildcardEnd),
    labels,
    children,
  );
}
