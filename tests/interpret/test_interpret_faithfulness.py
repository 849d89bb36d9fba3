"""The deletion test's neutral value: linear interpolation between a window's kept timesteps."""

from __future__ import annotations

import numpy as np

from tsattn.interpret import interpolate_over


def test_deleted_timesteps_are_interpolated_between_kept_neighbours() -> None:
    past = np.array([[[0.0, 10.0], [5.0, 5.0], [2.0, 0.0], [9.0, 7.0], [4.0, 6.0]]])  # (1, 5, 2)
    deleted = np.array([[False, True, True, False, False]])
    out = interpolate_over(past, deleted)
    np.testing.assert_allclose(out[0, :, 0], [0.0, 3.0, 6.0, 9.0, 4.0])  # 0 -> 9 over 3 steps
    np.testing.assert_allclose(out[0, :, 1], [10.0, 9.0, 8.0, 7.0, 6.0])
    np.testing.assert_array_equal(past[0, 1], [5.0, 5.0])  # the input is not modified


def test_a_deleted_run_at_either_end_takes_the_nearest_kept_value() -> None:
    past = np.arange(12.0).reshape(2, 6, 1)
    deleted = np.zeros((2, 6), dtype=bool)
    deleted[0, :2] = True  # the oldest two of window 0
    deleted[1, -3:] = True  # the newest three of window 1
    out = interpolate_over(past, deleted)
    np.testing.assert_allclose(out[0, :, 0], [2.0, 2.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(out[1, :, 0], [6.0, 7.0, 8.0, 8.0, 8.0, 8.0])


def test_category_codes_take_the_nearest_kept_code_never_one_between() -> None:
    # codes 1 and 3 around a deleted run: interpolation would invent category 2
    past = np.array([[[0.0, 1.0], [5.0, 1.0], [2.0, 1.0], [9.0, 3.0], [4.0, 3.0]]])
    deleted = np.array([[False, True, True, False, False]])
    out = interpolate_over(past, deleted, categorical=(1,))
    np.testing.assert_array_equal(out[0, :, 1], [1.0, 1.0, 3.0, 3.0, 3.0])  # step 1 nearer 0
    np.testing.assert_allclose(out[0, :, 0], [0.0, 3.0, 6.0, 9.0, 4.0])  # numeric: as before
