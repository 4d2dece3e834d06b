#!/usr/bin/env bash
# Locate or build the control-plane binaries used by Flotilla's integration
# tests (kube-apiserver + etcd), in the layout KUBEBUILDER_ASSETS expects.
#
# Usage: scripts/envtest.sh
#   Prints the assets directory as the last line on stdout. Everything else
#   (progress, go output) goes to stderr.
#
# Environment:
#   KUBEBUILDER_ASSETS     if set and it holds executable kube-apiserver and
#                          etcd, it is printed and nothing is built.
#   FLOTILLA_TOOLS_CACHE   cache root (default: $HOME/.cache/flotilla/tools)
#   FLOTILLA_K8S_VERSION   k8s.io/kubernetes version (default below)
#   FLOTILLA_ETCD_VERSION  go.etcd.io/etcd/server/v3 version (default below)
#   FLOTILLA_BUILD_JOBS    go build -p value (default: number of CPUs)
#   FLOTILLA_TOOLS_LOCK_TIMEOUT  seconds to wait for a concurrent build (1800)
#
# Only the Go module proxy is used (via the go command); nothing else is
# downloaded.
set -euo pipefail

K8S_VERSION="${FLOTILLA_K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${FLOTILLA_ETCD_VERSION:-v3.7.3}"
CACHE_ROOT="${FLOTILLA_TOOLS_CACHE:-${HOME}/.cache/flotilla/tools}"
BUILD_JOBS="${FLOTILLA_BUILD_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}"
LOCK_TIMEOUT="${FLOTILLA_TOOLS_LOCK_TIMEOUT:-1800}"

log() { printf '[envtest] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

has_assets() { [[ -x "$1/kube-apiserver" && -x "$1/etcd" ]]; }

# 1. Caller-provided binaries win.
if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  if has_assets "${KUBEBUILDER_ASSETS}"; then
    printf '%s\n' "${KUBEBUILDER_ASSETS}"
    exit 0
  fi
  log "KUBEBUILDER_ASSETS=${KUBEBUILDER_ASSETS} lacks kube-apiserver and/or etcd; using the build cache instead"
fi

[[ "${K8S_VERSION}" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] ||
  die "FLOTILLA_K8S_VERSION must look like v1.MINOR.PATCH (got ${K8S_VERSION})"
# Staging modules (k8s.io/api, k8s.io/client-go, ...) are tagged v0.MINOR.PATCH
# for each v1.MINOR.PATCH release of k8s.io/kubernetes.
STAGING_VERSION="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
K8S_MINOR="${BASH_REMATCH[1]}"

DEST="${CACHE_ROOT}/envtest-${K8S_VERSION#v}"

# A binary is current when its stamp file records the version we want.
is_current() { # name version
  [[ -x "${DEST}/$1" && -f "${DEST}/.$1.version" && "$(cat "${DEST}/.$1.version")" == "$2" ]]
}

# etcd is also accepted when it came from the system fallback below.
etcd_ok() {
  is_current etcd "${ETCD_VERSION}" ||
    { [[ -x "${DEST}/etcd" ]] && [[ "$(cat "${DEST}/.etcd.version" 2>/dev/null)" == system:* ]]; }
}

if is_current kube-apiserver "${K8S_VERSION}" && etcd_ok; then
  printf '%s\n' "${DEST}"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "the go command is needed to build kube-apiserver and etcd (or set KUBEBUILDER_ASSETS)"
mkdir -p "${DEST}"

# Serialise concurrent builds (e.g. several test workers starting at once).
exec 9>"${CACHE_ROOT}/.envtest.lock"
if command -v flock >/dev/null 2>&1; then
  flock -w "${LOCK_TIMEOUT}" 9 || die "timed out after ${LOCK_TIMEOUT}s waiting for another build to finish"
fi

WORK="$(mktemp -d "${CACHE_ROOT}/.build-envtest-XXXXXX")"
cleanup() { rm -rf "${WORK}"; }
trap cleanup EXIT

# Isolated go environment: a module of our own, no workspace, module mode.
export GOWORK=off GOFLAGS="-mod=mod" CGO_ENABLED=0 GO111MODULE=on

# new_tools_module DIR NAME: an empty main module to hold the requirements.
new_tools_module() {
  mkdir -p "$1"
  (cd "$1" && go mod init "$2" >/dev/null 2>&1)
}

install_binary() { # built-file name version
  cp "$1" "${DEST}/.$2.tmp"
  chmod 0755 "${DEST}/.$2.tmp"
  mv -f "${DEST}/.$2.tmp" "${DEST}/$2"
  printf '%s\n' "$3" >"${DEST}/.$2.version"
}

build_kube_apiserver() {
  local mod="${WORK}/kube-apiserver" gomod staging=() m args=() start
  start=$(date +%s)
  log "building kube-apiserver ${K8S_VERSION} (staging modules ${STAGING_VERSION}); this takes a while"
  new_tools_module "${mod}" flotilla.local/envtest/kube-apiserver
  cd "${mod}"

  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them
  # with ./staging/src/...; those replaces are ignored in a dependency, so we
  # mirror every one of them with the published v0.MINOR.PATCH release.
  gomod="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -f "${gomod}" ]] || die "could not download k8s.io/kubernetes@${K8S_VERSION} from the module proxy"
  mapfile -t staging < <(awk '{ sub(/^replace[ \t]+/, "") }
      $2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }' "${gomod}")
  ((${#staging[@]} > 0)) || die "found no staging replaces in ${gomod}"
  args=(-require="k8s.io/kubernetes@${K8S_VERSION}")
  for m in "${staging[@]}"; do
    args+=(-replace="${m}=${m}@${STAGING_VERSION}")
  done
  go mod edit "${args[@]}"
  log "replaced ${#staging[@]} staging modules with ${STAGING_VERSION}"

  nice -n 10 go get "k8s.io/kubernetes/cmd/kube-apiserver@${K8S_VERSION}" >&2

  local pkg=k8s.io/component-base/version
  local ldflags="-s -w"
  ldflags+=" -X ${pkg}.gitVersion=${K8S_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${K8S_MINOR}"
  ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  nice -n 10 go build -p "${BUILD_JOBS}" -trimpath -ldflags="${ldflags}" \
    -o "${WORK}/kube-apiserver.bin" k8s.io/kubernetes/cmd/kube-apiserver >&2
  install_binary "${WORK}/kube-apiserver.bin" kube-apiserver "${K8S_VERSION}"
  log "kube-apiserver ${K8S_VERSION} built in $(($(date +%s) - start))s"
}

build_etcd() {
  local mod="${WORK}/etcd" start
  start=$(date +%s)
  log "building etcd ${ETCD_VERSION}"
  new_tools_module "${mod}" flotilla.local/envtest/etcd
  cd "${mod}"
  # go.etcd.io/etcd/server/v3 is itself the `etcd` main package. Its go.mod
  # has ../ replaces, so `go install pkg@version` refuses it; a tools module
  # that requires it works.
  nice -n 10 go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" >&2
  nice -n 10 go build -p "${BUILD_JOBS}" -trimpath -ldflags="-s -w" \
    -o "${WORK}/etcd.bin" go.etcd.io/etcd/server/v3 >&2
  install_binary "${WORK}/etcd.bin" etcd "${ETCD_VERSION}"
  log "etcd ${ETCD_VERSION} built in $(($(date +%s) - start))s"
}

# Fallback for etcd only: a system etcd (e.g. Debian's etcd-server package).
etcd_from_system() {
  local sys
  sys="$(command -v etcd 2>/dev/null || true)"
  [[ -n "${sys}" && "${sys}" != "${DEST}/etcd" ]] || return 1
  log "using system etcd at ${sys} instead"
  install_binary "${sys}" etcd "system:$("${sys}" --version 2>/dev/null | head -n1)"
}

# Each build runs in a subshell with errexit in force. It must not be called
# as `if ! (build_x)` or `(build_x) || ...`: bash ignores set -e inside a
# command whose status is being tested, so a failed step would carry on.
# Another process may have finished a build while we waited for the lock,
# so check again before each step.
if ! etcd_ok; then
  set +e
  (set -e; build_etcd)
  rc=$?
  set -e
  if ((rc != 0)); then
    etcd_from_system || die "building etcd ${ETCD_VERSION} failed; install one (apt-get install etcd-server) or set KUBEBUILDER_ASSETS"
  fi
fi
if ! is_current kube-apiserver "${K8S_VERSION}"; then
  set +e
  (set -e; build_kube_apiserver)
  rc=$?
  set -e
  ((rc == 0)) || die "building kube-apiserver ${K8S_VERSION} failed (see go output above)"
fi

has_assets "${DEST}" || die "build finished but ${DEST} lacks kube-apiserver or etcd"
printf '%s\n' "${DEST}"
