"""One module per command: each defines its typer command and a `register(app)`."""
