import { useEffect, useRef, useSyncExternalStore } from 'react';
import { Link } from './lib/Link.js';
import { parseRoute, useLocation } from './lib/router.js';
import { sessionSnapshot, signOut, subscribeSession, type Session } from './lib/session.js';
import { GroupPage } from './pages/GroupPage.js';
import { HomePage } from './pages/HomePage.js';
import { LogPage } from './pages/LogPage.js';
import { SignInPage } from './pages/SignInPage.js';
import { TaskPage } from './pages/TaskPage.js';

function Page({ session, path }: { session: Session; path: string }) {
  const route = parseRoute(path);
  switch (route.page) {
    case 'home':
      return <HomePage />;
    case 'task':
      return <TaskPage session={session} taskId={route.taskId} />;
    case 'group':
      return <GroupPage session={session} taskGroupId={route.taskGroupId} />;
    case 'log':
      return <LogPage session={session} taskId={route.taskId} runId={route.runId} />;
    case 'not-found':
      return (
        <section>
          <h1>Not found</h1>
          <p>
            Nothing here. <Link to="/">Find a task</Link>.
          </p>
        </section>
      );
  }
}

export function App() {
  const { session, notice } = useSyncExternalStore(subscribeSession, sessionSnapshot);
  const path = useLocation();
  const main = useRef<HTMLElement>(null);
  // A new page moves keyboard focus to its content, as a page load would.
  useEffect(() => main.current?.focus(), [path, session]);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <Link to="/" className="brand">
          Bulwark
        </Link>
        {session && (
          <div className="who">
            <span>
              Signed in as <strong>{session.clientId}</strong>
            </span>
            <button type="button" onClick={() => signOut()}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {session ? <Page session={session} path={path} /> : <SignInPage notice={notice} />}
      </main>
    </>
  );
}
