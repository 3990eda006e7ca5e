"""Hypothesis profiles: ``ci`` (default, bounded) and ``fuzz`` (long, on demand).

Select one with the environment variable HYPOTHESIS_PROFILE, e.g. ``make fuzz``. Tests that
fix their own ``max_examples`` keep it; the fuzz tests (tests/test_fuzz.py) follow the profile.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile(
    "fuzz",
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
