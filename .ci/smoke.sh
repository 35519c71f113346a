#!/usr/bin/env bash
# Runtime-only smoke of what a release ships: `python -m build` makes the sdist and, from
# it, the wheel; the wheel goes into a fresh venv (no extras, no constraints): --version
# (the one in src/argusai/__init__.py), `argus serve` on a temp data dir until /healthz
# answers 200, `argus review --diff` of a small diff against the fake LLM over HTTP
# (loopback); then the sdist installs over it and runs too.
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

python3 -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 || {
  cat "$work/build.log" >&2
  exit 1
}
version="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' src/argusai/__init__.py)"
wheel="$work/dist/argusai-$version-py3-none-any.whl"
sdist="$work/dist/argusai-$version.tar.gz"
ls "$wheel" "$sdist"

python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet "$wheel"
argus="$work/venv/bin/argus"

"$argus" --version | tee "$work/version"
grep -qx "argus $version" "$work/version"

# argus serve on an empty data dir, nothing configured: it must start and answer /healthz
port="$("$work/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
ARGUS_DATA_DIR="$work/data" "$argus" serve --port "$port" >"$work/serve.log" 2>&1 &
pids+=($!)
ok=""
for _ in $(seq 1 120); do
  if "$work/venv/bin/python" - "$port" <<'PY' 2>/dev/null; then ok=1; break; fi
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
  sleep 0.5
done
if [ -z "$ok" ]; then
  echo "smoke: argus serve did not answer /healthz with 200" >&2
  cat "$work/serve.log" >&2
  exit 1
fi
echo "smoke: argus serve answered /healthz 200"

# argus review --diff against the fake LLM (stdlib only: runs in the runtime venv)
"$work/venv/bin/python" .ci/fake_llm_serve.py "$work/llm.port" &
pids+=($!)
for _ in $(seq 1 50); do [ -s "$work/llm.port" ] && break; sleep 0.1; done
cat >"$work/change.diff" <<'DIFF'
diff --git a/hello.py b/hello.py
new file mode 100644
--- /dev/null
+++ b/hello.py
@@ -0,0 +1,2 @@
+def greet():
+    return 1 / 0
DIFF
set +e
ARGUS_DATA_DIR="$work/data" ARGUS_LLM_PROVIDER=openai ARGUS_LLM_API_KEY=smoke-key \
  ARGUS_LLM_BASE_URL="http://127.0.0.1:$(cat "$work/llm.port")/v1" \
  "$argus" review --diff "$work/change.diff" --format json --fail-on high >"$work/review.json"
rc=$?
set -e
cat "$work/review.json"
if [ "$rc" -ne 1 ]; then
  echo "smoke: argus review --fail-on high exited $rc, expected 1 (one high finding)" >&2
  exit 1
fi
grep -q "Division by zero" "$work/review.json"
echo "smoke: argus review found the finding through the fake LLM"

# the sdist installs too (its dependencies are those already installed) and runs
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
wait || true
pids=()
"$work/venv/bin/python" -m pip install --quiet --no-deps --force-reinstall "$sdist"
"$argus" --version | grep -qx "argus $version"
"$argus" app manifest --url https://argus.example.com >/dev/null
echo "smoke: the sdist installed and runs (argus $version)"
