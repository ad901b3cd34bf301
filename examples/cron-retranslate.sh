#!/usr/bin/env bash
# Cron: re-translate yesterday's sessions into another language and store the result beside the
# originals (nothing is stored twice: event ids are deterministic). crontab line:
#   15 3 * * *  cd /srv/lt && examples/cron-retranslate.sh de >> /var/log/lt-retranslate.log 2>&1
set -euo pipefail
target=${1:-pt}
lt sessions --since yesterday --until yesterday --json | jq -r '.[].session' | while read -r session; do
  lt replay "$session" --type transcript | lt translate --to "$target" | lt store -q
  echo "re-translated $session into $target"
done
