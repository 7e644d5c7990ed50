import type { RoleRule } from './role-rules.js';

/**
 * A trie of rule keys (edges carry several characters) answering "which rules does this
 * scope match?" in one walk. Used to find dependencies between roles; expansion itself
 * uses GrantNode tries.
 */
interface LookupNode {
  /** Rules whose key ends here and that match only scopes ending here. */
  readonly exactRules: number[];
  /** Prefix rules whose key ends here: they match every scope reaching this node. */
  readonly prefixRules: number[];
  readonly labels: string[];
  readonly children: LookupNode[];
  /** Every rule at or below this node, computed on first use. */
  everyRuleBelow?: readonly number[];
}

function newNode(labels: string[] = [], children: LookupNode[] = []): LookupNode {
  return { exactRules: [], prefixRules: [], labels, children };
}

function edgeStartingWith(node: LookupNode, character: string | undefined): number {
  return node.labels.findIndex((label) => label[0] === character);
}

export class RuleLookup {
  private readonly root = newNode();

  constructor(rules: readonly RoleRule[]) {
    rules.forEach((rule, index) => {
      const node = this.nodeFor(rule.key);
      (rule.isPrefixRule ? node.prefixRules : node.exactRules).push(index);
    });
  }

  /** The node at `key`, created (splitting an edge if needed) when missing. */
  private nodeFor(key: string): LookupNode {
    let node = this.root;
    let position = 0;
    while (position < key.length) {
      const edge = edgeStartingWith(node, key[position]);
      if (edge < 0) {
        const leaf = newNode();
        node.labels.push(key.slice(position));
        node.children.push(leaf);
        return leaf;
      }
      const label = node.labels[edge]!;
      let shared = 1;
      while (shared < label.length && label[shared] === key[position + shared]) shared++;
      if (shared < label.length) {
        const fork = newNode([label.slice(shared)], [node.children[edge]!]);
        node.labels[edge] = label.slice(0, shared);
        node.children[edge] = fork;
      }
      node = node.children[edge]!;
      position += shared;
    }
    return node;
  }

  /**
   * Indexes of the rules that `scope` matches, possibly repeated. A scope without a
   * trailing `*` matches exact rules with its own key and prefix rules whose key starts
   * it. A scope `S*` matches those prefix rules too, and every rule whose key starts with S.
   */
  rulesMatchedBy(scope: string): number[] {
    const wildcard = scope.endsWith('*');
    const pathLength = wildcard ? scope.length - 1 : scope.length;
    const matched: number[] = [];
    let node = this.root;
    let position = 0;
    while (position < pathLength) {
      appendAll(matched, node.prefixRules);
      const edge = edgeStartingWith(node, scope[position]);
      if (edge < 0) return matched;
      const label = node.labels[edge]!;
      const child = node.children[edge]!;
      if (pathLength - position < label.length) {
        if (wildcard && label.startsWith(scope.slice(position, pathLength))) {
          appendAll(matched, everyRuleBelow(child));
        }
        return matched;
      }
      if (!scope.startsWith(label, position)) return matched;
      position += label.length;
      node = child;
    }
    if (wildcard) {
      appendAll(matched, everyRuleBelow(node));
    } else {
      appendAll(matched, node.prefixRules);
      appendAll(matched, node.exactRules);
    }
    return matched;
  }
}

/** Every rule in the subtree, computed iteratively so that deep tries cannot exhaust the stack. */
function everyRuleBelow(top: LookupNode): readonly number[] {
  if (top.everyRuleBelow !== undefined) return top.everyRuleBelow;
  const rules: number[] = [];
  const pending = [top];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (node.everyRuleBelow !== undefined) {
      appendAll(rules, node.everyRuleBelow);
      continue;
    }
    appendAll(rules, node.exactRules);
    appendAll(rules, node.prefixRules);
    for (const child of node.children) pending.push(child);
  }
  top.everyRuleBelow = rules;
  return rules;
}

/** Appends without spreading, which fails for very large arrays. */
function appendAll(target: number[], source: readonly number[]): void {
  for (const item of source) target.push(item);
}
