# Cross build for ARM64 Linux with Debian's cross compiler
# (g++-aarch64-linux-gnu) and the arm64 libraries installed through multiarch
# (libfmt-dev:arm64, zlib1g-dev:arm64, libutf8proc-dev:arm64; Eigen,
# nlohmann-json, Catch2 and CLI11 are header-only).  Used by scripts/cross_check_arm64.sh.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# Libraries from the multiarch directories only (never the host's x86-64 ones);
# programs (ninja, bash) from the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Lets ctest run the aarch64 binaries on an x86-64 host.  No -L: the loader
# must be libc6:arm64's (/lib/ld-linux-aarch64.so.1), the one that matches the
# multiarch libc.so.6; the cross packages' loader in /usr/aarch64-linux-gnu
# is another glibc build, and that mix hangs in pthread_create.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
