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

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------------------------
# build: a virtualenv with the hash-locked dependencies, then the package itself.
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# Dependencies first and alone, so a code-only change reuses these layers. The build backend
# (setuptools) is hash-locked too, so the package step below downloads nothing.
COPY requirements.lock deploy/docker/build-requirements.lock /tmp/locks/
RUN pip install --require-hashes --no-deps --only-binary=:all: -r /tmp/locks/requirements.lock \
 && pip install --require-hashes --no-deps --only-binary=:all: -r /tmp/locks/build-requirements.lock \
 && pip check

# Then the package, without touching the dependencies, and without pip or setuptools
# afterwards: the runtime image has no installer in it.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY service ./service
RUN pip install --no-deps --no-build-isolation --no-index --no-compile . \
 && pip uninstall -y -q pip setuptools wheel \
 && rm -rf /opt/venv/bin/activate* /opt/venv/bin/Activate.ps1 \
 && find /opt/venv -depth -type d -name __pycache__ -exec rm -rf {} + \
 && python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/venv/lib \
 && sports-analytics --help >/dev/null

# ---------------------------------------------------------------------------------------------
# runtime: the slim base plus the virtualenv, as an unprivileged user.
FROM ${PYTHON_IMAGE} AS runtime

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin app \
 && mkdir -p /app

COPY --from=build /opt/venv /opt/venv

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

# Build metadata last: changing it never invalidates the layers above.
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

ENTRYPOINT ["sports-analytics"]
CMD ["serve"]
