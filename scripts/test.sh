#!/usr/bin/env bash
# npm test: the whole tap suite on SQLite, then again on MariaDB when TEST_MYSQL_URL points at one
# (.ci/run starts MariaDB and sets it). Ends with one plain line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

total_pass=0 total_fail=0 total_skip=0 rc=0 failures=""
run_leg() {
  local name=$1 url=$2 out; out=$(mktemp)
  echo "== $name leg =="
  # tsx (esbuild) loads each test file in half the CPU time of tap's default ts-node loader, which on
  # 2 cores kept the two legs over 20 minutes; coverage is off because it is not reliable under tsx
  TEST_DATABASE_URL=$url npx tap --disable-coverage --type-strip-only --node-arg=--import=tsx "${@:3}" 2>&1 | tee "$out"
  local leg_rc=${PIPESTATUS[0]}
  local line; line=$(grep -E '^# \{ total: ' "$out" | tail -n1)
  num() { sed -nE "s/.*[ {]$1: ([0-9]+).*/\1/p" <<<"$line"; }
  local p f s; p=$(num pass) f=$(num fail) s=$(num skip)
  [ -z "$line" ] && f=${f:-1}              # tap crashed before summarising
  total_pass=$((total_pass + ${p:-0})) total_fail=$((total_fail + ${f:-0})) total_skip=$((total_skip + ${s:-0}))
  [ "$leg_rc" -ne 0 ] && rc=$leg_rc
  # CI keeps only the end of the output: repeat each failure there with the file it came from
  failures+=$(awk -v leg="$name" '/^# Subtest: test\// { file = $3 }
    /^ *not ok / && !/# (TODO|SKIP)/ { sub(/^ +/, ""); print "FAILED " leg " " file ": " $0 }' "$out")$'\n'
  rm -f "$out"
}

run_leg sqlite "" "$@"
if [ -n "${TEST_MYSQL_URL:-}" ]; then
  # one MariaDB for the whole run: each test makes its own database, so files may run in parallel
  run_leg mariadb "$TEST_MYSQL_URL" "$@"
else
  echo "MariaDB leg skipped: TEST_MYSQL_URL is not set (bash .ci/run starts MariaDB and sets it)"
fi

printf '%s' "$failures" | grep . || true
summary="$total_pass passed, $total_fail failed"
[ "$total_skip" -gt 0 ] && summary="$summary, $total_skip skipped"
echo "$summary"
exit "$rc"
