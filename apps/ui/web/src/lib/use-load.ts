import { useCallback, useEffect, useState } from 'react';
import { describeFailure } from './clients.js';

export type Loaded<T> =
  { state: 'loading' } | { state: 'failed'; message: string } | { state: 'ready'; value: T };

/** Loads once per change of `key`; `reload` loads again. Answers of a stale load are dropped. */
export function useLoad<T>(key: string, load: () => Promise<T>): [Loaded<T>, () => void] {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    load().then(
      (value) => current && setLoaded({ state: 'ready', value }),
      (err: unknown) => current && setLoaded({ state: 'failed', message: describeFailure(err) }),
    );
    return () => {
      current = false;
    };
    // `load` is a new closure each render; `key` and `generation` say when to load again.
  }, [key, generation]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return [loaded, reload];
}
