"""`tracking_uri` restores what was set before the block, through MLflow's public API only."""

from __future__ import annotations

import os

import mlflow
import pytest

from tsattn.tracking.runs import tracking_uri


def test_an_unset_uri_is_unset_again_so_a_later_environment_variable_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    default = mlflow.get_tracking_uri()
    with tracking_uri("sqlite:///inside.db"):
        assert mlflow.get_tracking_uri() == "sqlite:///inside.db"
    assert "MLFLOW_TRACKING_URI" not in os.environ and mlflow.get_tracking_uri() == default
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///later.db")  # as a user would, later
    assert mlflow.get_tracking_uri() == "sqlite:///later.db"


def test_a_uri_from_the_environment_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///user.db")
    with tracking_uri("sqlite:///inside.db"):
        assert mlflow.get_tracking_uri() == "sqlite:///inside.db"
    assert os.environ["MLFLOW_TRACKING_URI"] == "sqlite:///user.db"
    assert mlflow.get_tracking_uri() == "sqlite:///user.db"


def test_a_uri_set_in_code_is_restored_even_if_the_variable_changed_since() -> None:
    mlflow.set_tracking_uri("sqlite:///code.db")
    os.environ["MLFLOW_TRACKING_URI"] = "sqlite:///env.db"  # the code-set URI still wins
    with tracking_uri("sqlite:///inside.db"):
        assert mlflow.get_tracking_uri() == "sqlite:///inside.db"
    assert mlflow.get_tracking_uri() == "sqlite:///code.db"
    assert os.environ["MLFLOW_TRACKING_URI"] == "sqlite:///env.db"


def test_the_uri_stays_while_a_run_opened_inside_is_still_active() -> None:
    with tracking_uri("sqlite:///inside.db"):
        mlflow.start_run()
    try:
        assert mlflow.get_tracking_uri() == "sqlite:///inside.db"
    finally:
        mlflow.end_run()
