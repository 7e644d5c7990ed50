/** What one attack concluded. */
export type Verdict = 'BLOCKED' | 'BREACHED' | 'INCONCLUSIVE';

/** What an attack saw, for a person to check the verdict: never a token (see redact.ts). */
export interface Evidence {
  /** The request as sent: method, path, who signed it. */
  request?: string;
  /** The answer's HTTP status. */
  status?: number;
  /** The answer's error code (InsufficientScopes, AuthenticationFailed, ...). */
  code?: string;
  /** The task the attack ran in, when it ran in one. */
  taskId?: string;
  /** The lines of the task's log that decided the verdict. */
  logExcerpt?: string;
  /** Anything else that decided it. */
  notes?: string[];
}

export interface AttackResult {
  goal: number;
  /** Stable id, `<goal>.<method>`, for CI and for tests to name an attack. */
  id: string;
  title: string;
  /** The invariants of SECURITY.md this attack tries to break. */
  invariants: string[];
  verdict: Verdict;
  /** One sentence: why this verdict. */
  reason: string;
  evidence: Evidence;
}

export interface Credentials {
  clientId: string;
  accessToken: string;
  certificate?: string;
}

/** What set-up made for the attacks to aim at; absent with `--as` (nothing is set up). */
export interface Victims {
  /** Another project's client; its token is used only to play the victim's own requests. */
  client: Credentials;
  /** A secret the red team holds no scope for, and its value. */
  secretName: string;
  secretValue: string;
  /** A pool the red team may not claim from, with a pending task of the victim's in it. */
  pool: string;
  pendingTaskId: string;
  /** A running task of the victim's in the red team's own pool (goal 3's target). */
  runningTaskId?: string;
  /**
   * The victim's signing keys (goal 9). The victim's client may sign with them: it plays
   * the release pipeline the red team tries to trick into signing its artifacts.
   */
  signing?: SigningVictims;
}

/** What set-up made for goal 9: the victim's release keys and a release with real provenance. */
export interface SigningVictims {
  releaseKeyId: string;
  nightlyKeyId: string;
  /** The victim's completed release task, whose provenance the replay attack copies. */
  release: { taskId: string; artifact: string; content: string } | undefined;
}

/** Everything an attack may use. The red team's credentials are the only ones it attacks with. */
export interface ExerciseContext {
  rootUrl: string;
  /** Short id of this run; every name the exercise makes contains it. */
  runId: string;
  /** The pool the red team's tasks run in. */
  pool: string;
  redTeam: Credentials;
  victims: Victims | undefined;
  /** Every credential the exercise knows of: a task log that shows one is a breach (goal 2). */
  knownTokens: string[];
  /** A secret name the red team may read (its own namespace), for traversal attacks. */
  ownSecretPrefix: string | undefined;
  /** A secret the red team may read (in that namespace), and its value: the masking attack's. */
  ownSecret: { name: string; value: string } | undefined;
  /**
   * The deployment's data directory, when it is on this machine and the operator named it
   * (`--data-dir`): the audit walks it for files other users can read.
   */
  dataDir: string | undefined;
  /**
   * A command that restarts the deployment's control plane, when the operator allows it
   * (`--restart-command`): goal 1 replays a captured request across the restart.
   */
  restartCommand: string | undefined;
  /** Every task log the attacks read, for the audit's scan once every goal is done. */
  logsRead: { taskId: string; log: string }[];
  signal: AbortSignal;
  progress: (line: string) => void;
}

export interface Goal {
  number: number;
  title: string;
  /** False for goals the exercise does not attack yet: reported INCONCLUSIVE, never BLOCKED. */
  implemented: boolean;
  run(context: ExerciseContext): Promise<AttackResult[]>;
}
