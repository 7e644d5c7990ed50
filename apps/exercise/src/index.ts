export { runExercise, type ExerciseOptions, type ExerciseReport } from './runner.js';
export { GOALS } from './goals/index.js';
export { WEAKENINGS, type Weakening } from './set-up.js';
export { tableReport } from './report/table.js';
export { jsonReport } from './report/json.js';
export { htmlReport } from './report/html.js';
export type { AttackResult, Verdict } from './types.js';
