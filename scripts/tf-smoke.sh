#!/usr/bin/env bash
# tf-smoke.sh: quick self-check of the Terraform tooling, all offline (no provider needed, no network).
#
# Usage:  scripts/tf-smoke.sh
#   Runs scripts/setup-tools.sh, prints both Terraform versions, then in a throwaway directory drives
#   scripts/tf through validate/plan/apply/plan/output/destroy: on 1.15.5 with a `terraform_data` resource
#   (after init), on 1.0.3 with an output-only configuration (no init, as under dev_overrides).
#   A hostile environment (TF_CLI_CONFIG_FILE to a missing file, TF_CLI_ARGS=-bogus) is set on purpose:
#   scripts/tf must shield Terraform from it. Ends with "tf-smoke: N passed, M failed"; exit 1 on any failure.
set -euo pipefail

REPO=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)
TF=$REPO/scripts/tf

"$REPO/scripts/setup-tools.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/tf-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TF_TEST_HOME=$work/home
export TF_CLI_CONFIG_FILE=$work/missing.tfrc TF_CLI_ARGS=-bogus TF_CLI_ARGS_plan=-bogus

passed=0 failed=0
ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$*"; }

# check <description> <expected exit code> <version> <terraform args...>   (run in the current directory)
check() {
  local what=$1 want=$2 rc=0
  shift 2
  "$TF" "$@" -no-color >"$work/out" 2>"$work/err" || rc=$?
  if [[ $rc != "$want" ]]; then
    bad "$what: exit $rc, want $want"
    sed 's/^/      | /' "$work/out" "$work/err" | tail -20
  elif grep -q 'Unable to open CLI configuration\|bogus' "$work/err"; then
    bad "$what: the caller's TF_CLI_CONFIG_FILE/TF_CLI_ARGS leaked through"
    sed 's/^/      | /' "$work/err" | tail -10
  else
    ok "$what"
  fi
}

for v in 1.15.5 1.0.3; do
  out=$("$TF" "$v" version 2>&1 | head -1) || true
  if [[ $out == "Terraform v$v" ]]; then ok "$v version: $out"; else bad "$v version: $out"; fi
done

mkdir -p "$work/a" "$work/b"

cd "$work/a"
cat >main.tf <<'EOF'
resource "terraform_data" "x" {
  input = "smoke"
}
output "x" { value = terraform_data.x.output }
EOF
check "1.15.5 init" 0 1.15.5 init -input=false
check "1.15.5 validate" 0 1.15.5 validate
check "1.15.5 plan (changes)" 2 1.15.5 plan -input=false -detailed-exitcode
check "1.15.5 apply" 0 1.15.5 apply -input=false -auto-approve
check "1.15.5 plan (no changes)" 0 1.15.5 plan -input=false -detailed-exitcode
if [[ $("$TF" 1.15.5 output -raw x 2>/dev/null) == smoke ]]; then ok "1.15.5 output"; else bad "1.15.5 output"; fi
check "1.15.5 destroy" 0 1.15.5 destroy -input=false -auto-approve

cd "$work/b"
echo 'output "x" { value = "y" }' >main.tf
check "1.0.3 validate (no init)" 0 1.0.3 validate
check "1.0.3 plan (changes)" 2 1.0.3 plan -input=false -detailed-exitcode
check "1.0.3 apply" 0 1.0.3 apply -input=false -auto-approve
check "1.0.3 plan (no changes)" 0 1.0.3 plan -input=false -detailed-exitcode
if [[ $("$TF" 1.0.3 output -raw x 2>/dev/null) == y ]]; then ok "1.0.3 output"; else bad "1.0.3 output"; fi
check "1.0.3 init refused by scripts/tf" 64 1.0.3 init -input=false

echo "tf-smoke: $passed passed, $failed failed"
[[ $failed == 0 ]]
