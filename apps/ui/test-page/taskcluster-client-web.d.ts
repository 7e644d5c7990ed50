// The published browser client ships no types; the test drives it as untyped JavaScript.
declare module 'taskcluster-client-web';
