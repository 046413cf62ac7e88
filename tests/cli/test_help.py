"""Help text: `--help` never imports boto3, and docs/usage.md shows the real help.

docs/usage.md holds every command's `--help` between `<!-- BEGIN HELP: cmd -->` and
`<!-- END HELP: cmd -->` markers. After changing options, regenerate it with
`QSDOCTOR_REGEN_DOCS=1 python -m pytest tests/cli/test_help.py` (rendered at 100 columns).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from qsdoctor.cli import app

USAGE = Path(__file__).parents[2] / "docs" / "usage.md"
REGEN = os.environ.get("QSDOCTOR_REGEN_DOCS") == "1"
_BLOCK = re.compile(
    r"<!-- BEGIN HELP: (?P<cmd>[\w-]+) -->\n```text\n(?P<body>.*?)```\n<!-- END HELP: (?P=cmd) -->",
    re.DOTALL,
)


def help_text(command: str | None) -> str:
    args = [command, "--help"] if command else ["--help"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "100"}, terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.stdout.rstrip() + "\n"


def commands() -> list[str]:
    group = typer.main.get_command(app)
    return list(getattr(group, "commands", {}))


def _block(command: str, body: str) -> str:
    return f"<!-- BEGIN HELP: {command} -->\n```text\n{body}```\n<!-- END HELP: {command} -->"


def regenerate() -> None:
    """Refresh every help block; add blocks for commands the document lacks."""
    text = USAGE.read_text(encoding="utf-8")
    text = _BLOCK.sub(lambda m: _block(m["cmd"], help_text(m["cmd"])), text)
    present = {m["cmd"] for m in _BLOCK.finditer(text)}
    for command in commands():
        if command not in present:
            text = text.rstrip() + f"\n\n### `qsdoctor {command} --help`\n\n"
            text += _block(command, help_text(command)) + "\n"
    USAGE.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"], []])
def test_help_does_not_import_boto3(args: list[str]) -> None:
    code = (
        "import sys\n"
        "from qsdoctor.cli import main\n"
        f"sys.argv = ['qsdoctor', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m in ('boto3', 'botocore', 'moto') if m in sys.modules]\n"
        "print('LOADED', loaded, file=sys.stderr)\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    # Bare `qsdoctor` prints its help on stderr (click's no_args_is_help).
    assert "Usage" in proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stderr


def test_check_help_lists_the_contract_options() -> None:
    text = help_text("check")
    for option in (
        "--intermediate-arn", "--destination-arn", "--destinations-file", "--vendor-account-id",
        "--profile", "--intermediate-profile", "--destination-profile", "--region",
        "--source-identity", "--since", "--no-live", "--no-trail", "--no-negative-probes",
        "--output", "--strict", "--show-secrets", "--verbose", "--save-facts", "--from-facts",
        "--external-id-file", "--external-id-secret", "--external-id",
        "--destination-external-id-file", "--destination-external-id-secret",
        "--destination-external-id", "--prompt-external-id", "--session-tag", "--trail-bucket",
        "--trail-bucket-profile",
    ):  # fmt: skip
        assert re.search(rf"(^|[ ,]){re.escape(option)}\b", text, re.MULTILINE), option


def test_usage_doc_shows_the_current_help_of_every_command() -> None:
    if REGEN:
        regenerate()
    blocks = {m["cmd"]: m["body"] for m in _BLOCK.finditer(USAGE.read_text(encoding="utf-8"))}
    assert set(blocks) == set(commands()), "docs/usage.md lacks a command's help block"
    stale = [command for command in commands() if blocks[command] != help_text(command)]
    assert stale == [], (
        f"docs/usage.md is stale for {stale}: "
        "run QSDOCTOR_REGEN_DOCS=1 python -m pytest tests/cli/test_help.py"
    )


#: Commands of design.md that do not exist yet. Docs may name them only as planned.
PLANNED_COMMANDS = {"probe", "scan", "lint"}
DOCS = [USAGE.parents[1] / "README.md", USAGE, USAGE.parent / "permissions.md"]


def _paragraphs(path: Path) -> list[str]:
    return re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_docs_name_only_commands_and_options_that_exist(path: Path) -> None:
    group = typer.main.get_command(app)
    options = {"--help", "--version"}
    for command in getattr(group, "commands", {}).values():
        for param in command.params:
            options.update(o for o in (*param.opts, *param.secondary_opts) if o.startswith("--"))
    for paragraph in _paragraphs(path):
        code = paragraph.lstrip().startswith("```")
        pattern = r"^\s*qsdoctor ([a-z]+)" if code else r"`qsdoctor ([a-z]+)"
        named = set(re.findall(pattern, paragraph, re.MULTILINE))
        unknown = named - set(commands())
        assert unknown <= PLANNED_COMMANDS, (path.name, unknown)
        if unknown:
            assert "planned" in paragraph, f"{path.name}: {unknown} must be called planned"
        flags = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", paragraph))
        assert flags <= options, (path.name, flags - options)


def test_the_docs_test_catches_a_made_up_command_and_option(tmp_path: Path) -> None:
    fake = tmp_path / "fake.md"
    fake.write_text("Run `qsdoctor probe --config x`.\n\nThen `qsdoctor check --frobnicate`.\n")
    with pytest.raises(AssertionError):
        test_docs_name_only_commands_and_options_that_exist(fake)
    fake.write_text("`qsdoctor probe` is planned.\n")
    test_docs_name_only_commands_and_options_that_exist(fake)
    fake.write_text("```sh\nqsdoctor scan --intermediate-arn ARN\n```\n")
    with pytest.raises(AssertionError):
        test_docs_name_only_commands_and_options_that_exist(fake)
    fake.write_text("`qsdoctor check --frobnicate`\n")
    with pytest.raises(AssertionError):
        test_docs_name_only_commands_and_options_that_exist(fake)
