#!/usr/bin/env bash
# Optional system packages some tests use: Chromium (the HTML report renders in it) and a CJK font
# (captions in Japanese with --font).
# Installed only where we are root with apt-get; elsewhere those tests skip and say why.
set -uo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${missing[*]}" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1 \
    || echo "system-deps: could not install ${missing[*]}; the tests that need them will skip" >&2
else
  echo "system-deps: ${missing[*]} not found; the tests that need them will skip" >&2
fi
exit 0
