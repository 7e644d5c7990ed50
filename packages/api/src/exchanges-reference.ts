import { schemaDocument, schemaReference, type ServiceSchemas } from './schema-ids.js';
import type { JsonSchema } from './schemas.js';

/** One word (or, last, several words) of a routing key, as Taskcluster documents it. */
export interface RoutingKeyPart {
  readonly name: string;
  readonly summary: string;
  /** The word's fixed value (`primary`), when it has one. */
  readonly constant?: string;
  readonly multipleWords: boolean;
  readonly required: boolean;
}

/** One topic exchange a service publishes to: its routing key and its message schema. */
export interface ExchangeDeclaration {
  /** Function name in clients, e.g. `taskDefined`. */
  readonly name: string;
  /** Exchange name after the prefix, e.g. `task-defined`. */
  readonly exchange: string;
  readonly title: string;
  readonly description: string;
  readonly routingKey: readonly RoutingKeyPart[];
  /** Schema file name, e.g. `task-defined-message.json`. */
  readonly schemaName: string;
  readonly schema: JsonSchema;
}

export interface ExchangesDefinitionOptions {
  readonly serviceName: string;
  readonly apiVersion?: string;
  readonly title: string;
  readonly description: string;
  /** What every exchange name starts with, e.g. `exchange/taskcluster-queue/v1/`. */
  readonly exchangePrefix: string;
  readonly exchanges: readonly ExchangeDeclaration[];
}

/**
 * A service's exchanges, declared once: the publisher's exchange names, the exchanges
 * reference (`/references/<service>/v1/exchanges.json`) and the message schemas
 * (`/schemas/<service>/v1/<name>-message.json`) all come from it.
 */
export class ExchangesDefinition {
  readonly kind = 'exchanges';
  readonly serviceName: string;
  readonly apiVersion: string;
  readonly title: string;
  readonly description: string;
  readonly exchangePrefix: string;
  readonly exchanges: readonly ExchangeDeclaration[];

  constructor(options: ExchangesDefinitionOptions) {
    this.serviceName = options.serviceName;
    this.apiVersion = options.apiVersion ?? 'v1';
    this.title = options.title;
    this.description = options.description;
    this.exchangePrefix = options.exchangePrefix;
    this.exchanges = options.exchanges;
    const seen = new Set<string>();
    for (const e of this.exchanges) {
      for (const key of [`exchange ${e.exchange}`, `name ${e.name}`]) {
        if (seen.has(key)) throw new Error(`${this.serviceName}: ${key} is declared twice`);
        seen.add(key);
      }
      if (e.routingKey.slice(0, -1).some((part) => part.multipleWords)) {
        throw new Error(
          `${this.serviceName}.${e.name}: only the last routing key word may be many`,
        );
      }
    }
  }

  /** The declaration of an exchange, by its name after the prefix. */
  exchange(name: string): ExchangeDeclaration | undefined {
    return this.exchanges.find((e) => e.exchange === name);
  }
}

/** The exchanges reference in Taskcluster's format (`exchanges-reference-v0`). */
export function exchangesReference(definition: ExchangesDefinition): Record<string, unknown> {
  return {
    $schema: '/schemas/common/exchanges-reference-v0.json#',
    serviceName: definition.serviceName,
    apiVersion: definition.apiVersion,
    title: definition.title,
    description: definition.description,
    exchangePrefix: definition.exchangePrefix,
    entries: definition.exchanges.map((e) => ({
      type: 'topic-exchange',
      exchange: e.exchange,
      name: e.name,
      title: e.title,
      description: e.description,
      routingKey: e.routingKey.map((part) => ({
        name: part.name,
        summary: part.summary,
        ...(part.constant !== undefined ? { constant: part.constant } : {}),
        multipleWords: part.multipleWords,
        required: part.required,
      })),
      schema: schemaReference(definition.apiVersion, e.schemaName),
    })),
  };
}

/** The message schemas, each with its `$id` under `/schemas/<service>/<version>/`. */
export function exchangeSchemas(definition: ExchangesDefinition): ServiceSchemas {
  const documents = new Map<string, JsonSchema>();
  for (const e of definition.exchanges) {
    documents.set(
      e.schemaName,
      schemaDocument(definition.serviceName, definition.apiVersion, e.schemaName, e.schema),
    );
  }
  return {
    serviceName: definition.serviceName,
    apiVersion: definition.apiVersion,
    documents,
  };
}
