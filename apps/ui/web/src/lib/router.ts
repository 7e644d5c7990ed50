import { useSyncExternalStore } from 'react';

/**
 * The UI's routes (the control plane answers exactly these paths with the app, see
 * apps/server/src/ui-routes.ts). No credential ever appears in a path or a query.
 */
export type Route =
  | { page: 'home' }
  | { page: 'task'; taskId: string }
  | { page: 'log'; taskId: string; runId: number }
  | { page: 'group'; taskGroupId: string }
  | { page: 'not-found' };

const TASK_ID = '([A-Za-z0-9_-]{22})';

export function parseRoute(pathname: string): Route {
  if (pathname === '/') return { page: 'home' };
  const task = new RegExp(`^/tasks/${TASK_ID}$`).exec(pathname);
  if (task) return { page: 'task', taskId: task[1]! };
  const log = new RegExp(`^/tasks/${TASK_ID}/runs/(0|[1-9][0-9]{0,3})/log$`).exec(pathname);
  if (log) return { page: 'log', taskId: log[1]!, runId: Number(log[2]) };
  const group = new RegExp(`^/groups/${TASK_ID}$`).exec(pathname);
  if (group) return { page: 'group', taskGroupId: group[1]! };
  return { page: 'not-found' };
}

export const taskPath = (taskId: string): string => `/tasks/${taskId}`;
export const groupPath = (taskGroupId: string): string => `/groups/${taskGroupId}`;
export const logPath = (taskId: string, runId: number): string =>
  `/tasks/${taskId}/runs/${runId}/log`;

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((listener) => listener()));

export function navigate(path: string): void {
  window.history.pushState(null, '', path);
  listeners.forEach((listener) => listener());
}

export function useLocation(): string {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => window.location.pathname,
  );
}
