"""DAGSTER_HOME is installed with the project's instance settings, and its storage exists before servers start."""

from pathlib import Path

import pytest

from pipelines.dagster_home import INSTANCE_CONFIG, create_instance_storage, install_dagster_home


def test_install_writes_the_project_settings_and_storage_is_created_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    assert install_dagster_home() == home
    assert (home / "dagster.yaml").read_bytes() == INSTANCE_CONFIG.read_bytes()
    assert not (home / "history").exists()
    create_instance_storage()
    created = {p.relative_to(home).as_posix() for p in home.rglob("*.db")}
    assert {"history/runs.db", "schedules/schedules.db"} <= created
    create_instance_storage()  # a second call (the next `make run`) finds it as it is
