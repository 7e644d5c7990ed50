// A node:test reporter that writes one JSON line per skipped or todo test, so that
// scripts/test.mjs can list every one of them, with its reason, at the end of a run.
// `skip` and `todo` are the reason given (`{ skip: 'why' }`, `t.skip('why')`), or
// true when none was.
export default async function* skipReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, file, skip, todo } = event.data;
    if (skip === undefined && todo === undefined) continue;
    yield `${JSON.stringify({ name, file, skip, todo })}\n`;
  }
}
