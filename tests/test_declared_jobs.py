"""Declared forecast jobs (`tsattn forecast --job x.yaml`): validation first, database in and out.

Each database test runs on a SQLite file and on a real PostgreSQL server (tests/postgres_server.py)
through the same SQLAlchemy path; rows are keyed by (series, target time, forecast origin), so a
rerun replaces and a failed write leaves the table as it was.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy
import yaml
from synthetic import panel_frame

from tsattn import ConfigError, Forecaster
from tsattn.errors import TsattnError
from tsattn.forecast_job import run_forecast_job
from tsattn.job_spec import load_job
from tsattn.sql_io import DatabaseError

HORIZON = 4


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = panel_frame(n_series=2, n=80)
    fc = Forecaster(target="y", time_col="time", id_col="id", lookback=12, horizon=HORIZON,
                    hidden_size=8, max_epochs=1, enable_progress_bar=False, accelerator="cpu")
    return fc.fit(frame).save(tmp_path_factory.mktemp("job-model") / "model")  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database holding the panel's history in table `history`."""
    if request.param == "sqlite":
        return _with_history(f"sqlite:///{tmp_path / 'warehouse.db'}")
    return _with_history(request.getfixturevalue("postgres_url"))


@pytest.fixture
def sqlite_database(tmp_path: Path) -> str:
    """The same on SQLite only, for the CLI test (the database path is shared code)."""
    return _with_history(f"sqlite:///{tmp_path / 'warehouse.db'}")


def _with_history(url: str) -> str:
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        panel_frame(n_series=2, n=80).to_sql("history", connection, index=False)
    engine.dispose()
    return url


def _execute(url: str, *statements: str) -> None:
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(sqlalchemy.text(statement))
    engine.dispose()


def _job(tmp_path: Path, model_dir: Path, url: str, **changes: Any) -> Path:
    spec: dict[str, Any] = {
        "name": "panel-hourly",
        "schedule": "15 * * * *  (cron: every hour at :15)",
        "model": str(model_dir),
        "input": {"sql": "SELECT * FROM history WHERE time <= :until", "url": url},
        "output": {"table": "forecasts", "url": url},
        "tracking": {"enabled": False},
    }
    spec.update(changes)
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def _rows(url: str) -> pd.DataFrame:
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as connection:
        rows = pd.read_sql(
            "SELECT * FROM forecasts ORDER BY id, time, forecast_origin", connection
        )
    engine.dispose()
    return rows.assign(**{name: pd.to_datetime(rows[name])  # SQLite hands back strings
                          for name in ("time", "forecast_origin", "written_at")})


def test_unknown_keys_and_mixed_sources_are_named_before_anything_runs(
    tmp_path: Path, model_dir: Path, database: str
) -> None:
    bad = _job(tmp_path, model_dir, database, shedule="daily")
    with pytest.raises(ConfigError, match=r"(?s)job\.yaml.*unknown key 'shedule'"):
        load_job(bad)
    mixed = _job(tmp_path, model_dir, database, input={"path": "h.csv", "sql": "SELECT 1"})
    with pytest.raises(ConfigError, match=r"(?s)'input'.*either path .* or sql"):
        load_job(mixed)
    no_url = _job(tmp_path, model_dir, database, output={"table": "forecasts"})
    with pytest.raises(ConfigError, match=r"(?s)'output'.*table needs url"):
        load_job(no_url)


def test_a_rerun_of_the_same_origin_replaces_its_rows_and_a_new_origin_adds_rows(
    tmp_path: Path, model_dir: Path, database: str
) -> None:
    query = "SELECT * FROM history WHERE time < '2024-01-03 12:00:01'"  # any dialect
    spec = load_job(_job(tmp_path, model_dir, database, input={"sql": query, "url": database}))
    first = run_forecast_job(spec)
    assert (first.rows, first.series) == (2 * HORIZON, 2)
    written = _rows(database)
    assert len(written) == 2 * HORIZON
    assert set(written["forecast_origin"]) == {pd.Timestamp("2024-01-03 12:00")}
    run_forecast_job(spec)  # the same origin again: replaced, never duplicated
    again = _rows(database)
    assert len(again) == 2 * HORIZON
    assert (again["written_at"] >= written["written_at"]).all()
    later = "SELECT * FROM history WHERE time < '2024-01-03 16:00:01'"
    run_forecast_job(load_job(_job(tmp_path, model_dir, database,
                                   input={"sql": later, "url": database})))  # fmt: skip
    both = _rows(database)
    assert len(both) == 4 * HORIZON and both["forecast_origin"].nunique() == 2
    assert not both.duplicated(["id", "time", "forecast_origin"]).any()


_REJECT = {
    "sqlite": ["CREATE TRIGGER reject BEFORE INSERT ON forecasts "
               "BEGIN SELECT RAISE(ABORT, 'rows need approval'); END"],
    "postgresql": [
        "CREATE FUNCTION reject() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'rows need approval'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER reject BEFORE INSERT ON forecasts FOR EACH ROW EXECUTE FUNCTION reject()",
    ],
}  # fmt: skip


def test_a_write_that_fails_midway_rolls_back_and_leaves_the_table_as_it_was(
    tmp_path: Path, model_dir: Path, database: str
) -> None:
    query = "SELECT * FROM history"
    spec = load_job(_job(tmp_path, model_dir, database, input={"sql": query, "url": database}))
    run_forecast_job(spec)
    before = _rows(database)
    # The old rows are deleted, then every insert is rejected: all of it must roll back.
    _execute(database, *_REJECT[database.split(":")[0]])
    with pytest.raises(DatabaseError, match="rolled back.*rows need approval"):
        run_forecast_job(spec)
    pd.testing.assert_frame_equal(_rows(database), before)


def test_a_connection_lost_mid_write_leaves_the_table_as_it_was(
    tmp_path: Path, model_dir: Path, postgres_url: str
) -> None:
    """The server ends the job's session after the delete, as a crash or a restart would."""
    _with_history(postgres_url)
    spec = load_job(_job(tmp_path, model_dir, postgres_url,
                         input={"sql": "SELECT * FROM history", "url": postgres_url}))  # fmt: skip
    run_forecast_job(spec)
    before = _rows(postgres_url)
    _execute(
        postgres_url,
        "CREATE FUNCTION vanish() RETURNS trigger AS $$ BEGIN "
        "PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER vanish BEFORE INSERT ON forecasts FOR EACH ROW EXECUTE FUNCTION vanish()",
    )
    with pytest.raises(DatabaseError, match="rolled back"):
        run_forecast_job(spec)
    pd.testing.assert_frame_equal(_rows(postgres_url), before)


def test_the_cli_runs_a_declared_job_and_exits_2_on_bad_input(
    tmp_path: Path, model_dir: Path, sqlite_database: str
) -> None:
    job = _job(tmp_path, model_dir, sqlite_database,
               input={"sql": "SELECT * FROM history", "url": sqlite_database})  # fmt: skip
    ok = subprocess.run([sys.executable, "-m", "tsattn", "forecast", "--job", str(job)],
                        capture_output=True, text=True, cwd=tmp_path, timeout=300)  # fmt: skip
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert f"wrote {2 * HORIZON} forecast rows for 2 series to table 'forecasts'" in ok.stdout
    before = _rows(sqlite_database)
    no_target = {"sql": "SELECT id, time FROM history", "url": sqlite_database}
    broken = _job(tmp_path, model_dir, sqlite_database, input=no_target)
    failed = subprocess.run([sys.executable, "-m", "tsattn", "forecast", "--job", str(broken)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)  # fmt: skip
    assert failed.returncode == 2 and "'y'" in failed.stderr + failed.stdout
    pd.testing.assert_frame_equal(_rows(sqlite_database), before)
    mixed = subprocess.run(
        [sys.executable, "-m", "tsattn", "forecast", "--job", str(job), "--model", "m"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert mixed.returncode == 2 and "drop ['--model']" in mixed.stderr + mixed.stdout


@pytest.mark.parametrize("path", sorted((Path(__file__).parents[1] / "pipelines").glob("*.yaml")))
def test_the_shipped_example_jobs_validate(path: Path) -> None:
    spec = load_job(path)
    assert spec.name and spec.schedule and spec.model.startswith("models:/")


def test_monitoring_scores_earlier_origins_once_their_actuals_arrive_and_flags_drift(
    tmp_path: Path, model_dir: Path, sqlite_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    url, origin = sqlite_database, pd.Timestamp("2024-01-03 12:00")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)

    def job(until: str, **monitoring: float) -> Any:
        query = f"SELECT * FROM history WHERE time < '{until}'"
        return load_job(_job(tmp_path, model_dir, url, input={"sql": query, "url": url},
                             tracking={"experiment": "monitor"}, monitoring=monitoring))

    first = run_forecast_job(job("2024-01-03 12:00:01", max_mae=10.0))
    assert first.scores is None and first.drift is None  # nothing matured yet
    earlier = _rows(url)
    later = run_forecast_job(job("2024-01-03 16:00:01", max_mae=1e-6, max_mase=100.0))
    assert later.scores is not None
    per_origin = later.scores.per_origin
    assert per_origin["forecast_origin"].tolist() == [origin]
    # By hand: the stored forecasts of that origin against the actuals that have arrived.
    panel = panel_frame(n_series=2, n=80)
    joined = earlier.merge(panel, on=["id", "time"], suffixes=("", "_actual"))
    assert len(joined) == 2 * HORIZON
    expected_mae = (joined["y"] - joined["y_actual"]).abs().groupby(joined["id"]).mean().mean()
    assert per_origin["mae"].iloc[0] == pytest.approx(expected_mae, rel=1e-9)
    known = panel[panel["time"] <= origin]
    naive = known.groupby("id")["y"].apply(lambda y: y.diff().abs().mean())
    mae_by_series = (joined["y"] - joined["y_actual"]).abs().groupby(joined["id"]).mean()
    assert per_origin["mase"].iloc[0] == pytest.approx((mae_by_series / naive).mean(), rel=1e-9)
    assert later.drift is not None and "mae" in later.drift and "mase" not in later.drift
    run = mlflow.MlflowClient().get_run(later.run_id)
    assert run.data.tags["tsattn.drift"] == "true"
    (point,) = mlflow.MlflowClient().get_metric_history(later.run_id, "monitor_mae")
    assert point.timestamp == int(origin.timestamp() * 1000) and point.value > 0
    # The CLI says so with its documented exit code, after writing the forecast.
    done = subprocess.run([sys.executable, "-m", "tsattn", "forecast", "--job",
                           str(tmp_path / "job.yaml"), "--no-track"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)  # fmt: skip
    assert done.returncode == 3 and "drift" in done.stdout, done.stderr[-2000:]


def test_monitoring_needs_a_table_output(tmp_path: Path, model_dir: Path, sqlite_database: str
                                         ) -> None:
    path = _job(tmp_path, model_dir, sqlite_database, output={"path": "forecast.csv"},
                monitoring={"max_mase": 1.5})  # fmt: skip
    with pytest.raises(ConfigError, match="only a table output keeps"):
        load_job(path)


@pytest.fixture(scope="module")
def calibrated_model_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The job's model, calibrated at 80 % on other series of the same kind (held out)."""
    fc = Forecaster.load(model_dir).calibrate(panel_frame(n_series=2, n=80, seed=1), levels=[0.8])
    return fc.save(tmp_path_factory.mktemp("calibrated") / "model")


def test_a_job_writes_calibrated_bounds_and_monitors_their_coverage_and_width(
    tmp_path: Path, calibrated_model_dir: Path, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    url = database
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)

    def job(until: str) -> Any:
        query = f"SELECT * FROM history WHERE time < '{until}'"
        return load_job(_job(tmp_path, calibrated_model_dir, url, levels=[0.8],
                             input={"sql": query, "url": url}, tracking={"experiment": "bands"},
                             monitoring={"max_mase": 100.0}))  # fmt: skip

    run_forecast_job(job("2024-01-03 12:00:01"))
    earlier = _rows(url)
    assert (earlier["y_lo_80"] < earlier["y"]).all() and (earlier["y"] < earlier["y_hi_80"]).all()
    later = run_forecast_job(job("2024-01-03 16:00:01"))
    assert later.scores is not None
    joined = earlier.merge(panel_frame(n_series=2, n=80), on=["id", "time"],
                           suffixes=("", "_actual"))  # fmt: skip
    inside = (joined["y_actual"] >= joined["y_lo_80"]) & (joined["y_actual"] <= joined["y_hi_80"])
    width = joined["y_hi_80"] - joined["y_lo_80"]
    newest = later.scores.per_origin.iloc[0]
    assert newest["coverage_80"] == pytest.approx(inside.groupby(joined["id"]).mean().mean())
    assert newest["width_80"] == pytest.approx(width.groupby(joined["id"]).mean().mean())
    client = mlflow.MlflowClient()
    assert [p.value for p in client.get_metric_history(later.run_id, "monitor_width_80")] == [
        pytest.approx(newest["width_80"])
    ]
    assert client.get_run(later.run_id).data.params["levels"] == "0.8"


def test_levels_the_model_was_not_calibrated_for_stop_the_job_before_it_reads(
    tmp_path: Path, model_dir: Path, calibrated_model_dir: Path, sqlite_database: str
) -> None:
    missing_table = {"sql": "SELECT * FROM no_such_table", "url": sqlite_database}
    for model, message in [(model_dir, r"needs a calibrated model: call calibrate"),
                           (calibrated_model_dir, r"level 0.95 was not calibrated.*\['0.8'\]")]:
        spec = load_job(_job(tmp_path, model, sqlite_database, levels=[0.8, 0.95],
                             input=missing_table))  # fmt: skip
        with pytest.raises(ConfigError if model == calibrated_model_dir else TsattnError,
                           match=message):  # fmt: skip
            run_forecast_job(spec)
    with pytest.raises(ConfigError, match=r"levels.*strictly between 0 and 1.*\[80.0\]"):
        load_job(_job(tmp_path, model_dir, sqlite_database, levels=[80]))
