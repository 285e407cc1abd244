# sports-analytics: one image for the API (`serve`) and the jobs (`migrate`, `seed-demo`,
# `ingest`, `check`, `features`, `predict`).
#
# Builds with the legacy builder and with BuildKit alike: no `# syntax=` line, no RUN --mount,
# no COPY --chmod/--link. Build metadata comes from build args, e.g.
#   docker build -t sports-analytics:dev \
#     --build-arg APP_VERSION=0.1.0 --build-arg GIT_SHA="$(git rev-parse HEAD)" \
#     --build-arg BUILD_TIME="$(date -u +%Y-%m-%dT%H:%M:%SZ)" .
# No secret is needed to build, and none may be passed as a build arg (args are kept in the
# image history).
#
# Stages: `deps` (the hash-locked dependencies in /opt/venv), `build` (the package, from the
# source), `runtime` (the slim base + those two, as UID 10001). A code-only change rebuilds
# only the small package layer; the dependency layer comes from the cache.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS deps

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1

# pip and setuptools live in their own venv (/opt/tools) and never enter the app's venv, so the
# runtime image has no installer in it. Both venvs are filled from hash-locked files only.
COPY requirements.lock deploy/docker/build-requirements.lock /tmp/locks/
RUN python -m venv /opt/tools \
 && /opt/tools/bin/pip install -q --require-hashes --no-deps --only-binary=:all: \
      -r /tmp/locks/build-requirements.lock \
 && python -m venv --without-pip /opt/venv \
 && /opt/tools/bin/pip --python /opt/venv/bin/python install -q --require-hashes --no-deps \
      --only-binary=:all: -r /tmp/locks/requirements.lock \
 && /opt/tools/bin/pip --python /opt/venv/bin/python check \
 && rm -f /opt/venv/bin/activate* /opt/venv/bin/Activate.ps1 \
 && /opt/venv/bin/python -m compileall -q -j 0 /opt/venv/lib

# ---------------------------------------------------------------------------------------------
FROM deps AS build

# The source only now: everything above is reused when only the code changes.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY service ./service
# Install the package into /opt/venv offline and without dependencies: the app venv's python
# runs the build venv's pip and setuptools (found through PYTHONPATH, for this command only).
# Then compile its bytecode and stage just the files it added under /stage.
RUN tools="$(/opt/tools/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
 && PYTHONPATH="$tools" /opt/venv/bin/python -m pip install -q --no-deps --no-build-isolation \
      --no-index . \
 && site="$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
 && /opt/venv/bin/python -m compileall -q "$site/sports_analytics" \
 && mkdir -p "/stage$site" /stage/opt/venv/bin \
 && cp -a "$site"/sports_analytics "$site"/sports_analytics-*.dist-info "/stage$site/" \
 && cp -a /opt/venv/bin/sports-analytics /stage/opt/venv/bin/

# ---------------------------------------------------------------------------------------------
# runtime: the slim base plus the virtualenv, as an unprivileged user.
FROM ${PYTHON_IMAGE} AS runtime

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin app \
 && mkdir -p /app

# The dependencies: a big layer that changes only with requirements.lock.
COPY --from=deps /opt/venv /opt/venv

# Only /tmp needs to be writable (a tmpfs in Compose, an emptyDir in Kubernetes): gunicorn's
# worker heartbeat files and the Prometheus multiprocess directory live there.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    APP_ENV=production \
    PORT=8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
WORKDIR /app
USER 10001:10001
EXPOSE 8000
# Health for a plain `docker run`: /readyz (database up, schema at head) with the image's own
# Python, so no curl or wget is added. Compose defines its own healthcheck for `api` and turns
# this one off for the one-shot `migrate`; Kubernetes ignores HEALTHCHECK and uses the chart's
# probes. Commands other than `serve` (migrate, ingest, ...) start no server and report
# unhealthy: run them with `--no-healthcheck`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-Sc", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('PORT', '8000'), timeout=4)"]
ENTRYPOINT ["sports-analytics"]
CMD ["serve"]

# Build metadata, reported by /version. Placed after the dependency layer, so a new commit
# never invalidates it.
ARG APP_VERSION=""
ARG GIT_SHA=unknown
ARG BUILD_TIME=unknown
ARG SOURCE_URL=https://github.com/sports-analytics/sports-analytics
LABEL org.opencontainers.image.title="sports-analytics" \
      org.opencontainers.image.description="Basketball analytics API on PostgreSQL" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${GIT_SHA}" \
      org.opencontainers.image.version="${APP_VERSION}" \
      org.opencontainers.image.created="${BUILD_TIME}"
ENV APP_VERSION=${APP_VERSION} \
    GIT_SHA=${GIT_SHA} \
    BUILD_TIME=${BUILD_TIME}

# The package last: a code-only change rebuilds just this small layer (root-owned, read-only
# for UID 10001 like everything else).
COPY --from=build /stage/ /
