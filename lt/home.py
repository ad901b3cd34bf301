"""The one home directory for models, the embedded database and spills."""

from __future__ import annotations

import os
from pathlib import Path


def lt_home() -> Path:
    configured = os.environ.get("LT_HOME")
    if configured:
        home = Path(configured).expanduser()
    else:
        from platformdirs import user_data_dir

        home = Path(user_data_dir("lt", appauthor=False))
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return home
