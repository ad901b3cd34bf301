"""The model manager: what can be installed, fetching it once, and what is installed.

- `entries`: the catalogue (publisher URL, size, sha256 where published,
  licence, languages) built from the publisher tables in `*_entries.py`,
  plus any extra catalogue files named in `LT_MODEL_CATALOG`;
- `download`: one file over HTTP(S), resumable with Range, checksummed,
  through `HTTPS_PROXY`, from `LT_MODEL_MIRROR` when set;
- `install`: a whole model into place (verified first, then one atomic
  rename), `remove`, `verify`;
- `installed`: where each kind of model lives under LT_HOME and which are
  there, so `lt.asr.models` and `lt.mt.models` resolve through one place;
- `bundle`: `lt models pack` / `unpack` for machines without a network.

Nothing here touches the network except `install.add`, which only
`lt models add` calls.
"""
