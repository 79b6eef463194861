#!/usr/bin/env bash
# Runs the built CLI (bin/dvol.cjs -> dist/cli.cjs, esbuild target node20) on each Node given, with
# nothing an engine or the store would provide: `help`, `help ls`, `--json ls local` against a
# Docker socket that does not exist (a host that could not be asked: exit 1, "ok":false), and an
# unknown command (exit 2, said on stderr). Nothing else may be printed on stderr (no warning of any
# Node either).
# Usage: bash scripts/cli-smoke.sh NODE_BINARY...   e.g. bash scripts/cli-smoke.sh "$(command -v node)"
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

log() { printf '[cli-smoke] %s\n' "$*"; }
die() {
  printf '[cli-smoke] ERROR: %s\n' "$*" >&2
  exit 1
}

(($# > 0)) || die "usage: bash scripts/cli-smoke.sh NODE_BINARY..."
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

mkdir -p "$tmp/cwd" "$tmp/home"
for node in "$@"; do
  [[ -x "$node" ]] || die "$node is not an executable Node binary"
  version="$("$node" --version)"

  expect 0 help
  grep -q '^dvol: .* Commands:$' "$tmp/out" || die "Node $version: dvol help did not print the command list: $(head -c 300 "$tmp/out")"
  expect 0 help ls
  grep -q 'ls <target>' "$tmp/out" || die "Node $version: dvol help ls did not print the usage of ls: $(head -c 300 "$tmp/out")"

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
  log "Node $version ($node): help, help ls, --json ls local (no engine: exit 1, ok:false), unknown command (exit 2): ok"
done
