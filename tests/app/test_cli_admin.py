"""`tomobench db` and `tomobench users` on a fresh embedded data folder."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from app.cli.db import db
from app.cli.users import users


def _env(data_dir: Path) -> dict[str, str]:
    return {"TOMOBENCH_DATA_DIR": str(data_dir), "TOMOBENCH_DATABASE_URL": ""}


def test_db_upgrade_then_current(tmp_path: Path) -> None:
    runner = CliRunner()
    data_dir = tmp_path / "data"
    missing = runner.invoke(db, ["current", "--data-dir", str(data_dir)], env=_env(data_dir))
    assert missing.exit_code == 1
    assert "cannot reach the database" in missing.output
    data_dir.mkdir()
    before = runner.invoke(db, ["current", "--data-dir", str(data_dir)], env=_env(data_dir))
    assert before.exit_code == 0
    assert before.output.strip() == "none"
    upgraded = runner.invoke(db, ["upgrade"], env=_env(data_dir))
    assert upgraded.exit_code == 0, upgraded.output
    assert (data_dir / "tomobench.sqlite").is_file()
    head = upgraded.output.strip().rsplit(" ", 1)[-1]
    current = runner.invoke(db, ["current"], env=_env(data_dir))
    assert current.output.strip() == head
    again = runner.invoke(db, ["upgrade"], env=_env(data_dir))  # idempotent
    assert again.exit_code == 0


def test_db_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    unknown = runner.invoke(db, ["upgrade", "--revision", "nope"], env=_env(tmp_path))
    assert unknown.exit_code == 1
    assert "Error:" in unknown.output
    assert "Traceback" not in unknown.output
    env = {**_env(tmp_path), "TOMOBENCH_DATABASE_URL": "postgresql+psycopg://x@127.0.0.1:9/none"}
    unreachable = runner.invoke(db, ["upgrade"], env=env)
    assert unreachable.exit_code == 1
    assert "cannot reach the database" in unreachable.output


def test_users_create_list_and_set_role(tmp_path: Path) -> None:
    runner = CliRunner()
    env = _env(tmp_path)
    assert runner.invoke(db, ["upgrade"], env=env).exit_code == 0
    created = runner.invoke(
        users,
        ["create", "olga", "olga@example.org", "--password-stdin"],
        env=env,
        input="long enough pw\n",
    )
    assert created.exit_code == 0, created.output
    assert "created participant olga" in created.output
    duplicate = runner.invoke(
        users,
        ["create", "olga", "o2@example.org", "--password-stdin"],
        env=env,
        input="long enough pw\n",
    )
    assert duplicate.exit_code == 1
    assert "already registered" in duplicate.output
    short = runner.invoke(
        users, ["create", "pat", "p@example.org", "--password-stdin"], env=env, input="x\n"
    )
    assert short.exit_code == 1
    assert "password" in short.output
    promoted = runner.invoke(users, ["set-role", "olga", "organizer"], env=env)
    assert promoted.output.strip() == "olga is now organizer"
    listed = runner.invoke(users, ["list"], env=env).output.split("\t")
    assert listed[1:3] == ["olga", "organizer"]
    missing = runner.invoke(users, ["set-role", "nobody", "admin"], env=env)
    assert missing.exit_code == 1
    assert "no user named 'nobody'" in missing.output
