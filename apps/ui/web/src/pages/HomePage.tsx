import { useState, type FormEvent } from 'react';
import { navigate, taskPath } from '../lib/router.js';

export function HomePage() {
  const [taskId, setTaskId] = useState('');
  const valid = /^[A-Za-z0-9_-]{22}$/.test(taskId.trim());
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (valid) navigate(taskPath(taskId.trim()));
  };
  return (
    <section>
      <h1>Find a task</h1>
      <form onSubmit={submit} className="inline-form">
        <label htmlFor="task-id">Task ID</label>
        <input
          id="task-id"
          value={taskId}
          onChange={(event) => setTaskId(event.target.value)}
          aria-describedby="task-id-hint"
          spellCheck={false}
        />
        <button type="submit" disabled={!valid}>
          Open
        </button>
      </form>
      <p id="task-id-hint" className="hint">
        A task ID is 22 letters, digits, <code>-</code> or <code>_</code>.
      </p>
    </section>
  );
}
