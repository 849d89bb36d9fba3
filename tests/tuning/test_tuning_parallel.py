"""Two CPU worker processes share one study: counts, pruning, resume, MLflow and the registry."""

from __future__ import annotations

import os
from typing import Any

import pytest
from mlflow.tracking import MlflowClient
from tuning_helpers import states, study_trials, tiny_frame

from tsattn import Forecaster
from tsattn.config import ExperimentConfig
from tsattn.tuning import tune_job

pytestmark = pytest.mark.slow


_EXPERIMENT = "tuning-parallel"


def _runs(client: MlflowClient, experiment: str) -> tuple[list[Any], list[Any], list[Any]]:
    """(study parent runs, trial runs, best-model runs) of the test experiment."""
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    role = {r.info.run_id: r.data.tags.get("tsattn.role") for r in runs}
    parents = [r for r in runs if role[r.info.run_id] == "study"]
    trials = [r for r in runs if role[r.info.run_id] == "trial"]
    best = [r for r in runs if role[r.info.run_id] == "best"]
    return parents, trials, best


def test_two_workers_share_one_study_prune_resume_and_register(
    make_config: Any, mlflow_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = make_config(tracking_uri=mlflow_server)
    # its own experiment and registered model: the counts below hold whatever ran before it
    values["tracking"].update(experiment=_EXPERIMENT, register_as="tiny-tuned-parallel")
    config = ExperimentConfig.model_validate(values)
    seen: list[Any] = []

    result = tune_job(config, trials=6, workers=2, track=True, on_progress=seen.append)

    storage = f"sqlite:///{config.output_dir.resolve() / 'tiny' / 'study.db'}"
    assert result.storage == storage
    trials = study_trials(storage)
    counts = states(trials)
    # Two workers that count at the same moment may each start one more (study.py's rule).
    finished = counts.get("COMPLETE", 0) + counts.get("PRUNED", 0)
    assert 6 <= finished <= 7, counts
    assert counts.get("PRUNED", 0) >= 1, counts  # the hopeless enqueued configs are pruned
    assert counts.get("RUNNING", 0) == 0
    pids = {t.user_attrs["worker_pid"] for t in trials}
    assert len(pids) == 2 and os.getpid() not in pids  # both processes, neither is us
    assert seen and seen[-1].finished == finished  # live progress reached the end

    client = MlflowClient(mlflow_server)
    parents, trial_runs, best_runs = _runs(client, _EXPERIMENT)
    assert len(parents) == 1 and parents[0].info.run_id == result.mlflow_run_id
    assert sorted(int(r.data.tags["optuna.trial"]) for r in trial_runs) == [
        t.number for t in trials
    ]
    by_number = {t.number: t for t in trials}
    for run in trial_runs:
        trial = by_number[int(run.data.tags["optuna.trial"])]
        assert run.data.tags["mlflow.parentRunId"] == result.mlflow_run_id
        assert run.data.tags["optuna.state"] == trial.state.name
        assert run.info.status == "FINISHED"
        assert run.data.params["optuna.cell"] == trial.params["cell"]
        assert run.data.params["cell"] == trial.params["cell"]
        # "auto" settings are logged as what trained (RevIN on, one channel, horizon 2 leaves
        # room only for single-step queries), as a tracked fit logs them
        params = run.data.params
        assert (params["revin"], params["channel_independent"], params["segment_length"]) == (
            "True", "True", "1"
        )
        assert params["loss"] == "mse"
        history = client.get_metric_history(run.info.run_id, "val_loss")
        assert [m.step for m in history] == sorted(trial.intermediate_values)
    assert (
        len(best_runs) == 1
        and best_runs[0].data.tags["mlflow.parentRunId"] == parents[0].info.run_id
    )

    best = result.best
    assert best is not None and best.model_uri == "models:/tiny-tuned-parallel@champion"
    assert best.run_id == best_runs[0].info.run_id
    interpretation = client.list_artifacts(best.run_id, "interpretation")
    assert interpretation, "the best model's attention interpretation was not logged"
    assert best.trial == result.progress.best_number
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)  # where a user would point it
    loaded = Forecaster.load(best.model_uri)
    forecast = loaded.predict(tiny_frame())
    assert len(forecast) == 2  # horizon rows for the one series

    # Same command, larger target: the study and its parent run continue.
    again = tune_job(config, trials=8, workers=2, track=True)
    counts = states(study_trials(storage))
    finished = counts.get("COMPLETE", 0) + counts.get("PRUNED", 0)
    assert 8 <= finished <= 9, counts
    parents, trial_runs, best_runs = _runs(client, _EXPERIMENT)
    assert [p.info.run_id for p in parents] == [result.mlflow_run_id] == [again.mlflow_run_id]
    assert len(trial_runs) == len(study_trials(storage)) == len({r.info.run_id for r in trial_runs})
    assert again.best is not None
    changed = again.best.trial != best.trial
    assert again.best.registered_version == (2 if changed else 1)  # a new best, a new version
    assert len(best_runs) == (2 if changed else 1)

    # Once more with the target already met: no worker, no retrain, the same registered model.
    done = tune_job(config, trials=8, workers=2, track=True)
    assert done.workers == [] and done.progress.finished == finished
    assert done.best is not None and done.best.registered_version == again.best.registered_version
    assert len(_runs(client, _EXPERIMENT)[2]) == len(best_runs)
