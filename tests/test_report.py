"""Formatting of the analysis: numbers written short."""

import pytest

import cnnviz.report


@pytest.mark.parametrize("value, text", [
    (0, "0"), (850, "850"), (999, "999"), (1_000, "1.0K"), (61_706, "61.7K"),
    (999_949, "999.9K"), (999_950, "1.0M"), (999_960, "1.0M"), (1_000_000, "1.0M"), (46_764_746, "46.8M"),
    (999_949_999, "999.9M"), (999_950_000, "1.0G"), (999_950_000_000, "1.0T"), (-999_960, "-1.0M"),
    (999_960 * 10**12, "999960.0T"),  # no unit above T
])
def test_human_count_rounds_up_into_the_next_unit(value, text):
    assert cnnviz.report.human_count(value) == text


@pytest.mark.parametrize("value, text", [
    (0, "0 B"), (999, "999 B"), (1_000, "1.0 kB"), (999_949, "999.9 kB"), (999_950, "1.0 MB"),
    (999_960, "1.0 MB"), (411_041_792, "411.0 MB"), (999_949_999, "999.9 MB"), (999_950_000, "1.0 GB"),
    (999_950_000_000, "1.0 TB"), (40 * 10**12, "40.0 TB"), (999_950 * 10**9, "1.0 PB"),
])
def test_human_bytes_rounds_up_into_the_next_unit(value, text):
    assert cnnviz.report.human_bytes(value) == text
