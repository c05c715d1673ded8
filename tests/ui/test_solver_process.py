"""The GUI's route solver runs in a child process and survives that process dying."""

from __future__ import annotations

import os
import signal

from fieldapp.maps import vrp
from fieldapp.ui import solver_process


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
