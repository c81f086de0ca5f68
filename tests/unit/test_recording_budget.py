"""Recording never-seen tasks from annotate is counted like writing (server/tasks/budget.py)."""
from __future__ import annotations

from server.settings import load_settings
from server.tasks.budget import RecordingBudget, Window


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_window_grants_what_is_left_and_starts_again_after_its_period():
    clock = Clock()
    window = Window(10, 60.0, clock=clock)
    assert window.left("a") == 10
    window.spend("a", 7)
    assert window.left("a") == 3 and window.left("b") == 10
    assert window.reset_in("a") == 60
    clock.now += 59.5
    assert window.left("a") == 3 and window.reset_in("a") == 1
    clock.now += 0.5
    assert window.left("a") == 10
    window.spend("a", 0)
    window.spend("a", -5)
    assert window.left("a") == 10


def test_anonymous_clients_share_a_total_and_accounts_count_apart():
    clock = Clock()
    budget = RecordingBudget((5, 60.0), (8, 60.0), (20, 60.0), clock=clock)
    budget.spend("10.0.0.1", None, budget.left("10.0.0.1", None), 100)
    assert budget.left("10.0.0.1", None) == 0
    assert budget.left("10.0.0.2", None) == 3  # the total for all anonymous clients: 8 - 5
    budget.spend("10.0.0.2", None, 3, 3)
    assert budget.left("10.0.0.3", None) == 0
    assert budget.left("10.0.0.3", 7) == 20  # a signed-in account has its own budget
    assert budget.refused == 95
    clock.now += 60
    assert budget.left("10.0.0.1", None) == 5


def test_a_flood_of_fresh_addresses_cannot_grow_the_table_without_bound():
    window = Window(1, 60.0, clock=Clock())
    window.MAX_KEYS = 50
    for i in range(500):
        window.spend(f"address:{i}", 1)
    assert len(window._used) <= 50


def test_no_budget_when_rate_limits_are_off(tmp_path):
    data = str(tmp_path)
    assert RecordingBudget.of(load_settings({"FAIRFINDER_DATA_DIR": data, "FAIRFINDER_RATE_LIMITS": "off"})) is None
    budget = RecordingBudget.of(load_settings({"FAIRFINDER_DATA_DIR": data}))
    assert budget is not None and budget.left("x", None) == 60
