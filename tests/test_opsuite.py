"""The broad op suite (tests/opsuite): plain PyTorch code run against torch and the engine."""

import pytest

from tests.opsuite.run import run_suite, soundness_problems, summary

PASS_RATE = 0.95


@pytest.mark.opsuite
def test_suite_is_sound_against_torch():
    """Every case runs under real torch; each error case raises a built-in error class there."""
    problems = soundness_problems()
    assert not problems, "the op suite is wrong about torch:\n" + "\n".join(problems)


@pytest.mark.opsuite
def test_engine_passes_the_op_suite():
    outcomes = run_suite()
    rate = sum(o.ok for o in outcomes) / len(outcomes)
    assert rate >= PASS_RATE, f"op suite pass rate {rate:.1%} is under {PASS_RATE:.0%}\n" + summary(
        outcomes
    )
