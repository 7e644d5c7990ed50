// test-tier: unit
// The `@ts-expect-error` lines below are the test: `tsc -b` compiles this file with the
// rest of the package, and fails when a line they mark stops being an error, that is
// when a handler could read a field its schema does not declare, or ignore a change
// to a schema, and still compile.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ApiDefinition } from './api-definition.js';
import type { BodyFrom, OutputFrom } from './endpoint-types.js';

const thingRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'count'],
  properties: {
    name: { type: 'string', maxLength: 64 },
    count: { type: 'integer', minimum: 0, maximum: 10 },
    colour: { enum: ['red', 'blue'] },
  },
} as const;

const thingResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string' } },
} as const;

const idParam = { pattern: /^[a-z]+$/, maxLength: 8 };

function declareThings(api: ApiDefinition<{ prefix: string }>): void {
  api.declare({
    name: 'makeThing',
    method: 'PUT',
    route: '/things/<thingId>',
    params: { thingId: idParam },
    query: { dryRun: idParam },
    input: thingRequest,
    output: thingResponse,
    scopes: 'things:make:<thingId>',
    title: 'Make Thing',
    description: 'Makes a thing.',
    async handler(ctx, req) {
      const id: string = req.params.thingId;
      const dryRun: string | undefined = req.query.dryRun;
      const name: string = req.body.name;
      const count: number = req.body.count;
      const colour: 'red' | 'blue' | undefined = req.body.colour;
      // @ts-expect-error a misspelled body field is not in the schema
      void req.body.nmae;
      // @ts-expect-error a route parameter the route does not declare
      void req.params.otherId;
      // @ts-expect-error a query parameter the endpoint does not declare
      void req.query.verbose;
      // @ts-expect-error an optional field may be absent
      const sure: 'red' | 'blue' = req.body.colour;
      // @ts-expect-error `count` is a number, never a string
      const countText: string = req.body.count;
      void [id, dryRun, count, colour, sure, countText];
      return { name: `${ctx.prefix}${name}` };
    },
  });
  // @ts-expect-error the result must match the output schema
  api.declare({
    name: 'badResult',
    method: 'GET',
    route: '/bad',
    scopes: null,
    title: 'Bad Result',
    description: 'Returns a field its output schema does not have.',
    output: thingResponse,
    handler: async () => ({ nmae: 'x' }),
  });
  api.declare({
    name: 'noInput',
    method: 'GET',
    route: '/none',
    scopes: null,
    title: 'No Input',
    description: 'Takes no body.',
    async handler(_ctx, req) {
      const body: undefined = req.body;
      // @ts-expect-error an endpoint without `params` has no route parameters
      void req.params.thingId;
      return body;
    },
  });
}

// Type-level equalities: the derived body is exactly what the schema accepts.
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const bodyMatches: Equal<
  BodyFrom<typeof thingRequest>,
  { name: string; count: number; colour?: 'red' | 'blue' }
> = true;
const noBody: Equal<BodyFrom<undefined>, undefined> = true;
// @ts-expect-error a schema type the handler does not follow is not the derived type
const wrongBody: Equal<BodyFrom<typeof thingRequest>, { name: string; count: string }> = true;
type ThingOutput = Exclude<OutputFrom<typeof thingResponse>, { statusCode: number }>;
const outputMatches: Equal<ThingOutput, { name: string }> = true;

test('declarations with derived types register like any other', () => {
  assert.ok(bodyMatches && noBody && outputMatches && wrongBody);
  const api = new ApiDefinition<{ prefix: string }>({
    serviceName: 'things',
    title: 'Things',
    description: 'Things.',
  });
  declareThings(api);
  const names = api.endpoints.map((e) => e.name);
  for (const name of ['makeThing', 'badResult', 'noInput']) assert.ok(names.includes(name), name);
});
