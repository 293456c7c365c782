#!/usr/bin/env bash
# setup-cross.sh: install the pinned toolchains scripts/release needs for platforms other than linux_amd64, and
# the programs that run those binaries here (scripts/release-check). Idempotent: what is installed at the pinned
# version is left alone.
#
# Usage:  scripts/setup-cross.sh [PLATFORM...]      (default: every platform below)
#   linux_arm64     Debian's gcc-aarch64-linux-gnu and arm64 C library headers (aws-lc-sys and ring compile C),
#                   qemu-user-static to run the binary
#   windows_amd64   Debian's MinGW-w64 GCC and nasm (aws-lc-sys's x86_64 assembly), wine64 to run the binary
#   darwin_amd64, darwin_arm64
#                   zig (PyPI ziglang) as C compiler and linker, with its macOS libSystem descriptions, and
#                   cargo-zigbuild (PyPI) to drive it, in the venv .tools/cross/zig; the two Apple frameworks
#                   the provider links are described by scripts/macos-link-stubs.py (no macOS SDK is reachable)
#   every one of them also gets Debian's second Rust toolchain, rustc-web / cargo-web with the standard library's
#   source (rust-web-src): `cargo -Zbuild-std` builds std for the target from that source, since rustup cannot
#   fetch more targets here. It installs as /usr/bin/rustc and /usr/bin/cargo; scripts/release calls those by
#   path, and rustup's rustc and cargo stay first on PATH for everything else.
#
# The versions are Debian 12 (bookworm) ones. When Debian has replaced a pinned version (a point release),
# the install stops and says so: update the pin here, so a release always names the toolchain it was built with.
# Writes .tools/cross/versions.txt: the installed version of every package, for the release notes.
# Needs python3 with venv for the darwin platforms.
# Needs root and apt-get (run `apt-get update` first on a fresh machine: done here when a package is not found).
set -euo pipefail

REPO=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)
STATE=$REPO/.tools/cross

log() { printf 'setup-cross: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

RUST_VERSION=1.96.0+dfsg1-1~deb12u2
RUST=(
  "rustc-web=$RUST_VERSION"
  "cargo-web=$RUST_VERSION"
  "rust-web-src=$RUST_VERSION"
)
LINUX_ARM64=(
  gcc-aarch64-linux-gnu=4:12.2.0-3
  libc6-dev-arm64-cross=2.36-8cross1
  linux-libc-dev-arm64-cross=6.1.4-1cross1
  qemu-user-static=1:7.2+dfsg-7+deb12u18+b3
)
WINDOWS_AMD64=(
  gcc-mingw-w64-x86-64=12.2.0-14+25.2
  gcc-mingw-w64-x86-64-posix=12.2.0-14+deb12u1+25.2+b1
  mingw-w64-x86-64-dev=10.0.0-3
  nasm=2.16.01-1
  wine64=8.0~repack-4
)

ZIG_PIP=(ziglang==0.17.0 cargo-zigbuild==0.24.0)
ZIG_VENV=$STATE/zig

platforms=("$@")
[[ ${#platforms[@]} -gt 0 ]] || platforms=(linux_arm64 windows_amd64 darwin_amd64 darwin_arm64)
want=("${RUST[@]}") darwin=0
for p in "${platforms[@]}"; do
  case $p in
    linux_amd64) ;; # the host: rustup's toolchain
    linux_arm64) want+=("${LINUX_ARM64[@]}") ;;
    windows_amd64) want+=("${WINDOWS_AMD64[@]}") ;;
    darwin_amd64 | darwin_arm64) darwin=1 ;;
    -h | --help) sed -n '2,/^set /{/^set /d;s/^# \{0,1\}//;p;}' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown platform $p" ;;
  esac
done

installed_version() { dpkg-query -W -f '${Status} ${Version}\n' "$1" 2>/dev/null | sed -n 's/^install ok installed //p'; }

missing=()
for pv in "${want[@]}"; do
  [[ $(installed_version "${pv%%=*}") == "${pv#*=}" ]] || missing+=("$pv")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  [[ $(id -u) == 0 ]] || die "not root: cannot apt-get install ${missing[*]}"
  command -v apt-get >/dev/null || die "no apt-get: install ${missing[*]} (Debian 12 package versions)"
  export DEBIAN_FRONTEND=noninteractive
  log "apt-get install ${missing[*]}"
  # --no-install-recommends: the recommended extras (wine's 32-bit half, gcc's documentation) are not needed, and
  # wine's 32-bit half would need a second architecture, which apt here cannot take.
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; } ||
    die "apt-get install failed; if Debian has moved on from a pinned version, update it in ${BASH_SOURCE[0]}" \
      "(apt-cache policy ${missing[*]%%=*})"
fi

# The source -Zbuild-std builds std from, where rustc-web looks for it.
[[ -f $(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.lock ]] ||
  die "rust-web-src is installed but rustc-web finds no library source in its sysroot"

mkdir -p "$STATE"
pip_pins=()
if [[ $darwin == 1 ]]; then
  frozen=$("$ZIG_VENV/bin/python" -m pip freeze 2>/dev/null || true)
  if ! grep -qx "${ZIG_PIP[0]}" <<<"$frozen" || ! grep -qx "${ZIG_PIP[1]}" <<<"$frozen"; then
    log "pip install ${ZIG_PIP[*]} into $ZIG_VENV"
    python3 -m venv "$ZIG_VENV" >&2 || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$ZIG_VENV/bin/python" -m pip install -q --disable-pip-version-check "${ZIG_PIP[@]}" >&2
  fi
  python3 "$REPO/scripts/macos-link-stubs.py" "$STATE/macos-frameworks"
  pip_pins=("${ZIG_PIP[@]}")
fi
{
  printf '# packages scripts/setup-cross.sh installed (dpkg versions)\n'
  for pv in "${want[@]}"; do
    printf '%s %s\n' "${pv%%=*}" "$(installed_version "${pv%%=*}")"
  done
  for pin in "${pip_pins[@]}"; do
    printf '%s %s (PyPI)\n' "${pin%%==*}" "${pin#*==}"
  done
  printf '# %s\n# %s\n' "$(/usr/bin/rustc --version)" "$(/usr/bin/cargo --version)"
} >"$STATE/versions.txt.tmp"
mv -f "$STATE/versions.txt.tmp" "$STATE/versions.txt"
log "ok: ${platforms[*]} ($(/usr/bin/rustc --version))"
