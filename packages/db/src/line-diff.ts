/**
 * The lines that differ between two texts, as a unified-style listing: `-` for lines
 * only in `expected`, `+` for lines only in `actual`, with `context` unchanged lines
 * around each change and `@@ line N` headers. For schema snapshots of a few hundred
 * lines: the longest-common-subsequence table is quadratic in the number of lines.
 */
export function diffLines(expected: string, actual: string, context = 2): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  // common[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const common = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i]![j] =
        a[i] === b[j]
          ? common[i + 1]![j + 1]! + 1
          : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const edits: { mark: ' ' | '-' | '+'; line: string; at: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      edits.push({ mark: ' ', line: a[i]!, at: i + 1 });
      i++;
      j++;
    } else if (i < a.length && (j === b.length || common[i + 1]![j]! >= common[i]![j + 1]!)) {
      // Removals before additions, as unified diffs show a changed line.
      edits.push({ mark: '-', line: a[i]!, at: i + 1 });
      i++;
    } else {
      edits.push({ mark: '+', line: b[j]!, at: i + 1 });
      j++;
    }
  }
  const shown: string[] = [];
  let lastShown = -1;
  edits.forEach((edit, index) => {
    const near = edits
      .slice(Math.max(0, index - context), index + context + 1)
      .some((other) => other.mark !== ' ');
    if (!near) return;
    if (index !== lastShown + 1) shown.push(`@@ line ${edit.at}`);
    shown.push(`${edit.mark} ${edit.line}`);
    lastShown = index;
  });
  return shown.join('\n');
}
