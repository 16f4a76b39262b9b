#!/usr/bin/env bash
# Installs what the tests need and runs every test. Ends with one line: "tests: N passed, N failed".
# Used as is by .ci/run; safe to run on a fresh machine (root, Debian, .NET SDK 10).
set -uo pipefail
cd "$(dirname "$0")"

# etcdctl drives the process-level specs; the real etcd is the side-by-side reference for behaviour.
if ! command -v etcdctl >/dev/null 2>&1 || ! command -v etcd >/dev/null 2>&1; then
  echo "installing etcd-client and etcd-server from apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq etcd-client etcd-server >/dev/null \
    || { echo "apt-get install etcd-client etcd-server failed"; echo "tests: 0 passed, 1 failed"; exit 1; }
fi
# nft lets WatchLeaseFaultSpecs cut a member off from its peers (Etcd.Specs/Support/LoopbackPartition.cs); without it
# that spec skips the cut and says so, so a failed install does not fail the run.
if ! command -v nft >/dev/null 2>&1; then
  echo "installing nftables from apt"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -qq nftables || { apt-get update -qq && apt-get install -y -qq nftables; }; } >/dev/null 2>&1 \
    || echo "apt-get install nftables failed: the fault spec will not cut a member off"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
if ! dotnet build Etcd.Actors.sln -c Release -nologo -v quiet; then
  echo "build failed"
  echo "tests: 0 passed, 1 failed"
  exit 1
fi

results=$(mktemp -d)
# A hung test must not hold CI for 90 minutes: dump and abort after 10 minutes without progress.
dotnet test Etcd.Specs/Etcd.Specs.csproj -c Release --no-build -nologo \
  --logger "trx;LogFileName=specs.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" --blame-hang-timeout 10m "$@"
status=$?

trx="$results/specs.trx"
if [ -f "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n1)
  passed=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  failed=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  errors=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
  timeout=$(sed -n 's/.* timeout="\([0-9]*\)".*/\1/p' <<<"$counters")
  aborted=$(sed -n 's/.* aborted="\([0-9]*\)".*/\1/p' <<<"$counters")
  failed=$(( ${failed:-0} + ${errors:-0} + ${timeout:-0} + ${aborted:-0} ))
  passed=${passed:-0}
  # CI keeps only the tail of the output: name each failure and its first lines here, next to the count.
  if [ "$failed" -gt 0 ]; then
    echo "failed specs:"
    awk '/<UnitTestResult / && /outcome="(Failed|Timeout|Aborted|Error)"/ {
           match($0, /testName="[^"]*"/); print "  FAILED " substr($0, RSTART + 10, RLENGTH - 11); want = 1; next }
         /<UnitTestResult / { want = 0 }
         want && /<Message>/ { inmsg = 1; n = 0 }
         inmsg { if (n++ < 6) print "    " $0; if (/<\/Message>/) { inmsg = 0; want = 0 } }' "$trx" | head -n 80
  fi
else
  passed=0; failed=1
fi
rm -rf "$results"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
