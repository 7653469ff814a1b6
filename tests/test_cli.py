"""The command line itself: version, help on every command, exit codes for usage errors."""

import re

from briefgen import __version__
from briefgen.cli import app
from tests.conftest import run


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"briefgen {__version__}"


def test_every_command_has_help_text():
    import typer.main

    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert command.help and len(command.help) > 20, f"command {name} lacks help"
        result = run(name, "--help")
        assert result.exit_code == 0
        assert "Usage:" in result.stdout


def test_readme_lists_every_command():
    import typer.main

    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in typer.main.get_command(app).commands:
        assert re.search(rf"`briefgen {name}\b", readme), f"README does not document 'briefgen {name}'"


def test_not_a_fact_base_is_a_usage_error(tmp_path):
    result = run("--facts", tmp_path / "nowhere", "check")
    assert result.exit_code == 2
    assert "not a fact base" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_audience_lists_known_ones(base):
    result = run("--facts", base, "build", "--audience", "navy")
    assert result.exit_code == 2
    assert "unknown audience 'navy'" in result.stderr
    for known in ("defence", "economic", "historical"):
        assert known in result.stderr


def test_bad_config_file_is_a_usage_error(tmp_path):
    (tmp_path / "briefgen.toml").write_text('colour = "blue"\n')
    result = run("check")
    assert result.exit_code == 2
    assert "unknown setting" in result.stderr


def test_config_file_sets_fact_base(base, tmp_path):
    (tmp_path / "briefgen.toml").write_text(f'facts = "{base.name}"\n')
    result = run("check")
    assert result.exit_code == 0, result.stdout
    assert "0 error(s)" in result.stdout


def test_bad_date_option(base):
    result = run("--facts", base, "build", "-a", "defence", "--date", "2026-13-01")
    assert result.exit_code == 2
    assert "--date must be YYYY-MM-DD" in result.stderr


def test_sources_lists_registry(base):
    result = run("--facts", base, "sources")
    assert result.exit_code == 0
    assert "paper" in result.stdout and "Test Times" in result.stdout
