import json
import re
import subprocess
import sys

import pytest
import typer

from conftest import ROOT, lt
from lt.cli import app
from lt.errors import ExitCode, redact

README = (ROOT / "README.md").read_text()
HEAVY = ("faster_whisper", "ctranslate2", "psycopg", "av", "PIL", "pyvirtualcam", "pgserver", "soundfile", "numpy")


def command_names(group=None, prefix="") -> list[str]:
    group = group or typer.main.get_command(app)
    names = []
    for name, command in group.commands.items():
        names.append(prefix + name)
        if hasattr(command, "commands"):
            names += command_names(command, prefix + name + " ")
    return names


def test_version():
    result = lt("--version")
    assert result.code == 0 and result.text.strip().startswith("lt ")


def test_help_imports_nothing_heavy():
    probe = (
        "import sys, lt.cli; from lt.cli import run; "
        "code = run(['--help']); "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("name", command_names())
def test_every_command_has_help_and_is_in_the_readme(name):
    result = lt(*name.split(), "--help")
    assert result.code == 0, result.stderr
    assert "Usage:" in result.text
    assert f"lt {name}" in README, f"README does not show `lt {name}`"


def test_exit_code_table_in_readme_matches_the_code():
    documented = {int(code) for code in re.findall(r"^\|\s*`?(\d+)`?\s*\|", README, re.M)}
    assert documented == {int(code) for code in ExitCode}


def test_event_examples_in_readme_are_valid_events():
    from lt.events import from_dict

    section = README.split("## Events", 1)[1].split("\n## ", 1)[0]
    examples = [json.loads(line) for line in section.splitlines() if line.startswith('{"v":')]
    assert {e["type"] for e in examples} == {"session", "transcript", "translation", "audio", "error"}
    for example in examples:
        assert from_dict(example).to_dict() == example


def test_usage_error_exits_2():
    result = lt("capture", "--no-such-option")
    assert result.code == ExitCode.USAGE
    assert "No such option" in result.stderr


def test_an_unknown_option_suggests_only_names_that_look_like_it():
    bogus = lt("transcribe", "--bogus")
    assert bogus.code == ExitCode.USAGE and "No such option: --bogus" in bogus.stderr
    assert "Possible options" not in bogus.stderr, "--bogus is not a typo of --verbose"
    typo = lt("transcribe", "--modle", "tiny.en")
    assert typo.code == ExitCode.USAGE and "--model" in typo.stderr


@pytest.mark.parametrize("name", ["capture", "transcribe", "store", "score", "jobs submit"])
def test_help_shows_no_bool_or_str_labels(name):
    result = lt(*name.split(), "--help", env={"COLUMNS": "200"})
    assert result.code == 0
    assert "<bool>" not in result.text and "<str>" not in result.text
    assert "Show this message and exit." in result.text


def test_a_long_hint_logged_on_a_terminal_is_never_broken_by_a_newline():
    import os

    command = "lt models add bergamot-en-es --mirror https://mirror.example.org/models/and/a/long/path"
    probe = (
        "import logging; from lt.log import setup_logging; setup_logging(0); "
        f"logging.getLogger('lt.translate').warning('no model for en to es; fetch one with: {command}')"
    )
    leader, follower = os.openpty()
    try:
        subprocess.run([sys.executable, "-c", probe], stderr=follower, env={**os.environ, "COLUMNS": "60"}, timeout=60)
        os.close(follower)
        shown = os.read(leader, 65536).decode()
    finally:
        os.close(leader)
    assert "WARNING" in shown and command in shown


def test_unexpected_errors_are_one_line_unless_debugging(tmp_path):
    probe = (
        "import sys\nfrom lt import cli\n"
        "@cli.app.command('explode')\n"
        "def explode():\n"
        "    raise RuntimeError('could not reach postgresql://lt:hunter2@db.example/lt')\n"
        "sys.exit(cli.run(['explode']))\n"
    )
    quiet = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert quiet.returncode == 1
    assert "Traceback" not in quiet.stderr and "hunter2" not in quiet.stderr
    assert "unexpected RuntimeError" in quiet.stderr and "LT_DEBUG=1" in quiet.stderr
    loud = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env={"LT_DEBUG": "1", "PATH": ""}
    )
    assert "Traceback" in loud.stderr


@pytest.mark.parametrize(
    "text, secret",
    [
        ("postgresql://lt:s3cr3t@localhost:5432/lt", "s3cr3t"),
        ("host=x password=s3cr3t dbname=lt", "s3cr3t"),
        ("password='two words' user=x", "two words"),
    ],
)
def test_redact_masks_passwords(text, secret):
    assert secret not in redact(text) and "***" in redact(text)

