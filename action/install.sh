#!/usr/bin/env bash
# Installs the ecstpl CLI for this runner from a release: downloads the archive and the
# release's SHA256SUMS, refuses an archive whose checksum is not listed there or differs,
# optionally verifies the GPG signature of the sums, and extracts it into the tool cache,
# reusing what an earlier step installed there. Adds the directory to GITHUB_PATH and writes
# the binary's path as the `ecstpl` output.
#
# Environment (the composite action passes its inputs this way):
#   INPUT_VERSION      the version to install (X.Y.Z or vX.Y.Z); default: the action's own ref
#                      (ACTION_REF) when it is a version tag
#   INPUT_RELEASE_URL  where the release files are: https://…, file:///dir or a plain directory;
#                      default: https://github.com/$ACTION_REPOSITORY/releases/download/v<version>
#   INPUT_SIGNING_KEY  an ASCII-armored public key: the sums must carry its signature
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE, RUNNER_TEMP, GITHUB_PATH, GITHUB_OUTPUT as set
#   by GitHub Actions (all optional: uname, ~/.cache and /tmp otherwise)
set -euo pipefail

fail() {
  echo "ecstpl install: error: $*" >&2
  exit 1
}

version="${INPUT_VERSION:-}"
if [ -z "$version" ]; then
  case "${ACTION_REF:-}" in
    v[0-9]*.[0-9]*.[0-9]*) version="$ACTION_REF" ;;
    *) fail "input version: set the ecstpl version to install (for example 0.1.0); the action's ref '${ACTION_REF:-}' is not a version tag" ;;
  esac
fi
version="${version#v}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] ||
  fail "input version: '$version' is not a version (X.Y.Z)"

# The release names platforms as Go does (linux_amd64), like the provider's zips.
runner_os="${RUNNER_OS:-$(uname -s)}"
case "$runner_os" in
  Linux | linux) os=linux ;;
  macOS | Darwin) os=darwin ;;
  Windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
  *) fail "unsupported operating system '$runner_os'" ;;
esac
runner_arch="${RUNNER_ARCH:-$(uname -m)}"
case "$runner_arch" in
  X64 | x86_64 | amd64) arch=amd64 ;;
  ARM64 | aarch64 | arm64) arch=arm64 ;;
  *) fail "unsupported architecture '$runner_arch'" ;;
esac

exe="" archive="ecstpl_${version}_${os}_${arch}.tar.gz"
if [ "$os" = windows ]; then exe=".exe" archive="ecstpl_${version}_${os}_${arch}.zip"; fi
sums="terraform-provider-ecstpl_${version}_SHA256SUMS"

cache_root="${RUNNER_TOOL_CACHE:-$HOME/.cache}/ecstpl/$version"
dir="$cache_root/$arch"
binary="$dir/ecstpl$exe"

announce() {
  if [ -n "${GITHUB_PATH:-}" ]; then echo "$dir" >>"$GITHUB_PATH"; fi
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "ecstpl=$binary" >>"$GITHUB_OUTPUT"; fi
  echo "ecstpl install: $("$binary" --version) at $binary"
}

# A directory is only ever complete here: it is moved into place after verification and the
# marker is written last.
if [ -f "$dir.complete" ] && [ -x "$binary" ]; then
  echo "ecstpl install: using the cached ecstpl $version in $dir (verified when it was installed)"
  announce
  exit 0
fi

base="${INPUT_RELEASE_URL:-}"
if [ -z "$base" ]; then
  [ -n "${ACTION_REPOSITORY:-}" ] || fail "input release-url: not set, and no action repository to download from"
  base="https://github.com/$ACTION_REPOSITORY/releases/download/v$version"
fi
base="${base%/}"

work="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/ecstpl-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT

fetch() {
  local name="$1"
  case "$base" in
    https://* | http://*)
      curl --fail --silent --show-error --location --retry 3 --output "$work/$name" "$base/$name" ||
        fail "could not download $base/$name"
      ;;
    file://*)
      cp "${base#file://}/$name" "$work/$name" 2>/dev/null || fail "could not read ${base#file://}/$name"
      ;;
    *)
      cp "$base/$name" "$work/$name" 2>/dev/null || fail "could not read $base/$name"
      ;;
  esac
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

fetch "$sums"
fetch "$archive"

if [ -n "${INPUT_SIGNING_KEY:-}" ]; then
  fetch "$sums.sig"
  # A keyring holding only the given key: a signature by any other key is refused.
  export GNUPGHOME="$work/gnupg"
  mkdir -m 700 "$GNUPGHOME"
  printf '%s\n' "$INPUT_SIGNING_KEY" | gpg --batch --quiet --import 2>/dev/null ||
    fail "input signing-key: not an ASCII-armored OpenPGP public key"
  gpg --batch --verify "$work/$sums.sig" "$work/$sums" 2>"$work/gpg.log" ||
    fail "the signature of $sums is not by the key in input signing-key; refusing to install:
$(cat "$work/gpg.log")"
  echo "ecstpl install: $sums signed by the key in input signing-key"
fi

# The exact file name (another archive's name may end with this one's), "*" marking binary mode.
expected="$(awk -v name="$archive" '$2 == name || $2 == "*" name { print $1; exit }' "$work/$sums")"
[ -n "$expected" ] || fail "$archive is not listed in $sums; refusing to install"
actual="$(sha256 "$work/$archive")"
[ "$actual" = "$expected" ] ||
  fail "checksum mismatch for $archive: $sums lists $expected, the download is $actual; refusing to install"
echo "ecstpl install: $archive matches its checksum in $sums"

mkdir -p "$cache_root"
staging="$(mktemp -d "$cache_root/.install.XXXXXX")"
chmod 0755 "$staging"
trap 'rm -rf "$work" "$staging"' EXIT
if [ "$os" = windows ]; then
  if command -v unzip >/dev/null 2>&1; then
    unzip -q "$work/$archive" -d "$staging" || fail "could not extract $archive"
  else
    7z x -y -o"$staging" "$work/$archive" >/dev/null || fail "could not extract $archive"
  fi
else
  tar -xzf "$work/$archive" -C "$staging" || fail "could not extract $archive"
fi
[ -f "$staging/ecstpl$exe" ] || fail "$archive holds no ecstpl$exe"
chmod 0755 "$staging/ecstpl$exe"
rm -rf "$dir" "$dir.complete"
mv "$staging" "$dir"
echo "$actual  $archive" >"$dir.complete"
echo "ecstpl install: installed ecstpl $version for ${os}_${arch} into $dir"
announce
