import type { Executor } from './engine.js';
import { InsecureEngine } from './insecure-engine.js';
import { SandboxEngine, type SandboxEngineOptions } from './sandbox-engine.js';

/** An engine a pool may not use; the message says why and what to do. */
export class EngineRefused extends Error {
  override readonly name = 'EngineRefused';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_ENGINE_REFUSED';
}

/**
 * The one place engines are made (S9): `sandbox` unless the configuration explicitly
 * names `insecure`, which a pool marked isolated never accepts, and which needs the
 * operator's explicit consent besides.
 */
export function createEngine(options: {
  engine: 'sandbox' | 'insecure';
  isolatedPool: boolean;
  allowInsecure: boolean;
  sandbox: SandboxEngineOptions;
}): Executor {
  if (options.engine === 'sandbox') return new SandboxEngine(options.sandbox);
  if (options.isolatedPool) {
    throw new EngineRefused(
      'an isolated pool runs tasks only in the sandbox engine; the insecure engine is refused',
    );
  }
  if (!options.allowInsecure) {
    throw new EngineRefused(
      'the insecure engine runs tasks without isolation; start with --allow-insecure to accept that',
    );
  }
  return new InsecureEngine();
}
