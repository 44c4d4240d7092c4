#!/usr/bin/env bash
# Refresh the vendored hls.js from npm (the committed copy is what the app serves).
# Usage: media/vendor.sh [version]   e.g. media/vendor.sh 1.7.4
set -euo pipefail
version="${1:-1.7.4}"
here="$(cd "$(dirname "$0")" && pwd)"
dest="$here/static/media/vendor"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "hls.js@$version" >/dev/null && tar xzf hls.js-*.tgz)
mkdir -p "$dest"
# drop the source-map comment: the map is not shipped, so browsers would ask for a missing file
sed '/^\/\/# sourceMappingURL=/d' "$tmp/package/dist/hls.min.js" > "$dest/hls.min.js"
cp "$tmp/package/LICENSE" "$dest/hls.js.LICENSE"
printf 'hls.js %s (npm), licence Apache-2.0, file dist/hls.min.js\n' "$version" > "$dest/VERSION"
echo "hls.js $version -> $dest"
