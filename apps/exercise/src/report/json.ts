import type { ExerciseReport } from '../runner.js';

/** The report for machines: the whole ExerciseReport, stable field names. */
export function jsonReport(report: ExerciseReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
