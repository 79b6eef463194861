#!/usr/bin/env bash
# Runs dvol on each Node given, with nothing an engine or the store would provide (so better-sqlite3,
# built for one Node only, is never loaded):
#   - the built CLI (bin/dvol.cjs -> dist/cli.cjs, esbuild target node20): `help`, `help ls`,
#     `--json ls local` against a Docker socket that does not exist (a host that could not be asked:
#     exit 1, "ok":false), and an unknown command (exit 2, said on stderr);
#   - `npm start`'s program (src/server-main.ts through tsx) with a Slack API that reaches nothing:
#     it listens, answers an unsigned POST with 401 (and logs that one line on stderr), and stops on
#     SIGTERM with exit 0.
# Nothing else may be printed on stderr (no warning of any Node either).
# Usage: bash scripts/smoke.sh NODE_BINARY...   e.g. bash scripts/smoke.sh "$(command -v node)"
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

log() { printf '[smoke] %s\n' "$*"; }
die() {
  printf '[smoke] ERROR: %s\n' "$*" >&2
  exit 1
}

(($# > 0)) || die "usage: bash scripts/smoke.sh NODE_BINARY..."
[[ -f dist/cli.cjs ]] || die "dist/cli.cjs is missing: run npm ci (its prepare script builds it) or npm run build"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Runs the CLI with $node in an empty directory and environment (no config file, no DVOL_* setting);
# expects exit status $1; leaves its output in $tmp/out and $tmp/err.
expect() {
  local want="$1" got=0
  shift
  (cd "$tmp/cwd" && env -i PATH=/usr/bin:/bin HOME="$tmp/home" DOCKER_HOST="unix://$tmp/no-such-docker.sock" \
    "$node" "$ROOT/bin/dvol.cjs" "$@" >"$tmp/out" 2>"$tmp/err") || got=$?
  [[ "$got" == "$want" ]] ||
    die "Node $version: dvol $* exited $got, expected $want; stdout: $(head -c 600 "$tmp/out"); stderr: $(head -c 600 "$tmp/err")"
  [[ "$want" == 2 || ! -s "$tmp/err" ]] || die "Node $version: dvol $* printed on stderr: $(head -c 600 "$tmp/err")"
}

# src/server-main.ts as `npm start` runs it (tsx), from the project (tsx resolves from there), with a
# state directory of its own and Slack settings that reach nothing (the store and Slack are only
# used once a request needs them).
start_smoke() {
  local pid url="" status code=0 i
  env -i PATH=/usr/bin:/bin HOME="$tmp/home" PORT=0 SLACK_SIGNING_SECRET=smoke SLACK_BOT_TOKEN=xoxb-smoke \
    SLACK_API_URL=http://127.0.0.1:9/api/ DVOL_STATE_DIR="$tmp/state" DOCKER_HOST="unix://$tmp/no-such-docker.sock" \
    "$node" --import tsx src/server-main.ts >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  for ((i = 0; i < 200; i++)); do
    url="$(sed -n 's/^dvol: listening on \([^;]*\);.*/\1/p' "$tmp/out")"
    [[ -n "$url" ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z "$url" ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    die "Node $version: npm start did not listen within 20 s; stdout: $(head -c 600 "$tmp/out"); stderr: $(head -c 600 "$tmp/err")"
  fi
  status="$("$node" -e 'fetch(process.argv[1], { method: "POST", body: "x" }).then((r) => console.log(r.status))' "$url" 2>&1)" ||
    status="fetch failed: $status"
  kill -TERM "$pid"
  wait "$pid" || code=$?
  [[ "$status" == 401 ]] || die "Node $version: npm start answered an unsigned POST to $url with $status, expected 401"
  [[ "$code" == 0 ]] || die "Node $version: npm start exited $code on SIGTERM, expected 0; stderr: $(head -c 600 "$tmp/err")"
  grep -q '^dvol: SIGTERM: stopping$' "$tmp/out" || die "Node $version: npm start did not say it was stopping: $(head -c 600 "$tmp/out")"
  # The refused POST is logged (one readable line: time, level, message, its fields); nothing else on stderr.
  grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z WARN +dvol: refused a request: missing-signature( refused=\{.*\})?$' "$tmp/err" ||
    die "Node $version: npm start did not log the refused POST as a readable WARN line: $(head -c 600 "$tmp/err")"
  ! grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z WARN +dvol: refused a request: missing-signature( refused=\{.*\})?$' "$tmp/err" >"$tmp/err.rest" ||
    die "Node $version: npm start printed on stderr: $(head -c 600 "$tmp/err.rest")"
}

mkdir -p "$tmp/cwd" "$tmp/home"
for node in "$@"; do
  [[ -x "$node" ]] || die "$node is not an executable Node binary"
  version="$("$node" --version)"

  expect 0 help
  grep -q '^dvol: .* Commands:$' "$tmp/out" || die "Node $version: dvol help did not print the command list: $(head -c 300 "$tmp/out")"
  expect 0 help ls
  grep -q 'ls <target>' "$tmp/out" || die "Node $version: dvol help ls did not print the usage of ls: $(head -c 300 "$tmp/out")"

  # A reader that goes away at once (`dvol … | head`): no EPIPE stack trace, exit 0.
  (cd "$tmp/cwd" && env -i PATH=/usr/bin:/bin HOME="$tmp/home" "$node" "$ROOT/bin/dvol.cjs" help 2>"$tmp/err" | true)
  [[ ! -s "$tmp/err" ]] || die "Node $version: dvol help | true printed on stderr: $(head -c 600 "$tmp/err")"

  expect 1 --json ls local
  "$node" -e '
    const doc = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    const [h] = doc.hosts;
    if (doc.command !== "ls" || doc.hosts.length !== 1 || h.host !== "local" || h.ok !== false || !/no Docker socket/.test(h.error))
      throw new Error("unexpected document: " + JSON.stringify(doc));
  ' "$tmp/out" 2>"$tmp/err" || die "Node $version: dvol --json ls local: $(cat "$tmp/err")"

  expect 2 frobnicate
  [[ "$(head -1 "$tmp/err")" == 'dvol: unknown command "frobnicate"' ]] ||
    die "Node $version: dvol frobnicate did not say the command is unknown: $(head -c 300 "$tmp/err")"
  log "Node $version ($node): CLI help, help ls, help | true (closed pipe), --json ls local (no engine: exit 1, ok:false), unknown command (exit 2): ok"

  start_smoke
  log "Node $version ($node): npm start listens, answers an unsigned POST with 401, stops on SIGTERM: ok"
done
