#!/usr/bin/env bash
# Installs what dvol's integration test bed needs, idempotently:
#   - Debian bookworm's docker.io (20.10, API 1.41), containerd, runc, busybox-static, openssl, iproute2;
#   - a current engine (docker.io 28.x, API 1.51, + containerd and docker-cli) from Debian's `forky`
#     suite, fetched with a private apt configuration (the system's apt sources are not changed)
#     and unpacked with `dpkg -x` into a cache directory.
# Run as root. Safe to run repeatedly; the second run does no network access.
#
# Env: DVOL_TESTBED_CACHE  where forky's packages are unpacked (default /var/cache/dvol-testbed/forky)
set -euo pipefail

FORKY_DIR="${DVOL_TESTBED_CACHE:-/var/cache/dvol-testbed/forky}"
FORKY_SUITE="forky"
MIRROR="http://deb.debian.org/debian"
KEYRING="/usr/share/keyrings/debian-archive-keyring.gpg"
# make, g++ and python3: node-gyp builds better-sqlite3 (the embedded store) during `npm ci`.
BOOKWORM_PKGS=(docker.io busybox-static openssl runc containerd iproute2 ca-certificates make g++ python3)
FORKY_PKGS=(docker.io containerd docker-cli)

log() { printf '[testbed-install] %s\n' "$*"; }
die() {
  printf '[testbed-install] ERROR: %s\n' "$*" >&2
  exit 1
}

[[ "$(id -u)" == 0 ]] || die "must run as root (it installs Debian packages)"
command -v apt-get >/dev/null && command -v dpkg >/dev/null || die "needs a Debian system (apt-get, dpkg)"

is_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == "installed" ]]
}

# --- 1. bookworm packages ---------------------------------------------------------------------------
install_bookworm() {
  local missing=() p
  for p in "${BOOKWORM_PKGS[@]}"; do is_installed "$p" || missing+=("$p"); done
  if ((${#missing[@]} == 0)); then
    log "system packages already installed"
    return
  fi
  log "installing system packages: ${missing[*]}"
  # Never let the packages' maintainer scripts start a system-wide dockerd/containerd: the test bed
  # starts its own engines. If the machine has no policy-rc.d, put one in place for this install only.
  local policy=/usr/sbin/policy-rc.d made_policy=""
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q || die "apt-get update failed"
  apt-get install -y -q --no-install-recommends "${BOOKWORM_PKGS[@]}" || die "apt-get install failed"
  if [[ -n "$made_policy" ]]; then
    rm -f "$policy"
    trap - EXIT
  fi
}

# --- 2. forky engine ----------------------------------------------------------------------------------
FORKY_APT_DIR="$FORKY_DIR/apt"
FORKY_ROOT="$FORKY_DIR/root"
FORKY_DEBS="$FORKY_DIR/debs"
FORKY_STAMP="$FORKY_DIR/versions.env"

forky_apt() {
  local cmd="$1"
  shift
  "$cmd" \
    -o Dir::Etc::SourceList="$FORKY_APT_DIR/sources.list" \
    -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::Etc::Preferences=/dev/null \
    -o Dir::Etc::PreferencesParts=/dev/null \
    -o Dir::State="$FORKY_APT_DIR/state" \
    -o Dir::State::Lists="$FORKY_APT_DIR/state/lists" \
    -o Dir::State::status=/dev/null \
    -o Dir::Cache="$FORKY_APT_DIR/cache" \
    -o APT::Architecture="$(dpkg --print-architecture)" \
    "$@"
}

install_forky() {
  if [[ -f "$FORKY_STAMP" && -x "$FORKY_ROOT/usr/sbin/dockerd" ]] && "$FORKY_ROOT/usr/sbin/dockerd" --version >/dev/null 2>&1; then
    log "forky engine already unpacked in $FORKY_DIR"
    return
  fi
  [[ -r "$KEYRING" ]] || die "missing $KEYRING (package debian-archive-keyring)"
  log "fetching ${FORKY_PKGS[*]} from Debian $FORKY_SUITE into $FORKY_DIR"
  rm -rf "$FORKY_ROOT" "$FORKY_DEBS" "$FORKY_STAMP"
  mkdir -p "$FORKY_APT_DIR/state/lists/partial" "$FORKY_APT_DIR/cache/archives/partial" "$FORKY_DEBS" "$FORKY_ROOT"
  echo "deb [signed-by=$KEYRING] $MIRROR $FORKY_SUITE main" >"$FORKY_APT_DIR/sources.list"
  # apt downloads as the unprivileged _apt user when it can write there.
  if id _apt >/dev/null 2>&1; then chown _apt "$FORKY_DEBS" "$FORKY_APT_DIR/state/lists/partial"; fi

  forky_apt apt-get -q update || die "apt-get update for $FORKY_SUITE failed (private apt config in $FORKY_APT_DIR)"
  (cd "$FORKY_DEBS" && forky_apt apt-get -q download "${FORKY_PKGS[@]}") ||
    die "apt-get download ${FORKY_PKGS[*]} from $FORKY_SUITE failed"

  local deb
  for deb in "$FORKY_DEBS"/*.deb; do dpkg -x "$deb" "$FORKY_ROOT" || die "dpkg -x $deb failed"; done

  local bin
  for bin in usr/sbin/dockerd usr/bin/containerd usr/bin/containerd-shim-runc-v2 usr/bin/docker; do
    [[ -x "$FORKY_ROOT/$bin" ]] || die "$bin is missing from the unpacked $FORKY_SUITE packages"
  done
  "$FORKY_ROOT/usr/sbin/dockerd" --version >/dev/null 2>&1 ||
    die "$FORKY_SUITE's dockerd does not run on this system (glibc $(ldd --version | head -1)): $("$FORKY_ROOT/usr/sbin/dockerd" --version 2>&1 | head -3)"
  "$FORKY_ROOT/usr/bin/containerd" --version >/dev/null 2>&1 || die "$FORKY_SUITE's containerd does not run on this system"

  {
    echo "FORKY_DOCKER_PKG_VERSION=$(dpkg-deb -f "$FORKY_DEBS"/docker.io_*.deb Version)"
    echo "FORKY_CONTAINERD_PKG_VERSION=$(dpkg-deb -f "$FORKY_DEBS"/containerd_*.deb Version)"
    echo "FORKY_DOCKER_CLI_PKG_VERSION=$(dpkg-deb -f "$FORKY_DEBS"/docker-cli_*.deb Version)"
  } >"$FORKY_STAMP.tmp"
  mv "$FORKY_STAMP.tmp" "$FORKY_STAMP"
  case "$(dpkg-deb -f "$FORKY_DEBS"/docker.io_*.deb Version)" in
  28.*) ;;
  *) log "WARNING: $FORKY_SUITE's docker.io is no longer 28.x; the test bed expects a 28.x engine (API 1.51)" ;;
  esac
  rm -rf "$FORKY_APT_DIR/cache/archives"/*.deb
}

# --- 3. checks and summary --------------------------------------------------------------------------
check_bookworm() {
  local bin
  for bin in /usr/sbin/dockerd /usr/bin/docker /usr/bin/containerd /usr/bin/containerd-shim-runc-v2 \
    /usr/sbin/runc /bin/busybox /usr/bin/openssl; do
    [[ -x "$bin" ]] || die "$bin is missing after installing ${BOOKWORM_PKGS[*]}"
  done
  /usr/sbin/dockerd --version >/dev/null 2>&1 || die "/usr/sbin/dockerd does not run"
  /usr/sbin/runc --version >/dev/null 2>&1 || die "/usr/sbin/runc does not run"
  /bin/busybox true || die "/bin/busybox does not run"
}

install_bookworm
check_bookworm
install_forky

# shellcheck disable=SC1090
source "$FORKY_STAMP"
cat <<EOF
[testbed-install] ready
  docker20 (bookworm): dockerd    /usr/sbin/dockerd ($(/usr/sbin/dockerd --version))
                       containerd /usr/bin/containerd ($(/usr/bin/containerd --version | awk '{print $3}'))
                       cli        /usr/bin/docker
  docker28 (forky):    dockerd    $FORKY_ROOT/usr/sbin/dockerd ($("$FORKY_ROOT/usr/sbin/dockerd" --version))
                       containerd $FORKY_ROOT/usr/bin/containerd (package $FORKY_CONTAINERD_PKG_VERSION)
                       cli        $FORKY_ROOT/usr/bin/docker (package $FORKY_DOCKER_CLI_PKG_VERSION)
                       package    docker.io $FORKY_DOCKER_PKG_VERSION
  runc (both engines): /usr/sbin/runc ($(/usr/sbin/runc --version | head -1))
  busybox-static:      /bin/busybox
  openssl:             /usr/bin/openssl
  versions recorded in $FORKY_STAMP
EOF
