#!/usr/bin/env bash
# Installs the Debian packages the worker's sandbox needs (bubblewrap, nftables,
# iproute2, util-linux's setpriv) when they are missing. As root it installs them;
# otherwise it prints the one command to run and fails.
set -euo pipefail

declare -A wanted=([bwrap]=bubblewrap [nft]=nftables [ip]=iproute2 [setpriv]=util-linux)
missing=()
for tool in "${!wanted[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${wanted[$tool]}")
done
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
