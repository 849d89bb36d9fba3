"""Each Forecaster parameter is declared once, in ForecasterConfig: everything derived agrees.

These fail when a second declaration creeps back in and drifts: a signature default, a network
default, a tunable list, a docstring that no longer matches the fields.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import get_args

import pytest
from sklearn.base import clone

from tsattn import Forecaster
from tsattn.config import ExperimentConfig, ForecasterConfig
from tsattn.forecaster_config import network_fields
from tsattn.nn import ATTENTIONS, CELLS, DECODERS, SHAPE_FIELDS, NetworkConfig
from tsattn.params import not_tunable_reasons
from tsattn.tuning.settings import NOT_TUNABLE

FIELDS = ForecasterConfig.model_fields


def test_the_signature_is_the_config_fields_with_their_defaults() -> None:
    parameters = inspect.signature(Forecaster).parameters
    assert list(parameters) == list(FIELDS)
    assert parameters["target"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert parameters["target"].default is inspect.Parameter.empty
    for name, field in FIELDS.items():
        if name == "target":
            continue
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        default = field.get_default(call_default_factory=True)
        shown = parameters[name].default
        # a default factory shows None (never a shared mutable default), which means the default
        if shown is None and default is not None:
            given_none = ForecasterConfig.model_validate({"target": "y", name: None})
            assert getattr(given_none, name) == default, name
        else:
            assert shown == default, name
        hash(shown)  # immutable: one default object is shared by every instance


def test_defaults_given_to_forecaster_validate_to_the_config_defaults() -> None:
    assert Forecaster(target="y").config() == ForecasterConfig(target="y")


def test_scikit_learn_reads_the_derived_signature() -> None:
    fc = Forecaster("y", hidden_size=8, past_covariates=["x"])
    params = fc.get_params()
    assert list(params) == sorted(FIELDS)
    assert params["hidden_size"] == 8 and params["lookback"] == 96
    twin = clone(fc)
    assert twin.get_params() == params and twin is not fc
    assert fc.set_params(lookback=48).lookback == 48
    with pytest.raises(TypeError, match=r"Forecaster\(\) got an unexpected keyword.*'hiden_size'"):
        Forecaster("y", hiden_size=8)


def test_saved_params_rebuild_the_same_forecaster() -> None:
    """persistence.py saves `config().model_dump(mode="json")` and loads `Forecaster(**params)`."""
    fc = Forecaster(["y"], quantiles=[0.1, 0.9], segment_length=4, lookback=48)
    saved = fc.config().model_dump(mode="json")
    assert Forecaster(**saved).config() == fc.config()


def test_every_parameter_is_documented_in_help() -> None:
    doc = Forecaster.__doc__ or ""
    for name, field in FIELDS.items():
        assert field.description, f"{name} has no description"
        assert f"\n{name} : " in doc, name


def test_the_yaml_forecaster_section_is_the_declaration() -> None:
    assert ExperimentConfig.model_fields["forecaster"].annotation is ForecasterConfig
    schema = ExperimentConfig.model_json_schema()["$defs"]["ForecasterConfig"]
    assert set(schema["properties"]) == set(FIELDS)
    assert schema["properties"]["hidden_size"]["description"] == FIELDS["hidden_size"].description


def test_network_config_is_the_network_fields_plus_the_data_shapes() -> None:
    names = [f.name for f in dataclasses.fields(NetworkConfig)]
    assert names == [*SHAPE_FIELDS, *network_fields()]
    assert set(network_fields()) <= set(FIELDS)
    assert not set(SHAPE_FIELDS) & set(FIELDS)
    for field in dataclasses.fields(NetworkConfig):  # no second default to drift
        assert field.default is dataclasses.MISSING, field.name
        assert field.default_factory is dataclasses.MISSING, field.name


def test_the_network_vocabulary_is_the_config_vocabulary() -> None:
    assert get_args(FIELDS["cell"].annotation) == CELLS
    assert get_args(FIELDS["attention"].annotation) == ATTENTIONS
    assert get_args(FIELDS["decoder"].annotation) == DECODERS


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"attention": "multihead", "num_heads": 2, "quantiles": [0.1, 0.5, 0.9]},
        {"input_attention": True, "revin": False, "segment_length": 1, "highway": True},
        {"cell": "gru", "decoder": "autoregressive", "lookback": 48, "horizon": 96},
    ],
)
def test_every_network_field_is_copied_by_name(params: dict) -> None:
    config = ForecasterConfig(target=["a", "b"], **params)
    network = NetworkConfig(n_features=3, n_targets=2, n_future=0, n_static=0,
                            static_cardinalities=(), categorical=(),
                            **config.network_params())  # fmt: skip
    for name in network_fields():
        if name not in ("revin", "channel_independent", "segment_length", "num_heads",
                        "quantiles"):  # the resolved ones
            assert getattr(network, name) == getattr(config, name), name
    assert network.segment_length == config.resolved_segment_length
    assert network.num_heads == (config.num_heads if config.attention == "multihead" else 1)
    assert network.quantiles == tuple(config.quantiles or ())


def test_what_is_tunable_comes_from_the_declarations() -> None:
    reasons = not_tunable_reasons(ForecasterConfig)
    assert NOT_TUNABLE == reasons
    assert set(reasons) <= set(FIELDS)
    assert all(reason.strip() for reason in reasons.values())
    # the task and the data roles are never searched; the architecture is
    assert {"target", "horizon", "quantiles", "past_covariates", "accelerator"} <= set(reasons)
    assert not {"lookback", "hidden_size", "attention", "learning_rate"} & set(reasons)
