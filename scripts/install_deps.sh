#!/usr/bin/env bash
# Installs the Debian 12 packages invforecast needs to build and test.
# Runs apt-get as root (directly, or through sudo when not root).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libeigen3-dev libdnnl-dev ocl-icd-opencl-dev  # Debian's oneDNN CMake config needs OpenCL
  libfmt-dev catch2 libcli11-dev nlohmann-json3-dev zlib1g-dev libutf8proc-dev
  python3 binutils gzip
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all packages present"
  exit 0
fi
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
echo "install_deps: installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
