// The folder rules of src/, checked by test/architecture/dependencies.test.ts (part of `npm test`). The
// layers, from the top (docs/architecture/overview.md):
//   service/     the HTTP service: server, app, plugins, routes
//   domain/      what the service knows without HTTP: queries, cache, budgets, exports, events, formats
//   vendors/     one folder per vendor behind the port the domain owns (domain/attendance/source.ts)
//   store/       the shared state (Redis, or memory)
//   schemas/, errors/, config/, platform/   the contract, the error catalogue, configuration, time/logs/metrics
// and, apart from them, two other programs: simulators/ (the vendors' stand-ins) and cli/ (an HTTP client).
// A layer imports only layers below it; a cycle anywhere means a module imports its caller.
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
      name: 'domain-imports-no-service',
      severity: 'error',
      comment: 'domain/ knows no HTTP: routes and plugins wire it, never the other way round.',
      from: { path: '(^|/)src/domain/' },
      to: { path: '(^|/)src/(service|simulators|cli)/' },
    },
    {
      name: 'queries-import-no-vendor',
      severity: 'error',
      comment:
        'domain/attendance/ talks to vendors through the port it owns (source.ts) and to the store through the cache.',
      from: { path: '(^|/)src/domain/attendance/' },
      to: { path: '(^|/)src/(vendors|store)/' },
    },
    {
      name: 'vendors-import-no-service',
      severity: 'error',
      from: { path: '(^|/)src/vendors/' },
      to: { path: '(^|/)src/(service|simulators|cli)/' },
    },
    {
      name: 'lower-layers-import-no-upper',
      severity: 'error',
      comment: 'store/, schemas/, errors/, config/ and platform/ serve every layer above them and import none.',
      from: { path: '(^|/)src/(store|schemas|errors|config|platform)/' },
      to: { path: '(^|/)src/(service|domain|vendors|simulators|cli)/' },
    },
    {
      name: 'app-imports-no-simulator',
      severity: 'error',
      comment:
        'Test doubles stay out of the production import graph: only the entry point (server.ts, demo-sources.ts) starts them.',
      from: { path: '(^|/)src/', pathNot: '(^|/)src/(service/(server|demo-sources)\\.ts$|simulators/)' },
      to: { path: '(^|/)src/simulators/' },
    },
    {
      name: 'simulators-import-no-service',
      severity: 'error',
      comment:
        "The simulators stand for the vendors: they share the neutral helpers (time, work dates) and a vendor's wire crypto (its folder's crypto.ts, pinned by published vectors), never the service.",
      from: { path: '(^|/)src/simulators/' },
      to: {
        path: '(^|/)src/(service|domain|vendors|store|cli)/',
        pathNot: '(^|/)src/vendors/[^/]+/crypto\\.ts$',
      },
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
