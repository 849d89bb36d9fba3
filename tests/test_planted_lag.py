"""Interpretability that can be checked: on planted-truth series the attention must find the cause.

Each case (`benchmarks/planted.py`, B5) makes the target a sum of covariates (or its own past) at
known lags plus noise, so every forecast step has a known causal timestep. Models are fitted with
the library defaults (only columns and window given): the defaults are what users run, and a
model that has not learned the relation has nothing to explain, so each case must also reach an
MSE within 2x its noise floor. Drivers are autocorrelated unless the case says white noise.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from benchmarks.planted import (
    CASES,
    PlantedCase,
    forecaster_columns,
    score_attention,
    score_contributions,
    score_every_cause,
    split_case,
)
from benchmarks.planted_varied import VARIED
from tsattn import Forecaster
from tsattn.interpret import deletion_test

BY_NAME = {case.name: case for case in CASES}
VARIED_BY_NAME = {case.name: case for case in VARIED}
_FITTED: dict[tuple[str, str], tuple[Forecaster, Any, float]] = {}


def _case(name: str) -> PlantedCase:
    """A B5 case by name; "name@k" is the same case drawn from data seed k."""
    base, _, seed = name.partition("@")
    case = BY_NAME[base]
    return dataclasses.replace(case, name=name, seed=int(seed)) if seed else case


def _fit(case: PlantedCase, **params: Any) -> tuple[Forecaster, Any, float]:
    """Fit once per (case, params) in this module: two tests read the same default model."""
    key = (case.name, repr(sorted(params.items())))
    if key not in _FITTED:
        _FITTED[key] = _fit_new(case, **params)
    return _FITTED[key]


def _fit_new(case: PlantedCase, **params: Any) -> tuple[Forecaster, Any, float]:
    split = split_case(case)
    fc = Forecaster(**forecaster_columns(case), lookback=case.lookback, horizon=case.horizon,
                    accelerator="cpu", enable_progress_bar=False, **params)
    fc.fit(split.train, val_df=split.val)
    return fc, split.test, split.noise_floor


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("ar1-lag12", {}),  # AR(1) driver, lag 12, L 48, H 6: single-step attention
        ("white-lag30", {}),  # white-noise driver, lag 30, L 96, H 24: segments of 6
        ("ar1-lag12", {"cell": "lstm", "attention": "additive"}),  # the issue's own setting
        # the target's own lag 24, L 96, H 24: the step inside a segment of 6 must be found too
        ("seasonal-own-lag", {}),
        # a fast positive and a slow negative driver, over two model seeds: the reads started
        # on the oldest steps once repelled one read from the fast cause for some seeds (10x)
        ("two-drivers", {"seed": 2}),
        ("two-drivers", {"seed": 3}),
        # other data: with two reads this fit's fast read settled beside its cause (16x)
        ("two-drivers@3", {"seed": 1}),
    ],
)
def test_attention_peaks_at_the_cause_with_the_defaults(name: str, params: dict) -> None:
    case = _case(name)
    fc, test, floor = _fit(case, **params)
    mse = fc.evaluate(test)["mse"]
    assert mse <= 2 * floor, f"{name}: test MSE {mse:.4f} against a noise floor of {floor:.4f}"
    temporal = fc.interpret(test, origins="all", stride=7)
    share = score_attention(case, temporal)
    assert share >= 0.9, f"{name}: only {share:.0%} of attention peaks within 1 step of the cause"
    if len(case.causes) > 1:  # a peak at either cause passes above; here each must have a head
        every = score_every_cause(case, temporal)
        assert every >= 0.9, f"{name}: every cause is a head's peak in only {every:.0%} of pairs"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("ar1-lag12", {}),
        ("white-lag30", {}),
        ("seasonal-own-lag", {}),  # the cause is the target's own history
        ("two-drivers", {"seed": 2}),
        # B5 varied, the defaults' worst two-driver fit (2.6x): one read holds both lags and
        # another cancels part of it, so no head peaks at lag 8; the contributions still do
        ("two-8-30", {}),
    ],
)
def test_contributions_put_each_cause_at_its_lag_above_the_noise(name: str,
                                                                 params: dict) -> None:
    case = VARIED_BY_NAME[name] if name in VARIED_BY_NAME else _case(name)
    fc, test, _ = _fit(case, **params)
    contributions = fc.interpret(test, kind="contribution", origins="all", stride=7)
    score = score_contributions(case, contributions)
    assert score["causes_at_lag"] == 1.0, f"{name}: {score}"
    assert score["drivers_first"] and score["noise_below_causes"], f"{name}: {score}"


@pytest.mark.slow
def test_read_dropout_keeps_each_read_on_one_of_two_drivers() -> None:
    """Two drivers at lags 8 and 30 (B5 varied, model seed 0): with the defaults one read holds
    both lags while another cancels part of it, 2.6x the noise floor; dropping reads early in
    training leaves no read to cancel another's share, and each driver gets a head."""
    case = VARIED_BY_NAME["two-8-30"]
    fc, test, floor = _fit(case, read_dropout=0.2)
    mse = fc.evaluate(test)["mse"]
    assert mse <= 2 * floor, f"test MSE {mse:.4f} against a noise floor of {floor:.4f}"
    every = score_every_cause(case, fc.interpret(test, origins="all", stride=7))
    assert every >= 0.9, f"every cause is a head's peak in only {every:.0%} of pairs"


@pytest.mark.slow
def test_a_panel_learns_a_driver_in_each_series_absolute_units() -> None:
    # three series whose driver sits at levels 0, 10 and -4 with spreads 1, 0.5 and 3: each
    # series' z-scores and each window's RevIN rescale the target, not the 2 x driver relation
    case = BY_NAME["panel-abs-units"]
    fc, test, _ = _fit(case)
    floors = split_case(case).series_floors
    by_series = fc.evaluate(test, by_series=True)["mse"]
    assert set(by_series.index) == set(floors), by_series.to_dict()
    for series, floor in floors.items():
        mse = float(by_series[series])
        assert mse <= 2 * floor, f"{series}: test MSE {mse:.5f}, noise floor {floor:.5f}"
    share = score_attention(case, fc.interpret(test, origins="all", stride=7))
    assert share >= 0.9, f"only {share:.0%} of attention peaks within 1 step of the cause"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ar1-lag12"])  # input attention steps per timestep: slow
def test_input_attention_ranks_the_driver_first(name: str) -> None:
    case = BY_NAME[name]
    fc, test, floor = _fit(case, input_attention=True)
    mse = fc.evaluate(test)["mse"]  # the kept candidate's epoch is chosen on its own loss
    assert mse <= 2 * floor, f"{name}: test MSE {mse:.4f} against a noise floor of {floor:.4f}"
    weights = fc.interpret(test, kind="input", origins="all", stride=7)
    shares = weights.groupby("variable")["weight"].mean().sort_values(ascending=False)
    # first, so above both noise drivers; the target's own history carries nothing the driver
    # does not, so its place is not asserted
    assert shares.index[0] == "driver", shares.to_dict()
    # and by a margin that gates: near-uniform weights (0.25 each here) that merely rank the
    # driver first would leave the noise in the forecast
    assert shares["driver"] >= 0.6, shares.to_dict()


@pytest.mark.slow
def test_deleting_the_attended_timesteps_changes_the_forecast_most() -> None:
    # the deletion test must tell a model that reads where it attends from random deletions
    case = BY_NAME["ar1-lag12"]
    fc, test, _ = _fit(case)
    table = deletion_test(fc, test, fractions=(0.1,), draws=3, max_windows=60)
    row = table.iloc[0]
    assert row["windows"] == 60 and row["timesteps"] == 5  # 10 % of the lookback of 48
    assert row["ratio"] == min(row["ratio_scattered"], row["ratio_contiguous"])
    assert row["ratio"] >= 2, table.to_dict("records")
    # ranked by the read contributions instead: what they say moved the forecast moves it
    by_contribution = deletion_test(fc, test, fractions=(0.1,), draws=3, max_windows=60,
                                    by="contribution").iloc[0]
    assert by_contribution["ratio"] >= 2, by_contribution.to_dict()
    with pytest.raises(ValueError, match="by must be 'attention' or 'contribution'"):
        deletion_test(fc, test, by="weights")  # type: ignore[arg-type]
