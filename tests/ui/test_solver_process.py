"""The GUI's route solver runs in a child process, survives that process dying, is started
when a route is first being planned and ends once idle."""

from __future__ import annotations

import os
import signal

from pytestqt.qtbot import QtBot

from fieldapp.maps import vrp
from fieldapp.ui import solver_process
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.route_planner import RoutePlanner
from tests.ui.builders import Demo


def _day(n: int = 12) -> vrp.Problem:
    # Stops on a line, 10 minutes apart; start and end at location 0.
    size = n + 1
    durations = [[abs(i - j) * 600 for j in range(size)] for i in range(size)]
    jobs = [vrp.Job(location=i, service=900) for i in range(1, size)]
    return vrp.Problem(durations, jobs, [vrp.Vehicle(start=0, end=0, window=(0, 12 * 3600))])


def test_solves_in_a_child_process_and_recovers_when_it_dies() -> None:
    problem = _day()
    here = vrp.solve(problem, budget_s=0.5)
    pid = solver_process.child_pid()
    assert pid != os.getpid()
    before = solver_process.answered()
    there = solver_process.solve(problem, budget_s=0.5)
    assert solver_process.answered() == before + 1
    assert vrp.check(problem, there) == []
    assert there.unassigned == [] and there.cost == here.cost

    os.kill(pid, signal.SIGKILL)
    # The dead child is noticed: this solve still answers, the next one gets a new child.
    again = solver_process.solve(problem, budget_s=0.5)
    assert solver_process.answered() == before + 1  # answered here, not by the child
    assert vrp.check(problem, again) == [] and again.cost == here.cost
    assert solver_process.child_pid() not in (pid, os.getpid())
    solver_process.shutdown()
    assert not solver_process.started()


def _gone(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our child and has exited
        os.kill(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        return True
    return False


def test_the_child_ends_once_idle_and_the_next_solve_starts_another(qtbot: QtBot) -> None:
    problem = _day(4)
    pid = solver_process.child_pid()
    solver_process.solve(problem, budget_s=0.2)
    assert not solver_process.stop_if_idle(3600)  # used just now
    assert solver_process.started()
    assert solver_process.stop_if_idle(0)
    assert not solver_process.started()
    qtbot.waitUntil(lambda: _gone(pid), timeout=10_000)
    before = solver_process.answered()
    assert vrp.check(problem, solver_process.solve(problem, budget_s=0.2)) == []
    assert solver_process.answered() == before + 1  # a new child answered
    solver_process.shutdown()


def test_a_planner_starts_the_child_for_its_first_stops_and_ends_it_when_idle(
    qtbot: QtBot, window: MainWindow, demo: Demo
) -> None:
    solver_process.shutdown()
    planner = RoutePlanner(window.ctx)
    qtbot.waitUntil(lambda: window.bg.pending() == 0)
    assert not solver_process.started()  # a planner with no stops starts nothing
    planner.add_accounts(demo.accounts[:3])
    qtbot.waitUntil(lambda: len(planner.stop_ids) == 3)
    qtbot.waitUntil(lambda: solver_process.started() and window.bg.pending() == 0)
    assert planner.solver.timer.isActive()
    planner.solver.idle_s = 0
    planner.solver.timer.setInterval(10)
    qtbot.waitUntil(lambda: not solver_process.started(), timeout=10_000)
    assert not planner.solver.timer.isActive()
