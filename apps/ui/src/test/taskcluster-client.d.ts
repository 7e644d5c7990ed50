// The published client ships no types; tests use it exactly as third parties do.
declare module 'taskcluster-client';
