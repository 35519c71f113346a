#!/usr/bin/env bash
# Install Debian's chromium for the browser tests (tests/browser). Playwright drives it via
# executable_path=/usr/bin/chromium: never run `playwright install` (it downloads a browser).
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  echo "browser-setup: $("$CHROMIUM" --version 2>/dev/null || echo chromium) already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
# Mirrors can be slow: generous timeouts and a few retries instead of failing the run.
APT_OPTS=(-o Acquire::Retries=5 -o Acquire::http::Timeout=120 -o Dpkg::Use-Pty=0)

for attempt in 1 2 3; do
  if $SUDO apt-get "${APT_OPTS[@]}" update -qq \
    && $SUDO apt-get "${APT_OPTS[@]}" install -y -qq --no-install-recommends chromium; then
    break
  fi
  echo "browser-setup: apt-get failed (attempt $attempt); retrying in $((attempt * 15)) s" >&2
  sleep $((attempt * 15))
done

if [ ! -x "$CHROMIUM" ]; then
  echo "browser-setup: $CHROMIUM is still missing after apt-get install chromium" >&2
  exit 1
fi
echo "browser-setup: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed"
