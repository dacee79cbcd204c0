#!/bin/sh
# Every benchmark, one after the other (about 40 minutes on 2 cores).
# Figures go to benchmarks/results/*.json, the printed lines to results/*.log.
set -e
cd "$(dirname "$0")/.."
mkdir -p benchmarks/results
for bench in startup memory eta_accuracy speed; do
    python benchmarks/$bench.py "$@" 2>&1 | tee benchmarks/results/$bench.log
done
