// The published client ships no types; this is the part of its surface the service uses.
declare module 'taskcluster-client' {
  export type Method = (...args: unknown[]) => Promise<Record<string, unknown>>;
  export type ServiceClient = Record<string, Method> & {
    buildSignedUrl(method: Method, ...args: unknown[]): string;
  };
  const taskcluster: {
    Queue: new (options: {
      rootUrl: string;
      credentials: { clientId: string; accessToken: string };
    }) => ServiceClient;
  };
  export default taskcluster;
}
