#!/usr/bin/env bash
# Locate or build the renderer binaries Flotilla's tests use: helm and
# kustomize. Built from Go modules only, cached outside the repository.
#
# Usage: scripts/tools.sh
#   Prints, as the last line on stdout, a directory containing `helm` and
#   `kustomize` (symlinks when HELM_BIN / KUSTOMIZE_BIN are given). Progress
#   and go output go to stderr.
#
# Environment:
#   HELM_BIN                 use this helm binary instead of building one
#   KUSTOMIZE_BIN            use this kustomize binary instead of building one
#   FLOTILLA_TOOLS_CACHE     cache root (default: $HOME/.cache/flotilla/tools)
#   FLOTILLA_HELM_VERSION    helm version, v3.x or v4.x (default below)
#   FLOTILLA_KUSTOMIZE_VERSION  sigs.k8s.io/kustomize/kustomize/v5 version
#   FLOTILLA_BUILD_JOBS      go build -p value (default: number of CPUs)
#   FLOTILLA_TOOLS_LOCK_TIMEOUT  seconds to wait for a concurrent build (1800)
set -euo pipefail

HELM_VERSION="${FLOTILLA_HELM_VERSION:-v4.3.1}"
# v5.8.3 needs go >= 1.27; v5.8.2 builds with go 1.26.
KUSTOMIZE_VERSION="${FLOTILLA_KUSTOMIZE_VERSION:-v5.8.2}"
CACHE_ROOT="${FLOTILLA_TOOLS_CACHE:-${HOME}/.cache/flotilla/tools}"
BUILD_JOBS="${FLOTILLA_BUILD_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}"
LOCK_TIMEOUT="${FLOTILLA_TOOLS_LOCK_TIMEOUT:-1800}"

log() { printf '[tools] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ "${HELM_VERSION}" =~ ^v([34])\.[0-9]+\.[0-9]+$ ]] ||
  die "FLOTILLA_HELM_VERSION must be v3.x.y or v4.x.y (got ${HELM_VERSION})"
HELM_MODULE="helm.sh/helm/v${BASH_REMATCH[1]}"
[[ "${KUSTOMIZE_VERSION}" =~ ^v5\.[0-9]+\.[0-9]+$ ]] ||
  die "FLOTILLA_KUSTOMIZE_VERSION must be v5.x.y (got ${KUSTOMIZE_VERSION})"
KUSTOMIZE_MODULE="sigs.k8s.io/kustomize/kustomize/v5"

# Cache layout: one directory per tool version, plus a bin dir named after the
# selected versions (or the user's binaries) that holds symlinks to them.
HELM_DIR="${CACHE_ROOT}/helm-${HELM_VERSION#v}"
KUSTOMIZE_DIR="${CACHE_ROOT}/kustomize-${KUSTOMIZE_VERSION#v}"

resolve_user_bin() { # VAR-name value -> absolute path of an executable
  local p="$2"
  [[ "${p}" == */* ]] || p="$(command -v "${p}" 2>/dev/null || true)"
  [[ -n "${p}" && -x "${p}" && -f "${p}" ]] || die "$1=$2 is not an executable file"
  printf '%s\n' "$(cd "$(dirname "${p}")" && pwd)/$(basename "${p}")"
}

HELM_PATH="${HELM_DIR}/helm"
KUSTOMIZE_PATH="${KUSTOMIZE_DIR}/kustomize"
[[ -z "${HELM_BIN:-}" ]] || HELM_PATH="$(resolve_user_bin HELM_BIN "${HELM_BIN}")"
[[ -z "${KUSTOMIZE_BIN:-}" ]] || KUSTOMIZE_PATH="$(resolve_user_bin KUSTOMIZE_BIN "${KUSTOMIZE_BIN}")"

is_current() { # dir name version
  [[ -x "$1/$2" && -f "$1/.$2.version" && "$(cat "$1/.$2.version")" == "$3" ]]
}
need_helm() { [[ -z "${HELM_BIN:-}" ]] && ! is_current "${HELM_DIR}" helm "${HELM_VERSION}"; }
need_kustomize() { [[ -z "${KUSTOMIZE_BIN:-}" ]] && ! is_current "${KUSTOMIZE_DIR}" kustomize "${KUSTOMIZE_VERSION}"; }

# bin dir: symlinks, so one PATH entry gives both tools.
publish_bin_dir() {
  local key bindir
  key="$(printf '%s\n%s\n' "${HELM_PATH}" "${KUSTOMIZE_PATH}" | cksum | cut -d' ' -f1)"
  if [[ -z "${HELM_BIN:-}${KUSTOMIZE_BIN:-}" ]]; then
    bindir="${CACHE_ROOT}/bin-helm${HELM_VERSION#v}-kustomize${KUSTOMIZE_VERSION#v}"
  else
    bindir="${CACHE_ROOT}/bin-custom-${key}"
  fi
  mkdir -p "${bindir}"
  ln -sfn "${HELM_PATH}" "${bindir}/helm"
  ln -sfn "${KUSTOMIZE_PATH}" "${bindir}/kustomize"
  printf '%s\n' "${bindir}"
}

mkdir -p "${CACHE_ROOT}"
if ! need_helm && ! need_kustomize; then
  publish_bin_dir
  exit 0
fi

command -v go >/dev/null 2>&1 || die "the go command is needed to build helm/kustomize (or set HELM_BIN / KUSTOMIZE_BIN)"

exec 9>"${CACHE_ROOT}/.tools.lock"
if command -v flock >/dev/null 2>&1; then
  flock -w "${LOCK_TIMEOUT}" 9 || die "timed out after ${LOCK_TIMEOUT}s waiting for another build to finish"
fi

WORK="$(mktemp -d "${CACHE_ROOT}/.build-tools-XXXXXX")"
cleanup() { rm -rf "${WORK}"; }
trap cleanup EXIT
export GOWORK=off GOFLAGS="-mod=mod" CGO_ENABLED=0 GO111MODULE=on

# go_build_tool MODULE VERSION PACKAGE OUT-DIR NAME LDFLAGS
# A throwaway main module requires MODULE@VERSION, then builds PACKAGE. (This
# rather than `go install pkg@version`, which rejects modules whose go.mod
# has replace directives.)
go_build_tool() {
  local module="$1" version="$2" pkg="$3" outdir="$4" name="$5" ldflags="$6" start mod
  start=$(date +%s)
  mod="${WORK}/${name}"
  log "building ${name} ${version} (module ${module}, package ${pkg})"
  mkdir -p "${mod}" "${outdir}"
  cd "${mod}"
  go mod init "flotilla.local/tools/${name}" >/dev/null 2>&1
  nice -n 10 go get "${pkg}@${version}" >&2
  nice -n 10 go build -p "${BUILD_JOBS}" -trimpath -ldflags="${ldflags}" -o "${WORK}/${name}.bin" "${pkg}" >&2
  cp "${WORK}/${name}.bin" "${outdir}/.${name}.tmp"
  chmod 0755 "${outdir}/.${name}.tmp"
  mv -f "${outdir}/.${name}.tmp" "${outdir}/${name}"
  printf '%s\n' "${version}" >"${outdir}/.${name}.version"
  log "${name} ${version} built in $(($(date +%s) - start))s"
}

build_helm() {
  # helm reports this version in `helm version` and uses it as the default
  # kubeVersion/capabilities metadata; set it as helm's Makefile does.
  go_build_tool "${HELM_MODULE}" "${HELM_VERSION}" "${HELM_MODULE}/cmd/helm" \
    "${HELM_DIR}" helm "-s -w -X ${HELM_MODULE}/internal/version.version=${HELM_VERSION} -X ${HELM_MODULE}/internal/version.gitTreeState=clean"
}

build_kustomize() {
  go_build_tool "${KUSTOMIZE_MODULE}" "${KUSTOMIZE_VERSION}" "${KUSTOMIZE_MODULE}" \
    "${KUSTOMIZE_DIR}" kustomize "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=kustomize/${KUSTOMIZE_VERSION} -X sigs.k8s.io/kustomize/api/provenance.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

# Run each build in a subshell with errexit in force; never as `if ! (...)`,
# which would make bash ignore set -e inside it. Re-check after the lock.
if need_helm; then
  set +e
  (set -e; build_helm)
  rc=$?
  set -e
  ((rc == 0)) || die "building helm ${HELM_VERSION} failed (see go output above)"
fi
if need_kustomize; then
  set +e
  (set -e; build_kustomize)
  rc=$?
  set -e
  ((rc == 0)) || die "building kustomize ${KUSTOMIZE_VERSION} failed (see go output above)"
fi

publish_bin_dir
