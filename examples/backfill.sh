#!/usr/bin/env bash
# A backfill: every recording in a folder as one job, run by a worker, then the first one
# re-run with another model and compared with the original.
# Usage: examples/backfill.sh [FOLDER]   (default: examples/, which holds meeting.wav)
set -euo pipefail
folder=${1:-examples}
lt jobs submit "$folder" --to pt --model base > jobs.tsv
lt worker --once
lt jobs --state failed
first=$(head -1 jobs.tsv | cut -f2)
lt jobs submit --sessions "$first" --model tiny.en
lt worker --once
lt compare "$first" "$first-tiny.en"
