#!/usr/bin/env bash
# Start / stop a throwaway etcd + kube-apiserver on loopback for one test.
#
# Usage:
#   scripts/envtest-run.sh start <workdir>    (or just: scripts/envtest-run.sh <workdir>)
#       Starts etcd and kube-apiserver on free loopback ports, waits for
#       /readyz, writes <workdir>/kubeconfig and prints its path as the last
#       stdout line. If the pair is already running for <workdir>, just prints
#       the path. A fresh start always begins with an empty etcd.
#   scripts/envtest-run.sh stop <workdir>
#       Stops both processes (TERM, then KILL after a timeout). Safe to repeat.
#   scripts/envtest-run.sh status <workdir>
#       Exit 0 when both are running and the apiserver is ready.
#
# Files in <workdir>: kubeconfig, env (shell-sourceable: FLOTILLA_ENVTEST_*),
# pki/, etcd-data/, etcd.log, kube-apiserver.log, *.pid.
#
# Environment:
#   KUBEBUILDER_ASSETS / FLOTILLA_*  passed to scripts/envtest.sh to find binaries
#   FLOTILLA_ENVTEST_START_TIMEOUT   seconds to wait for readiness (default 120)
#   FLOTILLA_ENVTEST_STOP_TIMEOUT    seconds to wait for exit after TERM (default 15)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
START_TIMEOUT="${FLOTILLA_ENVTEST_START_TIMEOUT:-120}"
STOP_TIMEOUT="${FLOTILLA_ENVTEST_STOP_TIMEOUT:-15}"

log() { printf '[envtest-run] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { die "usage: $0 {start|stop|status} <workdir>"; }

case "${1:-}" in
  start | stop | status) CMD="$1"; WD="${2:-}" ;;
  *) CMD=start; WD="${1:-}" ;;
esac
[[ -n "${WD}" ]] || usage
if [[ ! -d "${WD}" ]]; then
  [[ "${CMD}" == start ]] || { log "no work dir ${WD}; nothing to ${CMD}"; [[ "${CMD}" == stop ]]; exit $?; }
  mkdir -p "${WD}"
fi
WD="$(cd "${WD}" && pwd)"
PKI="${WD}/pki"
KUBECONFIG_PATH="${WD}/kubeconfig"

for tool in curl openssl; do
  command -v "${tool}" >/dev/null 2>&1 || die "${tool} is required"
done

# pid_alive NAME: the pid in NAME.pid is running *our* binary (guards against
# pid reuse after a crash).
pid_alive() {
  local f="${WD}/$1.pid" pid
  [[ -f "${f}" ]] || return 1
  pid="$(cat "${f}")"
  [[ "${pid}" =~ ^[0-9]+$ ]] && kill -0 "${pid}" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null | grep -q -- "$1" || return 1
}

stop_one() { # NAME
  local f="${WD}/$1.pid" pid i
  if pid_alive "$1"; then
    pid="$(cat "${f}")"
    kill -TERM "${pid}" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
      kill -0 "${pid}" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "${pid}" 2>/dev/null; then
      log "$1 (pid ${pid}) ignored TERM for ${STOP_TIMEOUT}s; killing"
      kill -KILL "${pid}" 2>/dev/null || true
    fi
  fi
  rm -f "${f}"
}

stop_all() {
  stop_one kube-apiserver
  stop_one etcd
}

api_ready() {
  [[ -f "${WD}/env" ]] || return 1
  # shellcheck disable=SC1091
  source "${WD}/env"
  curl -sf --max-time 5 --cacert "${PKI}/ca.crt" \
    -H "Authorization: Bearer ${FLOTILLA_ENVTEST_TOKEN}" \
    "${FLOTILLA_ENVTEST_SERVER}/readyz" >/dev/null 2>&1
}

case "${CMD}" in
  stop)
    stop_all
    log "stopped (work dir ${WD} left in place)"
    exit 0
    ;;
  status)
    pid_alive etcd && pid_alive kube-apiserver && api_ready
    exit $?
    ;;
esac

# ---- start ----------------------------------------------------------------
if pid_alive etcd && pid_alive kube-apiserver && api_ready; then
  printf '%s\n' "${KUBECONFIG_PATH}"
  exit 0
fi
stop_all # leftovers of a half-started or crashed run

ASSETS="$("${SCRIPT_DIR}/envtest.sh" | tail -n 1)"
ETCD_BIN="${ASSETS}/etcd"
APISERVER_BIN="${ASSETS}/kube-apiserver"
[[ -x "${ETCD_BIN}" && -x "${APISERVER_BIN}" ]] || die "no etcd/kube-apiserver in ${ASSETS}"

# PKI: a CA, a serving cert for 127.0.0.1/localhost, an admin client cert, and
# the service-account signing key pair. Generated once per work dir.
gen_pki() {
  mkdir -p "${PKI}"
  (
    cd "${PKI}"
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout ca.key -out ca.crt -days 3650 -subj "/CN=flotilla-envtest-ca" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign"
    # issue NAME SUBJECT EXTENSIONS
    issue() {
      openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$1.key" -out "$1.csr" -subj "$2"
      printf '%b' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
        -days 3650 -extfile "$1.ext" -out "$1.crt"
      rm -f "$1.csr" "$1.ext"
    }
    issue serving "/CN=kube-apiserver" \
      "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
    issue admin "/O=system:masters/CN=flotilla-admin" \
      "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key
    openssl pkey -in sa.key -pubout -out sa.pub
    # Static tokens: an admin (system:masters) and a user with no RBAC grants.
    printf '%s,flotilla-admin,flotilla-admin,system:masters\n%s,flotilla-user,flotilla-user\n' \
      "$(openssl rand -hex 24)" "$(openssl rand -hex 24)" >tokens.csv
    chmod 0644 ca.crt
  ) >"${WD}/pki.log" 2>&1 || { cat "${WD}/pki.log" >&2; die "openssl failed"; }
}
[[ -f "${PKI}/tokens.csv" && -f "${PKI}/sa.pub" && -f "${PKI}/admin.crt" ]] || gen_pki
ADMIN_TOKEN="$(sed -n '1s/,.*//p' "${PKI}/tokens.csv")"
USER_TOKEN="$(sed -n '2s/,.*//p' "${PKI}/tokens.csv")"

port_free() {
  if command -v ss >/dev/null 2>&1; then
    # Any socket on the port, not only listeners: a busy client's outgoing connection blocks a bind too.
    [[ -z "$(ss -Htan "sport = :$1" 2>/dev/null)" ]]
  else
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 1; fi
  fi
}
pick_ports() { # sets PORTS=(etcd-client etcd-peer apiserver)
  local p
  PORTS=()
  while ((${#PORTS[@]} < 3)); do
    # Below the kernel's ephemeral range (usually 32768-60999), where outgoing connections live.
    p=$((10000 + (RANDOM * 32768 + RANDOM) % 22000))
    [[ " ${PORTS[*]} " == *" ${p} "* ]] && continue
    port_free "${p}" && PORTS+=("${p}")
  done
}

# launch NAME ARGS...: detached (own session), stdio to a log, pid to NAME.pid.
# Detaching stdio matters: callers capture our stdout with $(...), which would
# otherwise wait for the servers to exit.
launch() {
  local name="$1"
  shift
  setsid "$@" >"${WD}/${name}.log" 2>&1 </dev/null &
  printf '%s\n' "$!" >"${WD}/${name}.pid"
}

# wait_for NAME TIMEOUT CHECK...: poll CHECK until it succeeds; fail early if
# the process died. Returns 2 when the log shows a port clash (retryable).
wait_for() {
  local name="$1" timeout="$2" deadline
  shift 2
  deadline=$(($(date +%s) + timeout))
  until "$@"; do
    if ! pid_alive "${name}"; then
      # A port clash, or a death before its first log line (seen under heavy load): try again.
      if [[ ! -s "${WD}/${name}.log" ]] || grep -qi 'address already in use' "${WD}/${name}.log"; then return 2; fi
      log "${name} exited; last log lines:"
      tail -n 20 "${WD}/${name}.log" >&2
      return 1
    fi
    if (($(date +%s) >= deadline)); then
      log "${name} not ready after ${timeout}s; last log lines:"
      tail -n 20 "${WD}/${name}.log" >&2
      return 1
    fi
    sleep 0.5
  done
}

etcd_healthy() { curl -sf --max-time 2 "http://127.0.0.1:${PORTS[0]}/health" 2>/dev/null | grep -q '"health":"true"'; }
api_readyz() {
  curl -sf --max-time 5 --cacert "${PKI}/ca.crt" -H "Authorization: Bearer ${ADMIN_TOKEN}" \
    "https://127.0.0.1:${PORTS[2]}/readyz" >/dev/null 2>&1
}

start_pair() {
  local etcd_url peer_url rc
  pick_ports
  etcd_url="http://127.0.0.1:${PORTS[0]}"
  peer_url="http://127.0.0.1:${PORTS[1]}"
  rm -rf "${WD}/etcd-data"
  launch etcd "${ETCD_BIN}" \
    --name=flotilla-envtest \
    --data-dir="${WD}/etcd-data" \
    --listen-client-urls="${etcd_url}" \
    --advertise-client-urls="${etcd_url}" \
    --listen-peer-urls="${peer_url}" \
    --initial-advertise-peer-urls="${peer_url}" \
    --initial-cluster="flotilla-envtest=${peer_url}" \
    --unsafe-no-fsync=true \
    --log-level=warn
  rc=0
  wait_for etcd "${START_TIMEOUT}" etcd_healthy || rc=$?
  ((rc == 0)) || return "${rc}"

  launch kube-apiserver "${APISERVER_BIN}" \
    --etcd-servers="${etcd_url}" \
    --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 \
    --secure-port="${PORTS[2]}" \
    --tls-cert-file="${PKI}/serving.crt" \
    --tls-private-key-file="${PKI}/serving.key" \
    --client-ca-file="${PKI}/ca.crt" \
    --token-auth-file="${PKI}/tokens.csv" \
    --authorization-mode=RBAC \
    --service-account-issuer="https://127.0.0.1:${PORTS[2]}" \
    --service-account-key-file="${PKI}/sa.pub" \
    --service-account-signing-key-file="${PKI}/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --allow-privileged=true \
    --endpoint-reconciler-type=none \
    --disable-admission-plugins=ServiceAccount \
    --profiling=false
  rc=0
  wait_for kube-apiserver "${START_TIMEOUT}" api_readyz || rc=$?
  return "${rc}"
}

started=0
for attempt in 1 2 3; do
  rc=0
  start_pair || rc=$?
  if ((rc == 0)); then started=1; break; fi
  stop_all
  ((rc == 2)) || die "could not start etcd + kube-apiserver (logs in ${WD})"
  log "port clash or early exit on attempt ${attempt}; retrying with new ports"
done
((started)) || die "could not find free ports after 3 attempts"

SERVER="https://127.0.0.1:${PORTS[2]}"
CA_DATA="$(base64 -w0 <"${PKI}/ca.crt")"
umask 077
cat >"${KUBECONFIG_PATH}.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: flotilla-envtest
  cluster:
    server: ${SERVER}
    certificate-authority-data: ${CA_DATA}
users:
- name: flotilla-admin
  user:
    token: ${ADMIN_TOKEN}
- name: flotilla-admin-cert
  user:
    client-certificate-data: $(base64 -w0 <"${PKI}/admin.crt")
    client-key-data: $(base64 -w0 <"${PKI}/admin.key")
- name: flotilla-user
  user:
    token: ${USER_TOKEN}
contexts:
- name: flotilla-envtest
  context:
    cluster: flotilla-envtest
    user: flotilla-admin
- name: flotilla-envtest-cert
  context:
    cluster: flotilla-envtest
    user: flotilla-admin-cert
- name: flotilla-envtest-user
  context:
    cluster: flotilla-envtest
    user: flotilla-user
current-context: flotilla-envtest
EOF
mv -f "${KUBECONFIG_PATH}.tmp" "${KUBECONFIG_PATH}"
cat >"${WD}/env" <<EOF
FLOTILLA_ENVTEST_SERVER=${SERVER}
FLOTILLA_ENVTEST_TOKEN=${ADMIN_TOKEN}
FLOTILLA_ENVTEST_USER_TOKEN=${USER_TOKEN}
FLOTILLA_ENVTEST_CA=${PKI}/ca.crt
FLOTILLA_ENVTEST_ETCD=http://127.0.0.1:${PORTS[0]}
FLOTILLA_ENVTEST_KUBECONFIG=${KUBECONFIG_PATH}
EOF
log "kube-apiserver ready at ${SERVER} (etcd on 127.0.0.1:${PORTS[0]})"
printf '%s\n' "${KUBECONFIG_PATH}"
