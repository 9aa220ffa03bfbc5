"""The plain text the panes and the headless commands share: ETAs and the race table."""

import math

import pytest

from nnbench.engine.workbench import playground as P
from nnbench.tui import text


def test_durations_read_like_a_clock():
    assert [text.duration(s) for s in (0, 59.6, 61, 3599, 3600, 7322.5)] == [
        "0:00", "1:00", "1:01", "59:59", "1:00:00", "2:02:02",
    ]  # fmt: skip
    assert text.duration(math.inf) == "?" and text.duration(math.nan) == "?"


def test_the_race_table_has_a_line_per_racer_under_its_header():
    race = P.Race("bowl", lrs={"S": 1.0})
    race.racers[2].enabled = False
    race.step()
    lines = text.format_table(race).splitlines()
    assert lines[0] == "Ill-conditioned bowl: x^2 + 20 y^2, after 1 steps"
    assert lines[1] == "  " + text.TABLE_HEADER
    assert lines[2].startswith("  S SGD              1") and lines[4].endswith(" off")
    assert len(lines) == 2 + len(race.racers)


def test_optimizer_state_is_named_as_the_lessons_name_it():
    race = P.Race("bowl")
    sgd, momentum, adam = (race.racers[i] for i in (0, 1, 4))
    assert text.state_text(sgd) == "state: none (plain SGD keeps none)"
    assert text.state_text(adam) == "state: none yet (step first)"
    race.step()
    assert text.state_text(momentum).startswith("velocity=(")
    assert text.state_text(adam).split("  ")[2].startswith("m-hat=(")


def test_settings_are_written_as_they_are_read_back():
    adam = P.Race("bowl").racers[4].optimizer
    read = text.parse_settings(text.settings_text(adam))
    assert read["lr"] == 0.3 and read["betas"] == (0.9, 0.999)
    assert all(read[k] == adam.param_groups[0][k] for k in read)


def test_settings_are_parsed_as_literals_only():
    parsed = text.parse_settings("lr=0.01, betas=(0.9, 0.99)")
    assert parsed == {"lr": 0.01, "betas": (0.9, 0.99)}
    with pytest.raises(ValueError, match="name=value"):
        text.parse_settings("__import__('os')")
    with pytest.raises(ValueError):
        text.parse_settings("lr=open('x')")
