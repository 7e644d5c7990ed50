// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ScopeTemplate } from './templates.js';
import { renderTemplate, TemplateError, templateParameters } from './templates.js';

type Case = [template: ScopeTemplate, params: Record<string, unknown>, expected: unknown];

test('renderTemplate substitutes <name> placeholders with strings and numbers', () => {
  const cases: Case[] = [
    ['queue:get-task', {}, 'queue:get-task'],
    ['queue:get-task:<taskId>', { taskId: 'abc' }, 'queue:get-task:abc'],
    ['queue:resolve-task:<taskId>/<runId>', { taskId: 't', runId: 0 }, 'queue:resolve-task:t/0'],
    ['<a><a><b_2>', { a: 'x', b_2: 'y' }, 'xxy'],
    // Only names of the form [a-zA-Z][a-zA-Z0-9_]* are placeholders.
    ['x:<..>:<1a>:<>:<a-b>', {}, 'x:<..>:<1a>:<>:<a-b>'],
    // Substituted values are not scanned again.
    ['<a>', { a: '<b>', b: 'no' }, '<b>'],
    ['<a>', { a: '' }, ''],
  ];
  for (const [template, params, expected] of cases) {
    assert.deepEqual(renderTemplate(template, params), expected, JSON.stringify(template));
  }
});

test('renderTemplate renders AllOf / AnyOf and splices for-clauses into them', () => {
  const cases: Case[] = [
    [{ AllOf: [] }, {}, { AllOf: [] }],
    [{ AnyOf: ['a:<x>', 'b'] }, { x: 1 }, { AnyOf: ['a:1', 'b'] }],
    [
      {
        AllOf: [
          'queue:create-task:<p>',
          { for: 'route', in: 'routes', each: 'queue:route:<route>' },
        ],
      },
      { p: 'proj', routes: ['r1', 'r2'] },
      { AllOf: ['queue:create-task:proj', 'queue:route:r1', 'queue:route:r2'] },
    ],
    [
      { AllOf: [{ for: 'r', in: 'routes', each: 'queue:route:<r>' }] },
      { routes: [] },
      { AllOf: [] },
    ],
    [
      { AnyOf: [{ for: 'n', in: 'names', each: 'get:<n>:<suffix>' }, 'admin'] },
      { names: ['a', 7], suffix: 's' },
      { AnyOf: ['get:a:s', 'get:7:s', 'admin'] },
    ],
    // The loop variable shadows a parameter of the same name only inside `each`.
    [
      { AllOf: ['<x>', { for: 'x', in: 'xs', each: 'in:<x>' }] },
      { x: 'outer', xs: ['inner'] },
      { AllOf: ['outer', 'in:inner'] },
    ],
    [
      { AllOf: [{ AnyOf: [{ AllOf: ['deep:<v>'] }] }] },
      { v: 'x' },
      { AllOf: [{ AnyOf: [{ AllOf: ['deep:x'] }] }] },
    ],
  ];
  for (const [template, params, expected] of cases) {
    assert.deepEqual(renderTemplate(template, params), expected, JSON.stringify(template));
  }
});

test('renderTemplate: if-clauses need a real boolean; false without else drops the clause', () => {
  const conditional: ScopeTemplate = { if: 'public', then: 'a', else: { AllOf: ['b', 'c'] } };
  const cases: Case[] = [
    [conditional, { public: true }, 'a'],
    [conditional, { public: false }, { AllOf: ['b', 'c'] }],
    [{ if: 'flag', then: 'x' }, { flag: true }, 'x'],
    [{ if: 'flag', then: 'x' }, { flag: false }, null],
    [{ AllOf: ['a', { if: 'flag', then: 'x' }] }, { flag: false }, { AllOf: ['a'] }],
    [{ AnyOf: [{ if: 'flag', then: 'x' }, 'b'] }, { flag: false }, { AnyOf: ['b'] }],
    [{ if: 'a', then: { if: 'b', then: 'x' } }, { a: true, b: false }, null],
    [{ if: 'a', then: { if: 'b', then: 'x' } }, { a: true, b: true }, 'x'],
    [
      { if: 'private', then: { AllOf: ['get:<name>'] } },
      { private: true, name: 'n' },
      { AllOf: ['get:n'] },
    ],
  ];
  for (const [template, params, expected] of cases) {
    assert.deepEqual(
      renderTemplate(template, params),
      expected,
      JSON.stringify([template, params]),
    );
  }
});

test('renderTemplate throws TemplateError for missing or wrongly typed parameters', () => {
  const cases: [ScopeTemplate, Record<string, unknown>][] = [
    ['x:<missing>', {}],
    ['x:<a>', { a: null }],
    ['x:<a>', { a: undefined }],
    ['x:<a>', { a: true }],
    ['x:<a>', { a: ['list'] }],
    ['x:<a>', { a: { toString: () => 'sneaky' } }],
    // Inherited properties are not parameters.
    ['x:<toString>', {}],
    ['x:<constructor>', {}],
    [{ AllOf: [{ for: 'r', in: 'routes', each: 'r:<r>' }] }, {}],
    [{ AllOf: [{ for: 'r', in: 'routes', each: 'r:<r>' }] }, { routes: 'r1' }],
    [{ AllOf: [{ for: 'r', in: 'routes', each: 'r:<r>' }] }, { routes: [{}] }],
    [{ AllOf: [{ for: 'r', in: 'routes', each: 'r:<r>' }] }, { routes: [null] }],
    [{ AllOf: [{ for: 'r', in: 'routes', each: 'r:<r>:<other>' }] }, { routes: ['x'] }],
    [{ if: 'flag', then: 'x' }, {}],
    [{ if: 'flag', then: 'x' }, { flag: 'true' }],
    [{ if: 'flag', then: 'x' }, { flag: 1 }],
    [{ if: 'flag', then: 'x', else: 'y:<z>' }, { flag: false }],
  ];
  for (const [template, params] of cases) {
    assert.throws(
      () => renderTemplate(template, params),
      TemplateError,
      JSON.stringify([template, params]),
    );
  }
});

test('renderTemplate throws TemplateError for malformed templates', () => {
  const malformed = [
    { AllOf: 'a' },
    { AllOf: [], AnyOf: [] },
    { Every: [] },
    { for: 'x', in: 'xs' },
    { for: 'x', in: 'xs', each: { AllOf: [] } },
    { for: 'x', in: 'xs', each: 'a', extra: 1 },
    { for: '1x', in: 'xs', each: 'a' },
    { for: 'x', in: 'x s', each: 'a' },
    { if: 'flag' },
    { if: 'flag', else: 'a' },
    { if: 'not a name', then: 'a' },
    { if: 'flag', then: 'a', else: 'b', extra: 'c' },
    null,
    5,
    ['a'],
    // A for-clause produces several scopes, which only an AllOf or AnyOf can hold.
    { for: 'x', in: 'xs', each: 'a:<x>' },
    { if: 'flag', then: { for: 'x', in: 'xs', each: 'a:<x>' } },
  ] as unknown as ScopeTemplate[];
  const params = { xs: ['1'], flag: true };
  for (const template of malformed) {
    assert.throws(() => renderTemplate(template, params), TemplateError, JSON.stringify(template));
  }
  assert.throws(() => templateParameters({ Every: [] } as unknown as ScopeTemplate), TemplateError);
});

test('TemplateError is an Error with its own name', () => {
  const error = new TemplateError('m');
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'TemplateError');
});

test('templateParameters lists placeholders, for-arrays and if-conditions, not loop variables', () => {
  const cases: [ScopeTemplate, string[]][] = [
    ['queue:get-task', []],
    ['queue:resolve-task:<taskId>/<runId>', ['taskId', 'runId']],
    ['x:<..>:<1a>', []],
    [{ AllOf: ['a:<x>', { AnyOf: ['b:<y>', 'c:<x>'] }] }, ['x', 'y']],
    [{ AllOf: [{ for: 'route', in: 'routes', each: 'queue:route:<route>:<p>' }] }, ['routes', 'p']],
    [
      { AllOf: ['<route>', { for: 'route', in: 'routes', each: 'r:<route>' }] },
      ['route', 'routes'],
    ],
    [{ if: 'public', then: 'a:<x>', else: 'b:<y>' }, ['public', 'x', 'y']],
    [{ if: 'flag', then: { if: 'other', then: 'z' } }, ['flag', 'other']],
  ];
  for (const [template, expected] of cases) {
    assert.deepEqual(
      [...templateParameters(template)].sort(),
      [...expected].sort(),
      JSON.stringify(template),
    );
  }
});
