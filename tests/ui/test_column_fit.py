"""How ColumnFit shares a table's width (the arithmetic; the panels' tests check the
widgets at 1280×800)."""

from __future__ import annotations

from fieldapp.ui.column_fit import widths


def test_columns_that_fit_keep_their_width_and_the_fill_column_takes_the_rest() -> None:
    assert widths([100, 50, 50], 300, elide={2}, fill=0) == [200, 50, 50]


def test_too_wide_the_elided_columns_share_what_the_others_leave() -> None:
    # 400 px; name 120 and count 60 stay; 220 left for postcodes (900) and reps (80):
    # reps keep their whole text, postcodes the rest.
    assert widths([120, 80, 60, 900], 400, elide={1, 3}, fill=0) == [120, 80, 60, 140]
    # Two long ones share alike.
    assert widths([100, 500, 500], 300, elide={1, 2}, fill=0) == [100, 100, 100]


def test_an_elided_column_keeps_a_least_width_even_if_the_table_must_scroll() -> None:
    assert widths([300, 200, 500], 320, elide={1, 2}, fill=0, least=60) == [300, 60, 60]
    # ... but never more than its text needs.
    assert widths([300, 20, 500], 320, elide={1, 2}, fill=0, least=60) == [300, 20, 60]
