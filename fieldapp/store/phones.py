"""Phone checks: :mod:`fieldapp.domain.phones`, shared with the server."""

from __future__ import annotations

from fieldapp.domain.phones import check_possible

__all__ = ["check_possible"]
