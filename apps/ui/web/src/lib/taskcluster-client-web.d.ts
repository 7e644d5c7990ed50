// The parts of the published browser client the UI calls (it ships no types).
declare module 'taskcluster-client-web' {
  export interface Credentials {
    clientId: string;
    accessToken: string;
    certificate?: string;
  }
  export interface ClientOptions {
    rootUrl: string;
    credentials?: Credentials;
  }
  type Method = (...args: never[]) => Promise<unknown>;
  export class Client {
    constructor(options: ClientOptions);
    buildSignedUrl(method: Method, ...args: unknown[]): Promise<string>;
  }
  export class Auth extends Client {
    currentScopes(): Promise<{ scopes: string[] }>;
  }
  export class Queue extends Client {
    task(taskId: string): Promise<Record<string, unknown>>;
    status(taskId: string): Promise<{ status: TaskStatus }>;
    listLatestArtifacts(taskId: string): Promise<{ artifacts: Artifact[] }>;
    listArtifacts(taskId: string, runId: number): Promise<{ artifacts: Artifact[] }>;
    getArtifact(taskId: string, runId: number, name: string): Promise<unknown>;
    cancelTask(taskId: string): Promise<{ status: TaskStatus }>;
    rerunTask(taskId: string): Promise<{ status: TaskStatus }>;
    listTaskGroup(
      taskGroupId: string,
      options?: { continuationToken?: string; limit?: number },
    ): Promise<{
      tasks: { status: TaskStatus; task: { metadata?: { name?: string } } }[];
      continuationToken?: string;
    }>;
  }
  export interface Run {
    runId: number;
    state: string;
    reasonCreated: string;
    reasonResolved?: string;
    workerGroup?: string;
    workerId?: string;
    takenUntil?: string;
    scheduled: string;
    started?: string;
    resolved?: string;
  }
  export interface TaskStatus {
    taskId: string;
    state: string;
    taskQueueId: string;
    schedulerId: string;
    taskGroupId: string;
    deadline: string;
    expires: string;
    retriesLeft: number;
    runs: Run[];
  }
  export interface Artifact {
    name: string;
    storageType: string;
    contentType: string;
    expires: string;
  }
  export function createTemporaryCredentials(options: {
    start: Date;
    expiry: Date;
    scopes: string[];
    credentials: Credentials;
  }): Required<Credentials>;
}
