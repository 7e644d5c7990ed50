import type { ExerciseReport } from '../runner.js';

/** The report for people: one line per attack, then the totals and what was left behind. */
export function tableReport(report: ExerciseReport): string {
  const rows = report.results.map((r) => [r.verdict, r.id, r.title, r.reason]);
  const widths = [14, Math.max(4, ...rows.map((r) => r[1]!.length)) + 2];
  const lines = [
    `bulwark exercise ${report.runId} against ${report.rootUrl} (pool ${report.pool}, red team ${report.redTeamClientId})`,
    ...(report.weakened.length > 0 ? [`WEAKENED FOR A TEST: ${report.weakened.join(', ')}`] : []),
    '',
    `${'VERDICT'.padEnd(widths[0]!)}${'ATTACK'.padEnd(widths[1]!)}WHAT`,
    ...rows.map(
      ([verdict, id, title, reason]) =>
        `${verdict!.padEnd(widths[0]!)}${id!.padEnd(widths[1]!)}${title}\n${' '.repeat(widths[0]! + widths[1]!)}${reason}`,
    ),
    '',
    `${report.summary.breached} breached, ${report.summary.blocked} blocked, ${report.summary.inconclusive} inconclusive`,
  ];
  if (report.leftovers.length > 0) lines.push(`NOT REMOVED: ${report.leftovers.join('; ')}`);
  return `${lines.join('\n')}\n`;
}
