from __future__ import annotations

import logging
from typing import Annotated

import typer

from lt.log import setup_logging
from lt.commands.options import Database, Quiet, Verbose, verbosity

log = logging.getLogger("lt.db")

db_app = typer.Typer(
    name="db",
    help="The database: its URL, its schema, the embedded server.",
    no_args_is_help=True,
)


@db_app.command()
def url(
    show_password: Annotated[bool, typer.Option("--show-password", help="Print the password instead of ***.")] = False,
    db: Database = None,
) -> None:
    """Print the connection string of the database in use (starting the embedded one if needed).

    Example: psql "$(lt db url --show-password)"
    """
    from lt.db.connect import resolve

    target = resolve(db)
    print(target.url if show_password else target.masked())


@db_app.command()
def migrate(db: Database = None, verbose: Verbose = 0, quiet: Quiet = False) -> None:
    """Bring the schema up to date (every command also does this on first use).

    Example: lt db migrate --db postgresql://lt@dbhost/lt
    """
    from lt.db.connect import connect
    from lt.db.schema import LATEST, migrate as apply_migrations

    setup_logging(verbosity(verbose, quiet))
    with connect(migrate=False, target=db) as conn:
        applied = apply_migrations(conn)
    if applied:
        log.info("applied migrations %s; the schema is at version %d", ", ".join(map(str, applied)), LATEST)
    else:
        log.info("the schema is up to date (version %d)", LATEST)


@db_app.command()
def stop(verbose: Verbose = 0, quiet: Quiet = False) -> None:
    """Stop the embedded PostgreSQL under LT_HOME (the next lt command starts it again).

    Example: lt db stop
    """
    from lt.db.connect import embedded_dir, stop_embedded

    setup_logging(verbosity(verbose, quiet))
    if stop_embedded(embedded_dir()):
        log.info("stopped the embedded PostgreSQL in %s", embedded_dir())
    else:
        log.info("the embedded PostgreSQL in %s was not running", embedded_dir())


def register(app: typer.Typer) -> None:
    app.add_typer(db_app)
