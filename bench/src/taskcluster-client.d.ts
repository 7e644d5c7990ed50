// The published client ships no types; this is the part of its surface the benches use.
declare module 'taskcluster-client' {
  interface Credentials {
    clientId: string;
    accessToken: string;
  }
  type Method = (...args: unknown[]) => Promise<Record<string, unknown>>;
  type ServiceClass = new (options: {
    rootUrl: string;
    credentials?: Credentials;
  }) => Record<string, Method>;
  const taskcluster: { Auth: ServiceClass; Queue: ServiceClass; slugid(): string };
  export default taskcluster;
}
