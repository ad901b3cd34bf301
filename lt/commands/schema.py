from __future__ import annotations

import json

import typer


def schema() -> None:
    """Print the JSON Schema of lt's events (generated from lt/events.py).

    Example: lt schema > events.schema.json
    """
    from lt.events import json_schema

    print(json.dumps(json_schema(), indent=2))


def register(app: typer.Typer) -> None:
    app.command()(schema)
