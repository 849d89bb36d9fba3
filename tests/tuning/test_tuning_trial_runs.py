"""What a trial's nested MLflow run records when its sampled combination cannot be built."""

from __future__ import annotations

from typing import Any

import pytest
from mlflow.tracking import MlflowClient
from tuning_helpers import states, study_trials

from tsattn.config import ExperimentConfig
from tsattn.tuning import WorkerError, tune_job

pytestmark = pytest.mark.slow


def test_an_invalid_combination_fails_its_trial_with_a_run_saying_why(
    make_config: Any, mlflow_server: str
) -> None:
    # Each value is valid alone; together 4 heads cannot split a hidden size of 6.
    space = {
        "attention": {"type": "categorical", "choices": ["multihead"]},
        "hidden_size": {"type": "categorical", "choices": [6]},
    }
    config = ExperimentConfig.model_validate(
        make_config(tracking_uri=mlflow_server, space=space, enqueue=[])
    )

    # every trial fails the same way, so the worker gives up after its failure streak
    with pytest.raises(WorkerError, match="last 5 trials failed"):
        tune_job(config, trials=1, workers=1, track=True)

    storage = f"sqlite:///{config.output_dir.resolve() / 'tiny' / 'study.db'}"
    trials = study_trials(storage)
    assert states(trials) == {"FAIL": 5}
    assert "hidden_size=6 must be divisible by num_heads=4" in trials[0].user_attrs["error"]

    client = MlflowClient(mlflow_server)
    run = client.get_run(trials[0].user_attrs["mlflow_run_id"])
    assert run.info.status == "FAILED"
    assert "hidden_size=6 must be divisible by num_heads=4" in run.data.tags["tsattn.error"]
    # the run keeps what the trial was asked to train; "auto" stays unresolved, since the
    # combination never became a config to resolve
    params = run.data.params
    assert (params["attention"], params["hidden_size"]) == ("multihead", "6")
    assert params["optuna.hidden_size"] == "6"
    assert params["segment_length"] == "auto"
