#!/usr/bin/env bash
# Smoke test of the test-host images, without Molecule:
#   1. make sure the images exist (build-images.sh: skip / import / build);
#   2. boot one container per release with systemd as PID 1 and wait until
#      `systemctl is-system-running --wait` says "running";
#   3. run python3 through `podman exec`;
#   4. reach both hosts with Ansible over the containers.podman.podman
#      connection and check the facts (setup module).
#
# Usage: smoke.sh [debian12|debian13 ...]      (default: both)
#   HORIZON_BOOT_TIMEOUT   seconds to wait for systemd (default 120)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
readonly SCRIPT_DIR REPO_ROOT
export CONTAINERS_CONF="${REPO_ROOT}/tests/podman/containers.conf"
# The venv's ansible and its containers.podman collection, when present.
if [[ -x "${REPO_ROOT}/.venv/bin/ansible-playbook" ]]; then
  export PATH="${REPO_ROOT}/.venv/bin:${PATH}"
fi
# Use the project's ansible.cfg (collections_path etc.) wherever we are run from.
export ANSIBLE_CONFIG="${REPO_ROOT}/ansible.cfg"

readonly IMAGE_REPO="localhost/horizon-testhost"
readonly BOOT_TIMEOUT="${HORIZON_BOOT_TIMEOUT:-120}"
readonly CACHE_DIR="${HORIZON_CACHE_DIR:-${HOME}/.cache/horizon-ai-platform}"

log() { printf '[smoke] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

declare -a RELEASES=()
declare -a CONTAINERS=()
WORK_DIR=""

cleanup() {
  local rc=$? c
  for c in "${CONTAINERS[@]}"; do
    podman rm --force --time 10 --ignore "${c}" >/dev/null 2>&1 || true
  done
  if [[ -n "${WORK_DIR}" ]]; then
    rm -rf "${WORK_DIR}"
  fi
  if (( rc != 0 )); then
    log "FAILED (exit ${rc})"
  fi
  return "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for arg in "$@"; do
  case "${arg}" in
    debian12|debian13) RELEASES+=("${arg}") ;;
    *) die "unknown argument '${arg}' (expected debian12 and/or debian13)" ;;
  esac
done
(( ${#RELEASES[@]} )) || RELEASES=(debian12 debian13)

for tool in podman ansible-playbook timeout; do
  command -v "${tool}" >/dev/null || die "'${tool}' not found"
done

start=${SECONDS}
"${SCRIPT_DIR}/build-images.sh" "${RELEASES[@]}"

mkdir -p "${CACHE_DIR}"
WORK_DIR="$(mktemp -d "${CACHE_DIR}/smoke.XXXXXX")"

# --- boot --------------------------------------------------------------------
for release in "${RELEASES[@]}"; do
  name="horizon-smoke-${release}-$$"
  CONTAINERS+=("${name}")
  podman rm --force --ignore "${name}" >/dev/null
  # --systemd=always: podman's systemd mode (tmpfs on /run, /run/lock, /tmp,
  # /var/log/journal; a writable name=systemd cgroup; stop signal SIGRTMIN+3).
  podman run --detach --quiet --pull=never \
    --name "${name}" --hostname "${name}" \
    --systemd=always --tmpfs /run --tmpfs /tmp \
    --label owner=horizon-smoke \
    "${IMAGE_REPO}:${release}" /sbin/init >/dev/null
  log "${release}: started ${name}"
done

for name in "${CONTAINERS[@]}"; do
  boot_start=${SECONDS}
  state="$(timeout "${BOOT_TIMEOUT}" podman exec "${name}" systemctl is-system-running --wait 2>&1)" || true
  if [[ "${state}" != running ]]; then
    log "${name}: systemd state '${state}' after $((SECONDS - boot_start))s; failed units:"
    podman exec "${name}" systemctl --failed --no-pager >&2 || true
    podman exec "${name}" journalctl -b --no-pager -p warning >&2 || true
    die "${name} did not reach 'running'"
  fi
  pid1="$(podman exec "${name}" cat /proc/1/comm)"
  [[ "${pid1}" == systemd ]] || die "${name}: PID 1 is '${pid1}', not systemd"
  out="$(podman exec "${name}" python3 -c 'print(1)')"
  [[ "${out}" == 1 ]] || die "${name}: python3 printed '${out}'"
  log "${name}: systemd running as PID 1 after $((SECONDS - boot_start))s, python3 OK"
done

# --- ansible over the podman connection --------------------------------------
{
  printf 'all:\n  vars:\n    ansible_connection: containers.podman.podman\n  children:\n'
  for i in "${!RELEASES[@]}"; do
    printf '    %s:\n      hosts:\n        %s: {}\n' "${RELEASES[$i]}" "${CONTAINERS[$i]}"
  done
} >"${WORK_DIR}/inventory.yml"

cat >"${WORK_DIR}/smoke.yml" <<'EOF'
---
- name: Smoke test the test hosts
  hosts: all
  gather_facts: false
  tasks:
    - name: Gather facts (setup module)
      ansible.builtin.setup:

    - name: Check the facts
      ansible.builtin.assert:
        that:
          - ansible_facts['distribution'] == 'Debian'
          - ansible_facts['distribution_major_version'] == (group_names[0] | replace('debian', ''))
          - ansible_facts['service_mgr'] == 'systemd'
          - ansible_facts['virtualization_type'] == 'podman'
        quiet: true
EOF

log "ansible: setup + assert over containers.podman.podman"
ANSIBLE_NOCOLOR=1 ansible-playbook -i "${WORK_DIR}/inventory.yml" "${WORK_DIR}/smoke.yml" >"${WORK_DIR}/ansible.log" 2>&1 || {
  cat "${WORK_DIR}/ansible.log" >&2
  die "ansible-playbook failed"
}
sed -n '/PLAY RECAP/,$p' "${WORK_DIR}/ansible.log" >&2

log "OK: ${RELEASES[*]} in $((SECONDS - start))s"
