import { useState, type FormEvent } from 'react';
import { groupPath, navigate, taskPath } from '../lib/router.js';

export function HomePage() {
  const [taskId, setTaskId] = useState('');
  const [kind, setKind] = useState<'task' | 'group'>('task');
  const valid = /^[A-Za-z0-9_-]{22}$/.test(taskId.trim());
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (valid) navigate(kind === 'task' ? taskPath(taskId.trim()) : groupPath(taskId.trim()));
  };
  return (
    <section>
      <h1>Find a task</h1>
      <form onSubmit={submit} className="inline-form">
        <label htmlFor="id-kind">Find</label>
        <select
          id="id-kind"
          value={kind}
          onChange={(event) => setKind(event.target.value === 'group' ? 'group' : 'task')}
        >
          <option value="task">a task</option>
          <option value="group">a task group</option>
        </select>
        <label htmlFor="task-id">{kind === 'task' ? 'Task ID' : 'Task group ID'}</label>
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
        An ID is 22 letters, digits, <code>-</code> or <code>_</code>.
      </p>
    </section>
  );
}
