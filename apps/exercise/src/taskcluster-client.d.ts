// The published client ships no types; this is the part of its surface the CLI uses.
declare module 'taskcluster-client' {
  export interface Credentials {
    clientId: string;
    accessToken: string;
    certificate?: string;
  }
  export interface ClientOptions {
    rootUrl: string;
    credentials?: Credentials;
    retries?: number;
    authorizedScopes?: string[];
  }
  export type Method = (...args: unknown[]) => Promise<Record<string, unknown>>;
  export type ServiceClient = Record<string, Method> & {
    buildSignedUrl(method: Method, ...args: unknown[]): string;
    buildUrl(method: Method, ...args: unknown[]): string;
  };
  export type ServiceClass = new (options: ClientOptions) => ServiceClient;
  const taskcluster: {
    Auth: ServiceClass;
    Secrets: ServiceClass;
    Queue: ServiceClass;
    createClient(reference: unknown): ServiceClass;
    fromNow(offset: string, reference?: Date): Date;
    slugid(): string;
    downloadArtifact(options: {
      taskId: string;
      runId?: number;
      name: string;
      queue: ServiceClient;
      retries?: number;
      streamFactory: () => Promise<NodeJS.WritableStream>;
    }): Promise<string>;
    createTemporaryCredentials(options: {
      start?: Date;
      expiry: Date;
      scopes: string[];
      clientId?: string;
      credentials: Credentials;
    }): Credentials;
  };
  export default taskcluster;
}
