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

# expect_error PATTERN ARGS...: `$cli ARGS...` must fail as the CLI promises
# (exit 1, no signal, one line "invforecast: error: ..." on stderr matching
# PATTERN, an extended regex); the caller defines $cli, $work and fail.
expect_error() {  # pattern args...
  local pattern=$1
  shift
  set +e
  "$cli" "$@" >"$work/err_out" 2>"$work/err"
  local rc=$?
  set -e
  [ $rc -lt 128 ] || fail "'$*' died from a signal (exit $rc)"
  [ $rc -eq 1 ] || fail "'$*' exited $rc, expected 1"
  [ "$(wc -l <"$work/err")" -eq 1 ] || fail "'$*' wrote $(wc -l <"$work/err") lines to stderr"
  grep -qE "^invforecast: error: .*$pattern" "$work/err" || fail "'$*': $(cat "$work/err")"
}
