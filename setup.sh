#!/usr/bin/env bash
# Installs everything runm needs on a Debian 12 host (run as root): Debian packages, Bun, and the
# project's npm packages. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(
  qemu-system-x86 qemu-system-arm qemu-utils   # VMs (x86_64 guests; arm64 guests under emulation)
  qemu-user                                    # runs the arm64 guest's binaries on this host while building it
  containerd runc crun                         # the container stack the shim plugs into; crun: the other guest runtime
  containernetworking-plugins                  # CNI (bridge, host-local, portmap) for pods on a network
  busybox-static squashfs-tools cpio gzip      # guest userland and images
  linux-source-6.1 build-essential bc flex bison libelf-dev libssl-dev xz-utils  # guest kernel
  gcc-aarch64-linux-gnu                        # arm64 kernel (macOS guests) cross build
  tini                                         # guest PID 1 candidate (static reaper)
  golang-go                                    # runm forks build (Debian 12: Go 1.19, too old for the forks; tests use it)
  git debootstrap iproute2 procps socat tmux zstd
  postgresql-client                            # the postgres scenario's host psql
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The unprivileged user every VMM runs as (lib/vm/qemu/jail.ts); runm.toml [vm] user overrides.
if ! id runm-vmm >/dev/null 2>&1; then
  echo "setup: creating the system user runm-vmm"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin runm-vmm
fi

BUN_VERSION=1.4.5
if ! command -v bun >/dev/null || [[ "$(bun --version)" != "$BUN_VERSION" ]]; then
  echo "setup: installing bun $BUN_VERSION from npm"
  npm install -g --silent "bun@$BUN_VERSION"
fi

bun install --frozen-lockfile --silent
echo "setup: ok"
