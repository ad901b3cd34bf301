#!/usr/bin/env bash
# CI: transcribe a reference recording and fail when the word error rate or the
# transcription latency regresses. Exit 0 = fine, 5 = WER above the limit (lt score),
# 1 = latency above the limit (or a stage failed). LT_MODEL picks the model (default base).
#   examples/ci-regression.sh examples/meeting.wav examples/meeting.txt 0.10 5
set -euo pipefail
audio=${1:-examples/meeting.wav}; reference=${2:-examples/meeting.txt}
max_wer=${3:-0.10}; max_p50=${4:-5}
export LT_SESSION="ci-$(date -u +%Y%m%dT%H%M%SZ)"
lt capture "$audio" --realtime | lt transcribe --mode stream --no-partials | lt store
lt score "$LT_SESSION" "$reference" --max-wer "$max_wer"
# word end to final, p50 in seconds:
lt status "$LT_SESSION" --json | jq -e --argjson max "$max_p50" '[.latency[] | select(.hop == "total")][0].p50 <= $max'
