"""Reading attention: tidy tables from `Forecaster.interpret` -> summaries, plots, an HTML page.

Pure pandas, matplotlib and HTML: nothing here imports mlflow or `tsattn.tracking`, so the same
pictures can be drawn offline from any frame `interpret` returns; tracking only writes them
into a run. Every heatmap and the report colour lift over uniform on one shared `LiftScale`.

    tables   summaries: profiles by lag and distance, windows worth a look, concentration,
             which variables' values moved the forecasts (read contributions)
    scale    the shared colour scale (lift over uniform, log axis, white = 1)
    labels   series names, time tick labels and the reading guide both pictures use
    plots    matplotlib figures: window heatmaps, mean map, lag profile, variable importance,
             where each variable's values moved the forecasts
    report   the self-contained HTML page over every window
    faithfulness  the deletion test: does the model use what its attention points at?
"""

from __future__ import annotations

from tsattn.interpret.faithfulness import deletion_test, interpolate_over
from tsattn.interpret.labels import READING_GUIDE, series_label, time_labels
from tsattn.interpret.plots import (
    plot_contribution_profile,
    plot_lag_profile,
    plot_lift_by_target,
    plot_mean_map,
    plot_variable_importance,
    plot_window_heatmap,
    plot_windows,
)
from tsattn.interpret.report import write_report
from tsattn.interpret.scale import LiftScale, frame_lift_scale, lift_scale
from tsattn.interpret.tables import (
    check_contribution_frame,
    check_input_frame,
    check_temporal_frame,
    concentration,
    contribution_by_variable,
    contribution_profile,
    distance_profile,
    id_column,
    lag_profile,
    lag_profile_by_target,
    lift_by_target_grid,
    matrix_of_window,
    mean_attention_map,
    representative_windows,
    variable_importance,
    weight_sums,
    window_matrix,
)

__all__ = [
    "READING_GUIDE",
    "LiftScale",
    "check_contribution_frame",
    "check_input_frame",
    "check_temporal_frame",
    "concentration",
    "contribution_by_variable",
    "contribution_profile",
    "deletion_test",
    "distance_profile",
    "frame_lift_scale",
    "id_column",
    "interpolate_over",
    "lag_profile",
    "lag_profile_by_target",
    "lift_by_target_grid",
    "lift_scale",
    "matrix_of_window",
    "mean_attention_map",
    "plot_contribution_profile",
    "plot_lag_profile",
    "plot_lift_by_target",
    "plot_mean_map",
    "plot_variable_importance",
    "plot_window_heatmap",
    "plot_windows",
    "representative_windows",
    "series_label",
    "time_labels",
    "variable_importance",
    "weight_sums",
    "window_matrix",
    "write_report",
]
