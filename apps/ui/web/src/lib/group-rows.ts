/** One task of a group as the group page shows it. */
export interface GroupRow {
  taskId: string;
  /** metadata.name; undefined for a task first heard of from the event stream. */
  name: string | undefined;
  state: string;
  /** When the latest run started or resolved, for sorting by recency. */
  changed: string;
}

export type SortKey = 'name' | 'state' | 'changed';

export const STATES = ['unscheduled', 'pending', 'running', 'completed', 'failed', 'exception'];

interface StatusLike {
  taskId: string;
  state: string;
  runs: { scheduled: string; started?: string; resolved?: string }[];
}

export function changedAt(status: StatusLike): string {
  const run = status.runs.at(-1);
  return run?.resolved ?? run?.started ?? run?.scheduled ?? '';
}

/** Counts by state, every known state listed (zeros included), in lifecycle order. */
export function countByState(rows: Iterable<GroupRow>): Map<string, number> {
  const counts = new Map(STATES.map((state) => [state, 0]));
  for (const row of rows) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
  return counts;
}

/** The rows a filter keeps, sorted; for thousands of rows this takes a few milliseconds. */
export function visibleRows(
  rows: Iterable<GroupRow>,
  filter: { text: string; state: string },
  sort: { key: SortKey; descending: boolean },
): GroupRow[] {
  const text = filter.text.trim().toLowerCase();
  const kept: GroupRow[] = [];
  for (const row of rows) {
    if (filter.state && row.state !== filter.state) continue;
    if (
      text &&
      !row.taskId.toLowerCase().includes(text) &&
      !(row.name ?? '').toLowerCase().includes(text)
    ) {
      continue;
    }
    kept.push(row);
  }
  const key = (row: GroupRow): string =>
    sort.key === 'state'
      ? String(STATES.indexOf(row.state)).padStart(2, '0')
      : sort.key === 'name'
        ? (row.name ?? row.taskId)
        : row.changed;
  kept.sort((a, b) => {
    const order = key(a).localeCompare(key(b)) || a.taskId.localeCompare(b.taskId);
    return sort.descending ? -order : order;
  });
  return kept;
}
