#!/usr/bin/env bash
# Starts `orderhub serve` from this checkout on loopback with the examples
# config (a temporary SQLite database and temp folder of its own), runs
# scripts/edge-audit.py against it, and stops it.
#   scripts/edge-audit.sh [PORT]
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-18080}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/orderhub" ./cmd/orderhub
sed -e "s#listen: 127.0.0.1:8080#listen: 127.0.0.1:$port#" \
    -e "s#public_url: http://127.0.0.1:8080#public_url: http://127.0.0.1:$port#" \
    -e "s#sqlite://./orderhub.db#sqlite://$work/hub.db#" examples/orderhub.yaml >"$work/orderhub.yaml"
mkdir -p "$work/tmp"
set -a; . examples/demo.env; set +a
TMPDIR="$work/tmp" "$work/orderhub" serve --config "$work/orderhub.yaml" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
python3 scripts/edge-audit.py --url "http://127.0.0.1:$port" --pid "$pid" --tmpdir "$work/tmp"
