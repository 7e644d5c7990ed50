import {
  WORKER_SETTINGS,
  WORKER_TEST_ONLY_CONTROLS,
  type WorkerSetting,
} from './worker-settings.js';

/** The generated sections of docs/worker.md: the operator's settings, then the test-only ones. */
export const WORKER_SECTIONS = {
  settings: ['<!-- worker-settings:start -->', '<!-- worker-settings:end -->'],
  testOnly: ['<!-- worker-test-settings:start -->', '<!-- worker-test-settings:end -->'],
} as const;
export type WorkerSection = keyof typeof WORKER_SECTIONS;

/** The command that rewrites the tables; named in the check's failure message. */
export const REGENERATE_WORKER_SETTINGS = 'npm run docs:settings';

const code = (text: string | undefined): string => (text === undefined ? '' : `\`${text}\``);

const defaultCell = (setting: WorkerSetting): string =>
  setting.defaultValue === undefined
    ? (setting.defaultText ?? (setting.required === true ? 'required' : 'unset'))
    : code(String(setting.defaultValue));

const row = (cells: readonly string[]): string =>
  `|${cells.map((cell) => (cell === '' ? ' ' : ` ${cell} `)).join('|')}|`;

/**
 * The operator's settings as a Markdown table, one row per setting; test-only
 * switches are never in it.
 */
export function renderWorkerSettingsTable(
  settings: readonly WorkerSetting[] = WORKER_SETTINGS,
): string {
  const rows = settings
    .filter((setting) => setting.testOnly !== true)
    .map((setting) =>
      row([
        code(setting.key),
        code(setting.env),
        setting.type,
        `${setting.description}${setting.secret === true ? ' (secret)' : ''}`,
        defaultCell(setting),
      ]),
    );
  return ['| key | variable | type | meaning | default |', '|---|---|---|---|---|', ...rows].join(
    '\n',
  );
}

/** The test-only switches, configuration keys and others, as a Markdown table. */
export function renderWorkerTestOnlyTable(
  settings: readonly WorkerSetting[] = WORKER_SETTINGS,
): string {
  const rows = [
    ...settings
      .filter((setting) => setting.testOnly === true)
      .map((setting) => row([code(setting.key), `configuration key: ${setting.description}`])),
    ...WORKER_TEST_ONLY_CONTROLS.map((control) => row([code(control.name), control.description])),
  ];
  return ['| test-only switch | what it does |', '|---|---|', ...rows].join('\n');
}

export function renderWorkerSection(section: WorkerSection): string {
  return section === 'settings' ? renderWorkerSettingsTable() : renderWorkerTestOnlyTable();
}

/** The text between a section's markers, trimmed; undefined when they are missing. */
export function workerSectionText(document: string, section: WorkerSection): string | undefined {
  const [startMarker, endMarker] = WORKER_SECTIONS[section];
  const start = document.indexOf(startMarker);
  const end = document.indexOf(endMarker);
  if (start < 0 || end < start) return undefined;
  return document.slice(start + startMarker.length, end).trim();
}

/** The document with every generated section rewritten from the declarations. */
export function withWorkerSettings(document: string): string {
  let result = document;
  for (const section of Object.keys(WORKER_SECTIONS) as WorkerSection[]) {
    const [startMarker, endMarker] = WORKER_SECTIONS[section];
    const start = result.indexOf(startMarker);
    const end = result.indexOf(endMarker);
    if (start < 0 || end < start) {
      throw new Error(`the document has no ${startMarker} ... ${endMarker} section`);
    }
    result = `${result.slice(0, start + startMarker.length)}\n${renderWorkerSection(section)}\n${result.slice(end)}`;
  }
  return result;
}
