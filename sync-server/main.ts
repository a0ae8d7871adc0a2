/**
 * `npm start` entry point. The sync server (Hocuspocus with JWT roles, SQLite persistence and the
 * PWA on one port) is the next piece of work; until it lands, say so plainly.
 */
console.log(
  [
    'Headcount: the sync server is not built yet.',
    'What exists today is the shared document model and its derivations (shared/).',
    'Run `npm test` to see them work, or `npm run bench` to measure them.',
  ].join('\n'),
);
