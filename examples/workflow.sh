#!/bin/sh
# A shell workflow driven by the `flux` command, as batch scripts drive Flux:
# three jobs, each consuming the output of the one before (dependencies), waited
# for, then their output read back.  Run it in an instance:
#
#   fakeflux start --size 4 -- sh examples/workflow.sh       # fakeflux's flux
#   flux start --test-size=4 sh examples/workflow.sh          # real Flux, same result
set -eu

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. produce: a list of numbers in a file
produce=$(flux submit --job-name=produce --output="$work/numbers.txt" seq 1 10)

# 2. square: starts only once produce has succeeded (RFC 26 afterok dependency)
square=$(flux submit --job-name=square --dependency="afterok:$produce" \
    --output="$work/squares.txt" sh -c "while read n; do echo \$((n * n)); done < $work/numbers.txt")

# 3. sum: after square; its output stays in the job's eventlog
total=$(flux submit --job-name=sum --dependency="afterok:$square" \
    sh -c "s=0; while read n; do s=\$((s + n)); done < $work/squares.txt; echo sum=\$s")

# wait for all three; the largest exit code is flux job status's
flux job status "$produce" "$square" "$total"

# read the last job's output back from Flux, and check it
result=$(flux job attach "$total")
echo "$result"
test "$result" = "sum=385"
