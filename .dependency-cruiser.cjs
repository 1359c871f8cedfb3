// The folder rules of src/, checked by `npm run lint:deps` (part of `npm test`):
// - no cycle between modules (a folder that imports its caller);
// - the domain (attendance/) imports no vendor, no simulator, no plugin and no route: the port
//   (attendance/source.ts, source-failure.ts) owns every type it needs;
// - vendors/ import no route, plugin or simulator; the app (app.ts, plugins/, routes/) imports no
//   simulator: demo mode's simulators are started by the entry point (server.ts, demo/);
// - formats/ (how an answer is written) and exports/ (export jobs) import no route or plugin: the routes
//   and plugins wire them, not the other way round;
// - cli/ is a client of the HTTP API: it imports nothing of the service but the schemas' types.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'A cycle means some module imports its caller: split the shared part out.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-imports-no-edge',
      severity: 'error',
      comment: 'attendance/ is the domain: it talks to vendors through the port it owns.',
      from: { path: '(^|/)src/attendance/' },
      to: { path: '(^|/)src/(vendors|simulators|plugins|routes|store|demo)/' },
    },
    {
      name: 'vendors-import-no-app',
      severity: 'error',
      from: { path: '(^|/)src/vendors/' },
      to: { path: '(^|/)src/(routes|plugins|simulators|demo)/|(^|/)src/app\\.ts$' },
    },
    {
      name: 'app-imports-no-simulator',
      severity: 'error',
      comment: 'Test doubles stay out of the production import graph: only server.ts (via demo/) starts them.',
      from: { path: '(^|/)src/(app\\.ts|plugins/|routes/|attendance/|vendors/|store/|schemas/|config/)' },
      to: { path: '(^|/)src/(simulators|demo)/' },
    },
    {
      name: 'formats-and-exports-import-no-app',
      severity: 'error',
      comment: 'Routes and plugins wire formats/ and exports/; these never reach back into them.',
      from: { path: '(^|/)src/(formats|exports)/' },
      to: { path: '(^|/)src/(routes|plugins|simulators|demo)/|(^|/)src/app\\.ts$' },
    },
    {
      name: 'cli-is-an-http-client',
      severity: 'error',
      comment: 'The CLI talks to the service over HTTP; it may only share the schema types.',
      from: { path: '(^|/)src/cli/' },
      to: { path: '(^|/)src/(?!cli/|schemas/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
}
