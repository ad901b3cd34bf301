from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from lt.commands.options import Json, Quiet

models_app = typer.Typer(
    name="models",
    help="The speech, translation and voice models: what is here, what can be added, offline bundles.",
    invoke_without_command=True,
)

Kind = Annotated[Optional[str], typer.Option("--kind", help="Only asr (Whisper), mt (translation) or tts (voices).")]
INSTALLED_COLUMNS = ("kind", "name", "source", "size", "licence", "path", "detail")


@models_app.callback()
def models(ctx: typer.Context, kind: Kind = None, as_json: Json = False) -> None:
    """List the models usable without a network: kind, name, source, size, licence, where they live.

    Examples: lt models --kind mt; lt models available --lang es; lt models add bergamot-en-es
    """
    if ctx.invoked_subcommand is not None:
        return
    from lt.catalog.entries import normal_kind
    from lt.commands.output import print_json, print_table

    wanted = normal_kind(kind)
    rows = [row for row in _installed_rows() if wanted in (None, row["kind"])]
    if as_json:
        print_json(rows)
        return
    print_table(INSTALLED_COLUMNS, [tuple(_cell(c, row[c]) for c in INSTALLED_COLUMNS) for row in rows])


def _installed_rows() -> list[dict]:
    from lt.asr.models import local_models as whisper_models
    from lt.catalog.installed import installed
    from lt.mt.models import local_models as translation_models

    rows = [*whisper_models(), *translation_models()]
    for voice in installed("tts"):
        rows.append({
            "kind": "tts", "name": voice.name, "path": str(voice.path), "source": "lt models add",
            "size": voice.size, "licence": voice.manifest.get("licence", ""), "detail": voice.manifest.get("page", ""),
        })
    return rows


@models_app.command()
def available(
    kind: Kind = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help="Only models for this language (code or name: es, spa, spanish).")] = None,
    languages: Annotated[bool, typer.Option("--languages", help="List the languages instead: codes, names, and how many models cover each.")] = False,
    as_json: Json = False,
) -> None:
    """List what `lt models add` can fetch: name, kind, size, languages, licence, and whether it is here.

    Example: lt models available --kind mt --lang es
    """
    from lt.catalog.entries import catalogue, normal_kind
    from lt.catalog.installed import find_installed
    from lt.commands.output import print_json, print_table
    from lt.mt.languages import check_code

    shelf = catalogue()
    if languages:
        _print_languages(shelf, as_json)
        return
    code = check_code(lang, "--lang") if lang else None
    entries = sorted(shelf.select(normal_kind(kind), code), key=lambda e: (e.kind, e.name))
    if as_json:
        print_json([{**e.to_dict(), "size": e.size, "installed": find_installed(e.name) is not None}
                          for e in entries])
        return
    header = ("name", "kind", "engine", "size", "languages", "licence", "installed")
    print_table(header, [
        (e.name, e.kind, e.engine, _cell("size", e.size, approx=e.exact_size is None), _languages(e.languages),
         e.licence, "yes" if find_installed(e.name) else "")
        for e in entries
    ])


def _languages(codes) -> str:
    return ",".join(codes) if len(codes) <= 4 else f"{len(codes)} languages"


def _print_languages(shelf, as_json: bool) -> None:
    from lt.commands.output import print_json, print_table
    from lt.mt.languages import ISO639_3, NAMES

    rows = []
    for code, name in NAMES.items():
        counts = {kind: len(shelf.select(kind, code)) for kind in ("asr", "mt", "tts")}
        rows.append({"code": code, "iso639_3": ISO639_3[code], "name": name, **counts})
    if as_json:
        print_json(rows)
        return
    print_table(("code", "iso639-3", "name", "asr", "mt", "tts"), [tuple(r.values()) for r in rows])


@models_app.command()
def add(
    names: Annotated[list[str], typer.Argument(help="Catalogue names (lt models available lists them).")],
    force: Annotated[bool, typer.Option("--force", help="Fetch and install again even if installed.")] = False,
    retries: Annotated[int, typer.Option("--retries", min=0, help="Times a cut or failed transfer is resumed before giving up.")] = 3,
    mirror: Annotated[
        Optional[str],
        typer.Option("--mirror", envvar="LT_MODEL_MIRROR", help="Base URL of a mirror holding MIRROR/<name>/<file> instead of the publisher."),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Fetch models once, verify their checksums, and install them; the only command that uses the network.

    Downloads resume where they stopped (run it again). Exit 4 when the server
    cannot be reached, 1 on a missing or corrupt file.

    Example: lt models add bergamot-en-es whisper-small
    """
    from lt.catalog.download import FetchSettings
    from lt.catalog.entries import catalogue
    from lt.catalog.install import AddSettings
    from lt.catalog.install import add as install
    from lt.catalog.progress import progress_for

    shelf = catalogue()
    entries = [shelf.require(name) for name in names]
    settings = AddSettings(mirror=mirror, force=force, fetch=FetchSettings(retries=retries))
    progress = progress_for(quiet)
    try:
        for entry in entries:
            model, fetched = install(entry, progress, settings)
            if not quiet:
                what = "installed" if fetched else "already installed"
                _say(f"{entry.name}: {what} in {model.path} ({_cell('size', model.size)}, {entry.licence})")
    finally:
        progress.close()


@models_app.command()
def remove(name: Annotated[str, typer.Argument(help="An installed model's name.")], quiet: Quiet = False) -> None:
    """Delete an installed model (and any unfinished download of it).

    Example: lt models remove bergamot-en-es
    """
    from lt.catalog.install import remove as uninstall

    model = uninstall(name)
    if not quiet:
        _say(f"{model.name}: removed {model.path}")


@models_app.command()
def verify(
    names: Annotated[Optional[list[str]], typer.Argument(help="Installed models to check (default: all).")] = None,
    quiet: Quiet = False,
) -> int:
    """Check every file of installed models against the sha256 recorded when they were installed.

    Exit 1 when any model is damaged (lt models add --force NAME repairs it).

    Example: lt models verify
    """
    from lt.catalog.install import verify as check
    from lt.catalog.installed import find_installed, installed
    from lt.errors import ExitCode, LtError

    models = installed() if not names else [_require_installed(find_installed, n) for n in names]
    broken = 0
    for model in models:
        problems = check(model)
        broken += bool(problems)
        if problems:
            _say(f"{model.name}: DAMAGED: {'; '.join(problems)}")
        elif not quiet:
            _say(f"{model.name}: ok ({len(model.manifest.get('files', {}))} files)")
    if broken:
        raise LtError(f"{broken} of {len(models)} models are damaged", hint="reinstall with: lt models add --force NAME")
    return ExitCode.OK


def _require_installed(find, name: str):
    from lt.errors import LtError

    model = find(name)
    if model is None:
        raise LtError(f"no installed model called {name!r}", hint="lt models lists what is installed")
    return model


@models_app.command()
def pack(
    names: Annotated[list[str], typer.Argument(help="Installed models to put in the bundle.")],
    output: Annotated[str, typer.Option("--output", "-o", help="The bundle to write (a tar file; - for stdout).")],
    quiet: Quiet = False,
) -> None:
    """Write installed models, with a manifest and checksums, into one tar file for another machine.

    Example: lt models pack bergamot-en-es whisper-small -o models.tar
    """
    from lt.catalog.bundle import pack as write_bundle
    from lt.catalog.installed import find_installed

    models = [_require_installed(find_installed, n) for n in names]
    if output == "-":
        size = write_bundle(models, sys.stdout.buffer)
    else:
        target = Path(output).expanduser()
        partial = target.with_name(target.name + ".part")
        with open(partial, "wb") as out:
            size = write_bundle(models, out)
        partial.replace(target)  # a bundle that exists is a whole one
    if not quiet:
        _say(f"packed {len(models)} models ({_cell('size', size)}) into {output}")


@models_app.command()
def unpack(
    archive: Annotated[str, typer.Argument(help="A bundle from lt models pack (- for stdin).")],
    quiet: Quiet = False,
) -> None:
    """Install the models of a bundle, each only once all its files match their checksums.

    Example: lt models unpack models.tar
    """
    from lt.catalog.bundle import unpack as read_bundle
    from lt.errors import LtError

    if archive == "-":
        models = read_bundle(sys.stdin.buffer, "stdin")
    else:
        try:
            with open(Path(archive).expanduser(), "rb") as source:
                models = read_bundle(source, archive)
        except OSError as exc:
            raise LtError(f"cannot read {archive}: {exc.strerror}") from None
    if not quiet:
        for model in models:
            _say(f"{model.name}: installed in {model.path} (from {archive})")


def _cell(column: str, value, approx: bool = False) -> str:
    if column != "size":
        return "" if value is None else str(value)
    if not value:
        return "?" if value is None else ""
    text = f"{value / 1e9:.2f} GB" if value >= 1e9 else f"{value / 1e6:.1f} MB"
    return f"~{text}" if approx else text


def _say(line: str) -> None:
    from lt.log import stderr_console

    stderr_console().print(line, markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(models_app)
