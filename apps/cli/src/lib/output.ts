import { bold } from './color.js';

/** Prints for people by default and as JSON with --json, the same data either way. */
export interface OutputOptions {
  json?: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A plain aligned table; columns are the keys of `columns`, in order. */
export function printTable(
  rows: readonly Record<string, unknown>[],
  columns: Record<string, string>,
): void {
  const keys = Object.keys(columns);
  const cells = rows.map((row) => keys.map((k) => formatCell(row[k])));
  const headers = keys.map((k) => columns[k] ?? k);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (values: string[]): string =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(bold(line(headers)) + '\n');
  for (const row of cells) process.stdout.write(line(row) + '\n');
}

export function printFields(record: Record<string, unknown>, fields: Record<string, string>): void {
  const width = Math.max(...Object.values(fields).map((l) => l.length));
  for (const [key, label] of Object.entries(fields)) {
    const value = record[key];
    if (Array.isArray(value)) {
      process.stdout.write(`${label.padEnd(width)}  ${value.length === 0 ? '(none)' : ''}\n`);
      for (const item of value) process.stdout.write(`${''.padEnd(width)}  ${String(item)}\n`);
    } else {
      process.stdout.write(`${label.padEnd(width)}  ${formatCell(value)}\n`);
    }
  }
}

function formatCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
