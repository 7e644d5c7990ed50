import { SERVER_SETTINGS, type Setting } from './settings.js';

/** The comments around the generated table in docs/operations.md. */
export const SETTINGS_START = '<!-- settings:start -->';
export const SETTINGS_END = '<!-- settings:end -->';

/** The command that rewrites the table; named in the check's failure message. */
export const REGENERATE_SETTINGS = 'npm run docs:settings';

const code = (text: string | undefined): string => (text === undefined ? '' : `\`${text}\``);

const defaultCell = (setting: Setting): string =>
  setting.defaultValue === undefined
    ? (setting.defaultText ?? 'unset')
    : code(String(setting.defaultValue));

/** A table row; an empty cell is a single space, as written by hand before. */
const row = (cells: readonly string[]): string =>
  `|${cells.map((cell) => (cell === '' ? ' ' : ` ${cell} `)).join('|')}|`;

/** The settings as the Markdown table of docs/operations.md, one row per setting. */
export function renderSettingsTable(settings: readonly Setting[] = SERVER_SETTINGS): string {
  const rows = settings.map((setting) =>
    row([
      code(setting.env),
      code(setting.key),
      code(setting.option),
      setting.description,
      defaultCell(setting),
    ]),
  );
  return [
    '| variable | `--config` key | option | meaning | default |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/**
 * The text between the markers, without the newlines that frame it; undefined when the
 * markers are missing or out of order.
 */
export function generatedSection(document: string): string | undefined {
  const start = document.indexOf(SETTINGS_START);
  const end = document.indexOf(SETTINGS_END);
  if (start < 0 || end < start) return undefined;
  return document.slice(start + SETTINGS_START.length, end).trim();
}

/** The document with the text between the markers replaced by `table`. */
export function withSettingsTable(document: string, table: string): string {
  const start = document.indexOf(SETTINGS_START);
  const end = document.indexOf(SETTINGS_END);
  if (start < 0 || end < start) {
    throw new Error(`the document has no ${SETTINGS_START} ... ${SETTINGS_END} section`);
  }
  return `${document.slice(0, start + SETTINGS_START.length)}\n${table}\n${document.slice(end)}`;
}
