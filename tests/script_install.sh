#!/usr/bin/env bash
# A vendor's view of an installed invforecast: `cmake --install` into a
# temporary prefix, then build a C program against it twice, through
# pkg-config and through find_package(invforecast), and run both.
set -euo pipefail
. "${BASH_SOURCE[0]%/*}/script_util.bash"
need cmake cc pkg-config
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > /dev/null

cat > "$work/main.c" <<'C'
#include <stdio.h>
#include <invforecast.h>
int main(void) {
  const char* version = NULL;
  int abi = -1;
  invf_version(&version, &abi);
  printf("%s %d\n", version, abi);
  return abi == INVF_ABI_VERSION ? 0 : 1;
}
C
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
cc "$work/main.c" $(pkg-config --cflags --libs invforecast) -o "$work/by_pkgconfig"
LD_LIBRARY_PATH="$work/prefix/lib" "$work/by_pkgconfig" | grep -q " 0$" \
  || { echo "FAIL: pkg-config build did not report ABI 0"; exit 1; }

cat > "$work/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.22)
project(consumer C)
find_package(invforecast 0.1 REQUIRED)
add_executable(by_cmake main.c)
target_link_libraries(by_cmake PRIVATE invforecast::invforecast)
CM
cmake -S "$work" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" > /dev/null
cmake --build "$work/build" > /dev/null
LD_LIBRARY_PATH="$work/prefix/lib" "$work/build/by_cmake" | grep -q " 0$" \
  || { echo "FAIL: find_package build did not report ABI 0"; exit 1; }
echo "OK: installed headers, library, CMake package and pkg-config file work"
