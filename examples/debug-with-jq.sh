#!/usr/bin/env bash
# Debugging a stage: every joint of the pipeline is NDJSON, so tee it to a file and look with jq.
set -euo pipefail
lt capture examples/meeting.wav --realtime --duration 20 \
  | lt transcribe | tee transcribe.ndjson \
  | lt translate --to pt | tee translate.ndjson > /dev/null
# Finals only, with their audio time and how long after the word's end they left transcribe:
jq -c 'select(.type == "transcript" and .final) | {seg, start, "end": .end, text, latency: (.t.transcribe - .t.capture)}' transcribe.ndjson
# How often each segment's partial changed before it was committed:
jq -r 'select(.type == "transcript" and (.final | not)) | .seg' transcribe.ndjson | sort -n | uniq -c
# Anything a stage flagged or reported:
jq -c 'select(.type == "error" or ((.flags // []) | length > 0))' translate.ndjson
