# The collector image: one bundle of the collector's commands (cli/src/job.ts: run, once, backfill) on Node 24, and
# nothing else from this repository: no emulator, no node-forge, no Pulumi, no node_modules, no npm.
# The Container Apps Job runs `auditfeed once` on a schedule; `auditfeed run` suits a long-lived container.
# Configuration comes from AUDITFEED_* environment variables (`auditfeed once --help` lists them).
# test/e2e/container-image.test.ts builds the same artifact with the same command, starts it the way this file does
# (as a user who cannot write the code or the working folder) and checks that it collects and what it holds.

# The bundle is the same on every platform: build it once, natively, for a multi-platform image.
FROM --platform=$BUILDPLATFORM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The bundler is a dev dependency; its binary arrives as an optional dependency, so no install script needs to run.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY cli ./cli
COPY collector ./collector
RUN node cli/build-job.ts dist/job

FROM node:24-bookworm-slim
# npm and corepack are not needed at run time; removing them removes them from the image's vulnerability reports.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
    && mkdir -p /var/lib/auditfeed \
    && chown node:node /var/lib/auditfeed
COPY --from=build /src/dist/job/ /opt/auditfeed/
RUN ln -s /opt/auditfeed/auditfeed.mjs /usr/local/bin/auditfeed

# State and output live on the one writable path, so the root filesystem can be mounted read-only
# (docker run --read-only -v auditfeed:/var/lib/auditfeed ...). TMPDIR points there too: SQLite spills temporary
# files to it, and Node itself writes nothing else.
ENV NODE_ENV=production \
    AUDITFEED_STATE=/var/lib/auditfeed/state.sqlite \
    AUDITFEED_SINK_DIR=/var/lib/auditfeed/events \
    TMPDIR=/var/lib/auditfeed

# The image's unprivileged user: the collector needs no root, only its state and sink folder.
USER node
WORKDIR /opt/auditfeed
VOLUME ["/var/lib/auditfeed"]
CMD ["auditfeed", "once"]
