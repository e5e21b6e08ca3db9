"""The docs stay true (in the manner of sqlite-utils' test_docs.py).

* every command and every option of ``kpi-addin --help`` is documented in the README;
* every ``kpi-addin`` command in the README's shell examples runs and exits 0, on the
  files it names (stood in for by the test fixtures of the same layout);
* the links between the docs resolve.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kpi_addin.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXPORTS = ROOT / "tests" / "fixtures" / "exports"

#: The files the README's examples name → the fixture that stands in for each.
EXAMPLE_FILES = {
    "stripe_subscriptions.csv": EXPORTS / "stripe_subscriptions.csv",
    "ga4_users.csv": EXPORTS / "ga4_users_by_month.csv",
    "recurly.csv": EXPORTS / "recurly_subscriptions.csv",
    "billing.csv": EXPORTS / "in_house_billing.csv",
    "billing.map.toml": EXPORTS / "in_house_billing.map.toml",
    "stripe_invoices.csv": EXPORTS / "stripe_invoices.csv",
    "profit_and_loss.csv": EXPORTS / "quickbooks_profit_and_loss.csv",
    "accounts_map.toml": ROOT / "kpi_addin" / "sample_data" / "accounts_map.example.toml",
    "hubspot_contacts.csv": EXPORTS / "hubspot_contacts.csv",
}


def commands() -> list[tuple[str, click.Command]]:
    assert isinstance(cli, click.Group)
    return sorted(cli.commands.items())


def options() -> list[tuple[str, str]]:
    found = []
    for name, command in commands():
        for param in command.params:
            if isinstance(param, click.Option):
                found += [(name, flag) for flag in param.opts if flag.startswith("--")]
    return found


@pytest.mark.parametrize(("name", "_command"), commands())
def test_every_command_is_documented(name, _command):
    assert f"kpi-addin {name}" in README, f"README: document the command `kpi-addin {name}`"


@pytest.mark.parametrize(("command", "flag"), options())
def test_every_option_is_documented(command, flag):
    assert re.search(re.escape(flag) + r"(?![\w-])", README), f"README: document `kpi-addin {command} {flag}`"


def readme_commands() -> list[str]:
    """Every ``kpi-addin ...`` line of the README's ```bash blocks."""
    found = []
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            for part in line.split("&&"):
                part = part.strip()
                if part.startswith("kpi-addin "):
                    found.append(part)
    return found


def test_the_readme_has_examples():
    assert len(readme_commands()) >= 4


@pytest.mark.parametrize("command", readme_commands())
def test_every_readme_example_runs(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = shlex.split(command)[1:]
    if any(a.startswith("examples/") for a in args):  # runs as written, on the files the repository ships
        shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for name, source in EXAMPLE_FILES.items():
        if name in args:
            shutil.copy(source, tmp_path / name)
    if "finance.xlsx" in args:
        assert CliRunner().invoke(cli, ["sample", "--out", "s"]).exit_code == 0
        shutil.copy(tmp_path / "s" / "kpi_input.xlsx", tmp_path / "finance.xlsx")
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, f"`{command}` failed:\n{result.output}"


def test_the_shipped_example_exports_are_the_hand_worked_fixtures():
    # examples/exports holds the README's one-command example; each file is the fixture of
    # the same layout that the tests work out by hand, byte for byte
    shipped = ROOT / "examples" / "exports"
    pairs = {
        "stripe_invoices.csv": EXPORTS / "stripe_invoices.csv",
        "profit_and_loss.csv": EXPORTS / "quickbooks_profit_and_loss.csv",
        "balance_sheet.csv": EXPORTS / "quickbooks_balance_sheet.csv",
        "accounts_map.toml": ROOT / "kpi_addin" / "sample_data" / "accounts_map.example.toml",
        "hubspot_contacts.csv": EXPORTS / "hubspot_contacts.csv",
        "ga4_users.csv": EXPORTS / "ga4_users_by_month.csv",
    }
    assert sorted(p.name for p in shipped.iterdir()) == sorted(pairs)
    for name, fixture in pairs.items():
        assert (shipped / name).read_bytes() == fixture.read_bytes(), name


def test_links_between_docs_resolve():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (doc.parent / target).exists(), f"{doc.name}: broken link to {target}"
