#!/usr/bin/env bash
# CI: transcribe a reference recording and fail when the word error rate or the
# transcription latency regresses. Exit 0 = fine, 1 = regression.
#   examples/ci-regression.sh examples/meeting.wav examples/meeting.txt 0.10 2.0
set -euo pipefail
audio=${1:-examples/meeting.wav}; reference=${2:-examples/meeting.txt}
max_wer=${3:-0.10}; max_p50=${4:-2.0}
export LT_SESSION="ci-$(date -u +%Y%m%dT%H%M%SZ)"
lt capture "$audio" --realtime | lt transcribe --mode stream --no-partials | lt store
lt export "$LT_SESSION" --format txt > hypothesis.txt
wer=$(python -c 'import sys, jiwer; print(round(jiwer.wer(open(sys.argv[1]).read(), open(sys.argv[2]).read()), 4))' \
      "$reference" hypothesis.txt)
p50=$(lt status "$LT_SESSION" --json | jq '[.latency[] | select(.hop == "total")][0].p50')
echo "WER $wer (max $max_wer), word end to final p50 ${p50} s (max $max_p50 s)"
awk -v w="$wer" -v mw="$max_wer" -v p="$p50" -v mp="$max_p50" 'BEGIN { exit !(w <= mw && p <= mp) }'
