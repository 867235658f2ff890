# The collector image. The Container Apps Job runs `auditfeed once` on a schedule; `auditfeed run` suits a long-lived
# container. Configuration comes from AUDITFEED_* environment variables (`auditfeed once --help` lists them).
FROM node:24-bookworm-slim

ENV NODE_ENV=production \
    AUDITFEED_STATE=/var/lib/auditfeed/state.sqlite \
    AUDITFEED_SINK_DIR=/var/lib/auditfeed/events

WORKDIR /opt/auditfeed
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY cli ./cli
COPY collector ./collector
COPY emulator ./emulator
RUN ln -s /opt/auditfeed/bin/auditfeed.js /usr/local/bin/auditfeed \
    && mkdir -p /var/lib/auditfeed && chown node:node /var/lib/auditfeed

# The image's unprivileged user: the collector needs no root, only its state and sink folder.
USER node
WORKDIR /var/lib/auditfeed
VOLUME ["/var/lib/auditfeed"]
CMD ["auditfeed", "once"]
