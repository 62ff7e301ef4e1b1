#!/usr/bin/env bash
# The shared library exports exactly the C ABI: the invf_ symbols listed in
# tests/exported_symbols.txt (one per INVF_API declaration in invforecast.h),
# nothing else, each under the version node of the release that shipped it,
# under the soname libinvforecast.so.<ABI>.
set -euo pipefail
. "${BASH_SOURCE[0]%/*}/script_util.bash"
need nm objdump readelf
lib="$build/libinvforecast.so"
expected="$source/tests/exported_symbols.txt"
status=0

[ -e "$lib" ] || { echo "FAIL: $lib not built"; exit 1; }

# Defined dynamic symbols, without version suffixes; the version node itself
# (INVF_0, an absolute symbol) is not code.
defined=$(nm -D --defined-only "$lib" | awk '$2 != "A" {print $3}' | sed 's/@.*//' | sort -u)

foreign=$(grep -v '^invf_' <<<"$defined" || true)
if [ -n "$foreign" ]; then
  echo "FAIL: symbols other than invf_* are exported:"
  echo "$foreign" | head -20
  status=1
fi

if ! diff -u "$expected" <(grep '^invf_' <<<"$defined"); then
  echo "FAIL: exported invf_ symbols differ from $expected (+ = exported, not listed)"
  status=1
fi

# Every function the header declares is in the list (and so exported).
declared=$(grep -E '^INVF_API' "$source/include/invforecast.h" |
  grep -oE 'invf_[a-z0-9_]+[[:space:]]*\(' | tr -d '( ' | sort -u)
if ! diff -u <(echo "$declared") "$expected"; then
  echo "FAIL: invforecast.h declarations (-) and $expected (+) differ"
  status=1
fi

# Version nodes (capi/invforecast.map): one per release, each inheriting from
# the one before; the map's symbols are the list, and each is exported under
# its node's version.
map="$source/capi/invforecast.map"
nodes=$(awk '/^[A-Za-z0-9_.]+ \{/ {print $1}' "$map")
node_symbols=$(awk '/^[A-Za-z0-9_.]+ \{/ {node = $1}
  /^ +invf_[a-z0-9_]+;/ {sub(/;/, "", $1); print $1, node}' "$map" | sort)
previous=""
for node in $nodes; do
  parent=$(awk -v node="$node" '$1 == node && /\{/ {inside = 1}
    inside && /^\}/ {sub(/^\} */, ""); sub(/;.*/, ""); print; exit}' "$map")
  if [ "$parent" != "$previous" ]; then
    echo "FAIL: version node $node inherits from '${parent}', expected '${previous}'"
    status=1
  fi
  previous=$node
done
if ! diff -u "$expected" <(cut -d' ' -f1 <<<"$node_symbols"); then
  echo "FAIL: symbols of $map's version nodes (+) and $expected (-) differ"
  status=1
fi
exported_versions=$(objdump -T "$lib" | awk '$NF ~ /^invf_/ {print $NF, $(NF-1)}' | sort)
if ! diff -u <(echo "$node_symbols") <(echo "$exported_versions"); then
  echo "FAIL: symbol versions in $lib (+) differ from the nodes of $map (-)"
  status=1
fi
# The first node is release 0.1's, closed: exactly the functions of its
# header as shipped (tests/fixtures/abi/invforecast_v0.h).
first=$(head -n1 <<<"$nodes")
shipped=$(grep -E '^INVF_API' "$source/tests/fixtures/abi/invforecast_v0.h" |
  grep -oE 'invf_[a-z0-9_]+[[:space:]]*\(' | tr -d '( ' | sort -u)
if ! diff -u <(echo "$shipped") <(awk -v n="$first" '$2 == n {print $1}' <<<"$node_symbols"); then
  echo "FAIL: node $first (+) differs from the 0.1 header's functions (-)"
  status=1
fi

abi=$(sed -n 's/^#define INVF_ABI_VERSION \([0-9]*\).*/\1/p' "$source/include/invforecast.h")
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
if [ "$soname" != "libinvforecast.so.$abi" ]; then
  echo "FAIL: soname is '$soname', expected libinvforecast.so.$abi"
  status=1
fi

[ $status -eq 0 ] && echo "OK: $(wc -l <"$expected") invf_ symbols in nodes $(echo $nodes), soname $soname"
exit $status
