"""One module per command: each defines its typer command and a `register(app)`.

Beside them, what the commands share: `options` (options defined once) and
`output` (tables and JSON on stdout)."""
