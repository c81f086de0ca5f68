"""Settings: each declared once (server/settings.py), read with clear errors, listed by `fairfinder settings`."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import main
from server.errors import FairfinderError
from server.settings import Settings, SettingsError, declared, load_settings, settings_table

DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_each_variable_is_declared_once_and_sets_a_field() -> None:
    names = [item.env.name for item in declared()]
    assert len(names) == len(set(names)) and len(names) >= 40
    fields = set(Settings.__struct_fields__)
    assert all(item.field in fields for item in declared())


def test_defaults_match_what_the_server_always_used(tmp_path: Path) -> None:
    settings = load_settings({"FAIRFINDER_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'fairfinder.db'}"
    assert (settings.host, settings.port, settings.log_level) == ("127.0.0.1", 8000, "INFO")
    assert settings.scheduler_enabled and settings.rate_limits_enabled and not settings.enable_bench_routes
    assert (settings.sync_refresh_rows, settings.rate_limit_store, settings.rate_limit_register) == (1000, "memory",
                                                                                                     (20, 3600.0))
    assert (settings.cache_ttl_seconds, settings.backup_keep, settings.backup_dir) == (30.0, 7, None)
    assert (tmp_path / "secret").read_text().strip() == settings.secret and len(settings.secret) > 40


@pytest.mark.parametrize(("variable", "value", "allowed"), [
    ("FAIRFINDER_PORT", "abc", "a whole number from 1 to 65535"),
    ("FAIRFINDER_PORT", "70000", "a whole number from 1 to 65535"),
    ("FAIRFINDER_CACHE_TTL", "nan", "a number at least 0"),
    ("FAIRFINDER_SCHEDULER", "maybe", "on or off"),
    ("FAIRFINDER_LOG_LEVEL", "loud", "DEBUG or INFO or WARNING or ERROR or CRITICAL"),
    ("FAIRFINDER_BACKUP_KEEP", "0", "a whole number at least 1"),
])
def test_a_bad_value_names_the_variable_the_value_and_what_is_allowed(tmp_path: Path, variable: str, value: str,
                                                                      allowed: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"FAIRFINDER_DATA_DIR": str(tmp_path), variable: value})
    assert str(caught.value).startswith(f"{variable}: {value!r} is not allowed; expected {allowed}")
    assert isinstance(caught.value, FairfinderError) and not (tmp_path / "secret").exists()


def test_names_are_matched_without_regard_to_case(tmp_path: Path) -> None:
    settings = load_settings({"FAIRFINDER_DATA_DIR": str(tmp_path), "FAIRFINDER_LOG_LEVEL": "warning",
                              "FAIRFINDER_SCHEDULER": "OFF", "FAIRFINDER_SYNC_REFRESH_ROWS": "0"})
    assert (settings.log_level, settings.scheduler_enabled) == ("WARNING", False)


def test_the_cli_refuses_a_bad_setting_in_words_without_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["migrate"], env={"FAIRFINDER_DATA_DIR": str(tmp_path), "FAIRFINDER_PORT": "abc"})
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "FAIRFINDER_PORT: 'abc' is not allowed; expected a whole number from 1 to 65535." in text
    assert "Traceback" not in result.output and not (tmp_path / "fairfinder.db").exists()


def test_fairfinder_settings_lists_every_variable_and_docs_show_the_same_table() -> None:
    result = CliRunner().invoke(main, ["settings"])
    assert result.exit_code == 0
    for item in declared():
        assert re.search(rf"^{item.env.name}$", result.output, re.M)
    table = DOCS.read_text(encoding="utf-8").split("-->\n", 1)[1].split("<!-- end", 1)[0]
    assert table == settings_table(markdown=True), "docs/settings.md is stale: fairfinder settings --markdown"
