"""Everything that must fail (or be decided) before a single trial runs: space, flags, storage."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import optuna
import pytest
import typer
from tuning_helpers import write_config
from typer.testing import CliRunner

from tsattn.config import ExperimentConfig
from tsattn.errors import ConfigError, TrackingError
from tsattn.tuning import StudyStorageError, suggest, tune_job, tune_settings
from tsattn.tuning.cli import tune_command
from tsattn.tuning.hardware import plan_workers


def _experiment(values: dict[str, Any]) -> ExperimentConfig:
    return ExperimentConfig.model_validate(values)


def test_valid_space_is_parsed_and_sampled(make_config: Any) -> None:
    settings = tune_settings(_experiment(make_config()))
    params = suggest(
        optuna.trial.FixedTrial({"learning_rate": 0.01, "cell": "gru", "hidden_size": 6}), settings
    )
    assert params == {"learning_rate": 0.01, "cell": "gru", "hidden_size": 6}
    assert settings.stale_after == 3


def _int(low: int, high: int) -> dict[str, Any]:
    return {"type": "int", "low": low, "high": high}


BAD_SPACES = [
    ({"hiden_size": _int(4, 8)}, r"unknown key 'tune\.space\.hiden_size'"),
    ({"hidden_size": _int(8, 4)}, r"tune\.space\.hidden_size.*low must be below high"),
    (
        {"learning_rate": {"type": "float", "low": 0.0, "high": 0.1, "log": True}},
        r"tune\.space\.learning_rate.*log range needs low > 0",
    ),
    ({"cell": {"type": "categorical", "choices": []}}, r"tune\.space\.cell\.choices"),
    (
        {"cell": {"type": "categorical", "choices": ["lstm", "rnn"]}},
        r"'tune\.space\.cell\.choices\.1' = 'rnn' is not a valid forecaster\.cell",
    ),
    (
        {"dropout": {"type": "float", "low": 0.0, "high": 1.5}},
        r"'tune\.space\.dropout\.high' = 1\.5 is not a valid forecaster\.dropout",
    ),
    ({"horizon": _int(1, 4)}, r"'tune\.space\.horizon' cannot be tuned"),
    ({"cell": {"type": "choice"}}, r"'tune\.space\.cell' must be a mapping with type"),
    ({}, r"tune\.space.*search space is empty"),
]


@pytest.mark.parametrize(("space", "message"), BAD_SPACES)
def test_bad_search_space_is_a_clear_error_naming_the_key(
    make_config: Any, space: dict[str, Any], message: str
) -> None:
    values = make_config(space=space, enqueue=[])
    with pytest.raises(ConfigError, match=message):
        tune_settings(_experiment(values))


def test_bad_space_fails_before_any_storage_or_worker_exists(
    make_config: Any, tmp_path: Path
) -> None:
    values = make_config(space={"hidden_size": {"type": "int", "low": 8, "high": 4}})
    with pytest.raises(ConfigError, match="tune.space.hidden_size"):
        tune_job(_experiment(values), trials=2, workers=2, track=False)
    assert not (tmp_path / "outputs").exists()


def test_missing_tune_section_and_split_are_named(make_config: Any) -> None:
    values = make_config()
    with pytest.raises(ConfigError, match="no 'tune:' section"):
        tune_settings(_experiment({**values, "tune": None}))
    no_split = {**values, "data": {"path": values["data"]["path"]}}
    with pytest.raises(ConfigError, match="data.split"):
        tune_settings(_experiment(no_split))


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////proc/no-such-dir/study.db",  # unwritable, not creatable
        "postgresql://tuner:secret@127.0.0.1:1/optuna",  # nothing listens (or no driver)
        "/just/a/path.db",  # not a URL
    ],
)
def test_unreachable_storage_fails_before_workers_start(
    make_config: Any, tmp_path: Path, url: str
) -> None:
    with pytest.raises(StudyStorageError, match=r"storage") as caught:
        tune_job(_experiment(make_config()), trials=2, workers=2, storage=url, track=False)
    assert "secret" not in str(caught.value)  # passwords never reach the console
    assert not (tmp_path / "outputs" / "tiny" / "tune").exists()  # no worker was started


def test_worker_flags_split_cores_or_pin_gpus(make_config: Any) -> None:
    fc = _experiment(make_config()).forecaster
    cpu = plan_workers(fc, workers=2, gpus=None, cores=[0, 1, 2, 3])
    assert [(s.accelerator, s.devices, s.threads, s.cpus) for s in cpu] == [
        ("cpu", 1, 2, [0, 1]),
        ("cpu", 1, 2, [2, 3]),
    ]
    assert cpu[0].env["OMP_NUM_THREADS"] == "2" and cpu[0].env["CUDA_VISIBLE_DEVICES"] == ""
    more_workers_than_cores = plan_workers(fc, workers=3, gpus=None, cores=[0, 1])
    assert {s.threads for s in more_workers_than_cores} == {1}
    auto = fc.model_copy(update={"accelerator": "auto"})
    gpus = plan_workers(auto, workers=None, gpus=[2, 5], cores=[0, 1, 2, 3])
    assert [(s.env["CUDA_VISIBLE_DEVICES"], s.accelerator, s.devices) for s in gpus] == [
        ("2", "gpu", 1),
        ("5", "gpu", 1),
    ]
    with pytest.raises(ConfigError, match="not both"):
        plan_workers(fc, workers=2, gpus=[0])
    with pytest.raises(ConfigError, match=r"forecaster\.accelerator='cpu'"):
        plan_workers(fc, workers=None, gpus=[0])


def test_cli_reports_config_errors_without_a_traceback(make_config: Any, tmp_path: Path) -> None:
    values = make_config(space={"hiden_size": {"type": "int", "low": 4, "high": 8}})
    path = write_config(tmp_path / "bad.yaml", values)
    app = typer.Typer()
    app.command()(tune_command)
    result = CliRunner().invoke(app, ["--config", str(path), "--trials", "2", "--no-track"])
    assert result.exit_code == 2
    assert "unknown key 'tune.space.hiden_size'" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_unreachable_tracking_server_fails_before_workers_start(
    make_config: Any, tmp_path: Path
) -> None:
    with socket.socket() as sock:  # a loopback port where nothing listens
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(TrackingError, match="unreachable"):
        tune_job(_experiment(make_config(tracking_uri=dead)), trials=2, workers=2, track=True)
    assert not (tmp_path / "outputs" / "tiny" / "tune").exists()


def test_cli_interrupted_says_how_to_continue_and_exits_130(
    make_config: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("tsattn.tuning.job.tune_job", interrupted)
    path = write_config(tmp_path / "tune.yaml", make_config())
    app = typer.Typer()
    app.command()(tune_command)
    result = CliRunner().invoke(app, ["--config", str(path), "--trials", "2", "--no-track"])
    assert result.exit_code == 130
    assert "interrupted: run the same command again to continue the study" in result.output
    assert "Traceback" not in result.output
