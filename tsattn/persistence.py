"""Save and load a fitted Forecaster as plain files: JSON for state, a tensor file for weights.

Nothing is pickled, so loading a model from an untrusted place cannot run code
(`torch.load(weights_only=True)` reads tensors only).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from tsattn.errors import TsattnError
from tsattn.nn import AttentionSeq2Seq, NetworkConfig
from tsattn.preprocess import FramePreprocessor
from tsattn.versions import package_versions

if TYPE_CHECKING:
    from tsattn.forecaster import Forecaster

__all__ = ["FORMAT_VERSION", "load_forecaster_state", "save_forecaster_state"]

FORMAT_VERSION = 4  # 2: the plain network, no Lightning module; 3: additive attention on sigmoid;
# 4: input attention's variable logits stored scaled (the same weights mean other logits)
_STATE_FILE = "forecaster.json"
_WEIGHTS_FILE = "weights.pt"


def save_forecaster_state(forecaster: Forecaster, path: Path) -> Path:
    """Write into a fresh sibling folder, then swap it in, so a failed save keeps the old model."""
    network = forecaster.network_
    state = {
        "format_version": FORMAT_VERSION,
        "params": forecaster.config().model_dump(mode="json"),
        "network": network.config.to_dict(),
        "preprocessor": forecaster.preprocessor_.state_dict(),
        "history": forecaster.history_.to_dict(orient="records"),
        "epochs_trained": forecaster.epochs_trained_,
        "versions": package_versions(),
    }
    calibration = getattr(forecaster, "calibration_", None)
    if calibration is not None:  # conformal intervals travel with the model they calibrate
        state["calibration"] = calibration.state_dict()
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        (staging / _STATE_FILE).write_text(json.dumps(state, indent=2, default=_jsonable))
        torch.save(network.state_dict(), staging / _WEIGHTS_FILE)
        _swap_in(staging, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path


def _swap_in(staging: Path, path: Path) -> None:
    if not path.exists():
        staging.rename(path)
        return
    if not (path / _STATE_FILE).is_file():
        raise TsattnError(
            f"refusing to overwrite '{path}': it exists and is not a saved tsattn model; "
            "choose another path or remove it"
        )
    retired = path.with_name(f".{path.name}.old")
    shutil.rmtree(retired, ignore_errors=True)
    path.rename(retired)
    staging.rename(path)
    shutil.rmtree(retired, ignore_errors=True)


def load_forecaster_state(
    path: Path,
) -> tuple[dict[str, Any], AttentionSeq2Seq, FramePreprocessor, dict[str, Any]]:
    """Read what `save_forecaster_state` wrote; a clear error if it is not a tsattn model."""
    state_file = path / _STATE_FILE
    if not state_file.is_file():
        raise TsattnError(
            f"'{path}' is not a saved tsattn model: {_STATE_FILE} is missing. "
            "Pass the directory given to Forecaster.save (or a models:/ URI)"
        )
    state = json.loads(state_file.read_text())
    if state.get("format_version") != FORMAT_VERSION:
        raise TsattnError(
            f"'{path}' was saved in model format {state.get('format_version')}; this tsattn "
            f"reads format {FORMAT_VERSION}. Re-save it with the matching tsattn version"
        )
    network = AttentionSeq2Seq(NetworkConfig.from_dict(state["network"]))
    weights = torch.load(path / _WEIGHTS_FILE, map_location="cpu", weights_only=True)
    network.load_state_dict(weights)
    preprocessor = FramePreprocessor.from_state_dict(state["preprocessor"])
    extras = {key: state[key] for key in ("history", "epochs_trained", "versions")}
    extras["calibration"] = state.get("calibration")  # None for uncalibrated (and older) models
    params = dict(state["params"])
    params.pop("track", None)  # saved by earlier versions; tracking is no longer a model setting
    return params, network, preprocessor, extras


def _jsonable(value: Any) -> Any:
    """numpy scalars and timestamps in fitted state become JSON numbers and ISO strings."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a saved model")
