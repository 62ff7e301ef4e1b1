# Sourced by the script_*.sh tests: the build and source
# trees from ctest's environment, the Python interpreter, and `need`, which
# skips a test whose optional tool is missing.
build=${INVF_BUILD_DIR:?INVF_BUILD_DIR not set}
source=${INVF_SOURCE_DIR:?INVF_SOURCE_DIR not set}
# Debian's interpreter (standard library only) where it exists, else the first
# python3 on PATH.
python=/usr/bin/python3
[ -x "$python" ] || python=python3

# need TOOL...: exits 77 (the tests' SKIP_RETURN_CODE, tests/CMakeLists.txt)
# with a message naming the first TOOL that is not installed.
need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 ||
      { echo "SKIP: $(basename "$0") needs $tool, which is not installed"; exit 77; }
  done
}
