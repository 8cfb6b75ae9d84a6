#!/usr/bin/env bash
# Installs what Vigil's demo and tests need on a fresh Debian machine: system packages when missing,
# npm packages when the lock file changed. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v nats-server >/dev/null || need+=(nats-server)
command -v ip >/dev/null || need+=(iproute2)
command -v arping >/dev/null || need+=(arping)
command -v nft >/dev/null || need+=(nftables)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v fuser >/dev/null || need+=(psmisc)
command -v curl >/dev/null || need+=(curl)
command -v ping >/dev/null || need+=(iputils-ping)
[ -x /usr/lib/ocf/resource.d/heartbeat/Dummy ] || need+=(resource-agents)
command -v unshare >/dev/null || need+=(util-linux)
# Fence agents of the fence_* family (the tests run fence_dummy through its stdin interface).
[ -x /usr/sbin/fence_dummy ] || need+=(fence-agents)
# NFS: the kernel here has no nfsd; exportfs keeps its table without it, and nfs-ganesha serves a
# real export in userspace (nfs-cat is the client the tests read through).
command -v exportfs >/dev/null || need+=(nfs-kernel-server)
command -v ganesha.nfsd >/dev/null || need+=(nfs-ganesha nfs-ganesha-vfs)
command -v nfs-cat >/dev/null || need+=(libnfs-utils)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing ${need[*]}; run as root (or install them) to get the full lab" >&2
  else
    echo "setup: installing ${need[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1 || true
    # Packages with services must not start them here (the tests start what they need).
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && added_policy=1
    fi
    apt-get install -y -qq "${need[@]}" >/dev/null
    if [ -n "${added_policy:-}" ]; then rm -f /usr/sbin/policy-rc.d; fi
  fi
fi

# git does not keep file modes beyond the executable bit; heartbeat requires authkeys to be 0600.
chmod 600 examples/*/authkeys examples/*/*/authkeys 2>/dev/null || true

stamp=node_modules/.vigil-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: installing npm packages" >&2
  # `npm install`, not `npm ci`: the lock file records turbo's optional binaries for other platforms
  # without their metadata (this registry does not serve them), which `npm ci` refuses.
  npm install --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
