"""One configuration model: briefgen.toml, with command-line options merged over it; wrong values refused."""

from dataclasses import fields
from pathlib import Path

import pytest

import briefgen.publish.build as build_module
from briefgen.config import KNOWN, Settings, load_settings
from briefgen.errors import UsageError
from briefgen.publish.build import BuildRequest, BuildResult
from tests.conftest import add_stale_case, run


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "briefgen.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> list[BuildRequest]:
    """The build requests the command line makes, instead of building."""
    made: list[BuildRequest] = []

    def capture(request: BuildRequest, progress=None) -> BuildResult:
        made.append(request)
        return BuildResult()

    monkeypatch.setattr(build_module, "build", capture)
    return made


def build(base: Path, *options: str):
    return run("--facts", base, "build", "-a", "economic", *options)


def test_config_keys_are_the_settings_fields_and_a_request_carries_them_all():
    assert KNOWN == tuple(f.name for f in fields(Settings))
    request_fields = {f.name for f in fields(BuildRequest)}
    assert set(KNOWN) <= request_fields
    settings = Settings(marking="X", paper="Letter", author="Desk", archival=True, stale_years=7.0)
    request = settings.build_request(audiences=("economic",))
    assert all(getattr(request, key) == getattr(settings, key) for key in KNOWN)


def test_config_on_option_off(base, tmp_path, requests):
    write_config(tmp_path, "[briefgen]\narchival = true\nmarking = 'SECRET'\n")
    assert build(base).exit_code == 0
    assert build(base, "--no-archival", "--marking", "").exit_code == 0
    assert (requests[0].archival, requests[0].marking) == (True, "SECRET")
    assert (requests[1].archival, requests[1].marking) == (False, None)


def test_config_off_option_on(base, tmp_path, requests):
    write_config(tmp_path, "[briefgen]\narchival = false\n")
    assert build(base, "--archival").exit_code == 0
    assert requests[0].archival is True


def test_unset_options_keep_the_config(base, tmp_path, requests):
    write_config(
        tmp_path,
        "[briefgen]\nformats = ['md', 'pdf']\npaper = 'letter'\nauthor = 'Desk'\noutput = 'briefs'\nstale_years = 5\n",
    )
    assert build(base).exit_code == 0
    first = requests[0]
    assert (first.formats, first.paper, first.author, first.stale_years) == (("md", "pdf"), "Letter", "Desk", 5.0)
    assert first.output.resolve() == tmp_path / "briefs"
    assert build(base, "-f", "md", "--paper", "A4", "-o", "elsewhere", "--stale-years", "1.5").exit_code == 0
    second = requests[1]
    assert (second.formats, second.paper, second.output, second.stale_years) == (("md",), "A4", Path("elsewhere"), 1.5)
    assert second.author == "Desk"


def test_stale_years_from_the_config_reaches_check(base, tmp_path):
    add_stale_case(base)  # a value seven years newer than the economic brief's, which it does not carry
    assert "warning: stale figure" in run("--facts", base, "check").stdout
    write_config(tmp_path, "[briefgen]\nstale_years = 50\n")
    result = run("--facts", base, "check")
    assert result.exit_code == 0
    assert "stale figure" not in result.stdout
    assert "warning: stale figure" in run("--facts", base, "check", "--stale-years", "7").stdout
    assert "stale figure" not in run("--facts", base, "check", "--stale-years", "8").stdout


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1"])
def test_stale_years_must_be_finite_and_not_negative(base, tmp_path, value):
    for command in ("check", "build"):
        result = run("--facts", base, command, "--stale-years", value)
        assert result.exit_code == 2, result.output
        assert "--stale-years must be a finite number of years, 0 or more" in result.stderr
    write_config(tmp_path, f"[briefgen]\nstale_years = {value}\n")
    result = run("--facts", base, "check")
    assert result.exit_code == 2
    assert "briefgen.toml: 'stale_years' must be a finite number of years, 0 or more" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('briefgen = "x"', "[briefgen] must be a table of settings, not str"),
        ("[briefgen]\nfacts = 5", "'facts' must be a path (text)"),
        ("[briefgen]\ntemplates = ''", "'templates' must be a path (text)"),
        ("[briefgen]\nmarking = 5", "'marking' must be text"),
        ("[briefgen]\nauthor = ['a']", "'author' must be text"),
        ("[briefgen]\nformats = 'md'", "'formats' must be a list drawn from md, pdf"),
        ("[briefgen]\nformats = ['md', 'docx']", "'formats' has unknown format 'docx' (known: md, pdf, html)"),
        ("[briefgen]\npaper = 'A3'", "'paper' must be one of A4, Letter, not 'A3'"),
        ("[briefgen]\narchival = 'yes'", "'archival' must be true or false"),
        ("[briefgen]\nstale_years = true", "'stale_years' must be a finite number of years"),
        ("[briefgen]\nstale_yaers = 3", "unknown setting(s) stale_yaers"),
    ],
)
def test_config_keys_of_the_wrong_type_are_usage_errors(base, tmp_path, text, message):
    write_config(tmp_path, text + "\n")
    result = run("--facts", base, "check")
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_option_values_pass_the_same_validation(base):
    result = run("--facts", base, "build", "-a", "economic", "-f", "docx")
    assert result.exit_code == 2
    assert "--format has unknown format 'docx'" in result.stderr
    result = run("--facts", base, "build", "-a", "economic", "--paper", "A3")
    assert result.exit_code == 2
    assert "--paper must be one of A4, Letter, not 'A3'" in result.stderr


def test_config_paths_are_relative_to_the_config_file(tmp_path):
    (tmp_path / "conf").mkdir()
    path = write_config(tmp_path / "conf", "[briefgen]\nfacts = 'base'\ntemplates = 'tpl'\n")
    settings = load_settings(path)
    assert (settings.facts, settings.templates) == (tmp_path / "conf" / "base", tmp_path / "conf" / "tpl")
    merged = settings.merged({"facts": Path("other"), "templates": None})
    assert (merged.facts, merged.templates) == (Path("other"), tmp_path / "conf" / "tpl")


def test_merged_refuses_what_the_config_refuses():
    with pytest.raises(UsageError, match="--stale-years must be a finite number"):
        Settings().merged({"stale_years": float("nan")})
    with pytest.raises(UsageError, match="--archival must be true or false"):
        Settings().merged({"archival": "no"})
