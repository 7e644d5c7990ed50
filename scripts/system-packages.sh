#!/usr/bin/env bash
# Installs the Debian packages the worker's sandbox needs (bubblewrap, nftables,
# iproute2, util-linux's setpriv and nsenter, python3 for the sandbox self-test,
# btrfs-progs and mount for the task directories' disk quotas) and
# the embedded PostgreSQL's launcher needs (util-linux's unshare and setpriv, mount) when
# they are missing; with --tests, also rabbitmq-server, whose broker the queue's AMQP
# tests start privately (running Bulwark needs no broker), and the build tools the
# seccomp tests run inside the sandbox (gcc and libc headers, make, git, curl),
# python3-securesystemslib and minisign, which verify provenance and signatures
# independently, and the Chromium the browser tests drive. Idempotent. As root on
# Debian it installs them; otherwise it prints the one command to run and fails.
set -euo pipefail

# Paths as the sandbox sees them: only /usr is bound in, so python3 must be the system's.
# unshare and mount: the embedded PostgreSQL's private mount namespace; script: the
# tests that type Ctrl-C at a real terminal.
declare -A wanted=([/usr/bin/bwrap]=bubblewrap [/usr/sbin/nft]=nftables [/usr/sbin/ip]=iproute2
  [/usr/bin/setpriv]=util-linux [/usr/bin/nsenter]=util-linux [/usr/bin/python3]=python3-minimal
  [/usr/bin/btrfs]=btrfs-progs [/usr/sbin/mkfs.btrfs]=btrfs-progs [/usr/bin/mount]=mount
  [/usr/bin/umount]=mount [/usr/bin/unshare]=util-linux)
if [ "${1:-}" = "--tests" ]; then
  wanted[/usr/sbin/rabbitmq-server]=rabbitmq-server
  wanted[/usr/bin/gcc]=gcc
  wanted[/usr/include/stdio.h]=libc6-dev
  wanted[/usr/bin/make]=make
  wanted[/usr/bin/git]=git
  wanted[/usr/bin/curl]=curl
  wanted[/usr/bin/script]=bsdutils
  # An independent DSSE/Ed25519 verifier for the provenance tests.
  wanted[/usr/lib/python3/dist-packages/securesystemslib/__init__.py]=python3-securesystemslib
  # The standard tool that must verify Bulwark's minisign signatures.
  wanted[/usr/bin/minisign]=minisign
  # The web UI's and the browser clients' tests drive Debian's Chromium (playwright-core).
  wanted[/usr/bin/chromium]=chromium
fi
missing=()
for tool in "${!wanted[@]}"; do
  [ -e "$tool" ] || missing+=("${wanted[$tool]}")
done
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | sed '/^$/d')
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "bulwark: missing system packages; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "== installing ${missing[*]}"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; }
