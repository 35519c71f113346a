# ArgusAI: web server and worker in one image (`argus serve`, `argus worker`).
# Two stages: the first builds the wheel (python -m build), the second installs only that
# wheel with the tested versions (constraints.txt) — the same artefact `pip install` gets.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY constraints.txt ./
RUN pip install build -c constraints.txt
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m build --wheel --outdir /dist

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ARGUS_DATA_DIR=/data \
    ARGUS_LOG_FORMAT=json

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin argus \
    && mkdir -p /data && chown argus:argus /data

COPY --from=build /dist/ /tmp/dist/
COPY constraints.txt /tmp/constraints.txt
RUN pip install /tmp/dist/argusai-*.whl -c /tmp/constraints.txt \
    && rm -rf /tmp/dist /tmp/constraints.txt

USER argus
WORKDIR /app
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["argus", "serve", "--host", "0.0.0.0", "--port", "8000"]
