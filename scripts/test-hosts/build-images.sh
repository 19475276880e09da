#!/usr/bin/env bash
# Build the systemd test-host images used by the smoke test and Molecule:
#
#   localhost/horizon-testhost:debian12   (Debian 12 "bookworm")
#   localhost/horizon-testhost:debian13   (Debian 13 "trixie")
#
# For each release, in order:
#   1. the podman image exists with the current recipe label  -> skip;
#   2. a cached root-filesystem tarball for the current recipe exists in
#      $HORIZON_CACHE_DIR/images/                             -> podman import;
#   3. otherwise debootstrap a fresh root filesystem from deb.debian.org,
#      trim it, tar it into the cache (atomically), then podman import.
#
# Usage: build-images.sh [--rebuild] [debian12|debian13 ...]
#   --rebuild / HORIZON_REBUILD_IMAGES=1   ignore image and cache, debootstrap anew
#   HORIZON_CACHE_DIR                      cache root (default ~/.cache/horizon-ai-platform)
#
# Needs root (debootstrap, chroot, rootful podman), debootstrap, zstd, podman.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
readonly SCRIPT_DIR REPO_ROOT
export CONTAINERS_CONF="${REPO_ROOT}/tests/podman/containers.conf"

readonly IMAGE_REPO="localhost/horizon-testhost"
readonly MIRROR="http://deb.debian.org/debian"
readonly SECURITY_MIRROR="http://deb.debian.org/debian-security"
readonly CACHE_DIR="${HORIZON_CACHE_DIR:-${HOME}/.cache/horizon-ai-platform}"
readonly IMAGE_CACHE="${CACHE_DIR}/images"
readonly WORK_ROOT="${CACHE_DIR}/work"

# What goes into every image.  python3-apt: ansible.builtin.apt; sudo: become;
# pciutils/kmod: hardware facts and module handling in the roles.
readonly PACKAGES="systemd,systemd-sysv,dbus,python3,python3-apt,sudo,ca-certificates,procps,iproute2,pciutils,kmod"

# Units masked in the image.  Both releases boot to "running" without masking
# anything (udev, getty, fsck, remount-fs and module loading skip themselves
# in a container); the apt timers are masked because they would take the apt
# lock in the middle of a converge.  Add a unit here only if it fails or hangs
# in a test host (check with smoke.sh).
readonly MASKED_UNITS=(
  apt-daily.timer
  apt-daily-upgrade.timer
)

# Bump when the customisation below changes in a way the other inputs of the
# recipe id do not show; any change of the id rebuilds images and cache.
readonly RECIPE_VERSION=1

log() { printf '[build-images] %s\n' "$*" >&2; }
# Run a command quietly; show its output only when it fails.
quiet() {
  local out rc=0
  out="$("$@" 2>&1)" || rc=$?
  if (( rc != 0 )); then
    printf '%s\n' "${out}" >&2
    log "command failed (exit ${rc}): $*"
  fi
  return "${rc}"
}
die() { log "ERROR: $*"; exit 1; }

usage() {
  sed -n '2,20s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

suite_of() {
  case "$1" in
    debian12) echo bookworm ;;
    debian13) echo trixie ;;
    *) die "unknown release '$1' (expected debian12 or debian13)" ;;
  esac
}

recipe_id() {
  local name="$1" suite="$2"
  printf '%s\n' "${RECIPE_VERSION}" "${name}" "${suite}" "${MIRROR}" \
    "${SECURITY_MIRROR}" "${PACKAGES}" "${MASKED_UNITS[@]}" |
    sha256sum | cut -c1-12
}

image_recipe() {
  podman image inspect --format '{{ index .Config.Labels "org.horizon.testhost.recipe" }}' "$1" 2>/dev/null || true
}

# --- clean-up of a failed or finished build ---------------------------------
WORK_DIR=""
cleanup() {
  local rc=$?
  if [[ -n "${WORK_DIR}" && -d "${WORK_DIR}" ]]; then
    # Unmount anything debootstrap or we left mounted inside the root fs
    # before deleting it, deepest first, so rm never walks into /proc or /dev.
    local mnt
    while read -r mnt; do
      umount -l "${mnt}" 2>/dev/null || true
    done < <(awk -v d="${WORK_DIR}/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
    rm -rf --one-file-system "${WORK_DIR}"
  fi
  if (( rc != 0 )); then
    log "failed (exit ${rc})${WORK_DIR:+; removed ${WORK_DIR}}"
  fi
  return "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_chroot() {
  local root="$1"; shift
  LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "${root}" "$@"
}

# --- debootstrap + trim -------------------------------------------------------
build_rootfs() {
  local name="$1" suite="$2" root="$3"

  log "${name}: debootstrap ${suite} (minbase) from ${MIRROR}"
  if ! debootstrap --variant=minbase --include="${PACKAGES}" \
      --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
      "${suite}" "${root}" "${MIRROR}" >"${WORK_DIR}/debootstrap.log" 2>&1; then
    tail -n 30 "${WORK_DIR}/debootstrap.log" >&2 || true
    [[ -f "${root}/debootstrap/debootstrap.log" ]] && tail -n 30 "${root}/debootstrap/debootstrap.log" >&2
    die "${name}: debootstrap failed"
  fi

  log "${name}: configuring apt sources, applying updates"
  rm -f "${root}/etc/apt/sources.list"
  cat >"${root}/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: ${MIRROR}
Suites: ${suite} ${suite}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${SECURITY_MIRROR}
Suites: ${suite}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # Keep the image and every later package install small and fast.
  cat >"${root}/etc/dpkg/dpkg.cfg.d/01-horizon-testhost-nodoc" <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
EOF
  cat >"${root}/etc/apt/apt.conf.d/01-horizon-testhost" <<'EOF'
Acquire::Languages "none";
APT::Install-Recommends "false";
EOF
  # No service may start in the chroot while packages are upgraded.
  printf '#!/bin/sh\nexit 101\n' >"${root}/usr/sbin/policy-rc.d"
  chmod 0755 "${root}/usr/sbin/policy-rc.d"
  mount -t proc proc "${root}/proc"
  quiet in_chroot "${root}" apt-get -q update
  quiet in_chroot "${root}" apt-get -q -y -o Dpkg::Options::=--force-confold dist-upgrade
  quiet in_chroot "${root}" apt-get -q clean
  umount "${root}/proc"
  rm -f "${root}/usr/sbin/policy-rc.d"

  log "${name}: masking ${MASKED_UNITS[*]}, trimming"
  quiet in_chroot "${root}" systemctl mask "${MASKED_UNITS[@]}"
  # Boot to multi-user, quietly; podman provides /etc/hostname, /etc/hosts,
  # /etc/resolv.conf at run time.  An empty machine-id makes systemd generate
  # one per container at boot.
  quiet in_chroot "${root}" systemctl set-default multi-user.target
  : >"${root}/etc/machine-id"
  rm -f "${root}/var/lib/dbus/machine-id"
  : >"${root}/etc/resolv.conf"
  printf 'localhost\n' >"${root}/etc/hostname"
  rm -rf "${root}/var/lib/apt/lists/"* "${root}/var/cache/apt/"*.bin \
    "${root}/var/cache/apt/archives/"*.deb "${root}/var/cache/debconf/"*-old \
    "${root}/var/log/"*.log "${root}/var/log/apt/"* "${root}/debootstrap" \
    "${root}/usr/share/doc/"*/changelog* "${root}/usr/share/man/"* \
    "${root}/usr/share/info/"* "${root}/tmp/"* "${root}/var/tmp/"*
  find "${root}/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  find "${root}/usr/lib" -name '__pycache__' -type d -prune -exec rm -rf {} +
}

# Remove untagged leftovers of earlier builds of this release (the tag moved on
# while a container still used them); those still in use stay.
prune_stale_images() {
  local name="$1" id
  while read -r id; do
    [[ -n "${id}" ]] || continue
    podman rmi "${id}" >/dev/null 2>&1 || true
  done < <(podman images --quiet --no-trunc --filter dangling=true \
             --filter "label=org.horizon.testhost.release=${name}")
}

# --- one release ----------------------------------------------------------------
ensure_image() {
  local name="$1" rebuild="$2"
  local suite recipe image cached start
  suite="$(suite_of "${name}")"
  recipe="$(recipe_id "${name}" "${suite}")"
  image="${IMAGE_REPO}:${name}"
  cached="${IMAGE_CACHE}/${name}.${recipe}.tar.zst"
  start=${SECONDS}
  prune_stale_images "${name}"

  if [[ "${rebuild}" != 1 ]] && podman image exists "${image}" &&
      [[ "$(image_recipe "${image}")" == "${recipe}" ]]; then
    log "${name}: ${image} is up to date (recipe ${recipe}), skipping"
    return 0
  fi

  if [[ "${rebuild}" == 1 || ! -s "${cached}" ]]; then
    mkdir -p "${WORK_ROOT}" "${IMAGE_CACHE}"
    WORK_DIR="$(mktemp -d "${WORK_ROOT}/${name}.XXXXXX")"
    local root="${WORK_DIR}/rootfs"
    build_rootfs "${name}" "${suite}" "${root}"

    log "${name}: writing ${cached}"
    local tmp_tar="${WORK_DIR}/${name}.tar.zst"
    tar --numeric-owner --xattrs --acls -C "${root}" -cf - . |
      zstd -q -T0 -10 -o "${tmp_tar}"
    # Same file system as the cache, so the rename is atomic.
    mv -f "${tmp_tar}" "${cached}"
    # Drop tarballs of older recipes of this release.
    find "${IMAGE_CACHE}" -maxdepth 1 -name "${name}.*.tar.zst" ! -name "${name}.${recipe}.tar.zst" -delete
    rm -rf --one-file-system "${WORK_DIR}"
    WORK_DIR=""
    log "${name}: root filesystem built in $((SECONDS - start))s"
  else
    log "${name}: importing cached ${cached}"
  fi

  local import_start=${SECONDS} old_id new_id
  old_id="$(podman image inspect --format '{{.Id}}' "${image}" 2>/dev/null || true)"
  zstd -q -dc "${cached}" | podman import --quiet \
    --change 'CMD ["/sbin/init"]' \
    --change 'STOPSIGNAL SIGRTMIN+3' \
    --change 'ENV container=podman' \
    --change "LABEL org.horizon.testhost.release=${name}" \
    --change "LABEL org.horizon.testhost.suite=${suite}" \
    --change "LABEL org.horizon.testhost.recipe=${recipe}" \
    --message "horizon test host ${name} (${suite}), recipe ${recipe}" \
    - "${image}" >/dev/null
  new_id="$(podman image inspect --format '{{.Id}}' "${image}")"
  # The tag moved to the new image; drop the old one unless a container uses it.
  if [[ -n "${old_id}" && "${old_id}" != "${new_id}" ]]; then
    podman rmi "${old_id}" >/dev/null 2>&1 ||
      log "${name}: previous image ${old_id:0:12} is still used by a container; left in place"
  fi
  log "${name}: imported ${image} in $((SECONDS - import_start))s (total $((SECONDS - start))s)"
}

main() {
  local rebuild="${HORIZON_REBUILD_IMAGES:-0}"
  local -a names=()
  local arg
  for arg in "$@"; do
    case "${arg}" in
      --rebuild) rebuild=1 ;;
      -h|--help) usage; return 0 ;;
      debian12|debian13) names+=("${arg}") ;;
      *) usage >&2; die "unknown argument '${arg}'" ;;
    esac
  done
  (( ${#names[@]} )) || names=(debian12 debian13)
  [[ "${rebuild}" == 1 ]] || rebuild=0

  (( EUID == 0 )) || die "must run as root (debootstrap, chroot and rootful podman)"
  local tool
  for tool in podman zstd tar sha256sum flock; do
    command -v "${tool}" >/dev/null || die "'${tool}' not found"
  done

  # One build at a time per cache (parallel make jobs, two sessions): the
  # second waits, then finds the image ready and skips.
  mkdir -p "${CACHE_DIR}"
  exec 9>"${CACHE_DIR}/build-images.lock"
  if ! flock --nonblock 9; then
    log "another build holds ${CACHE_DIR}/build-images.lock; waiting"
    flock 9
  fi

  local name
  for name in "${names[@]}"; do
    if [[ "${rebuild}" == 1 || ! -s "${IMAGE_CACHE}/${name}.$(recipe_id "${name}" "$(suite_of "${name}")").tar.zst" ]]; then
      command -v debootstrap >/dev/null || die "'debootstrap' not found (apt-get install debootstrap)"
    fi
    ensure_image "${name}" "${rebuild}"
  done
}

main "$@" </dev/null
