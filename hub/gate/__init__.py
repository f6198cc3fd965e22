"""The one gate (design.md §2): the only path by which case data leaves the service layer."""

from hub.gate.filter import UnfilterableRule, case_filter
from hub.gate.gate import Gate, not_found
from hub.gate.reader import Reader
from hub.gate.views import CasePage, CaseView, View

__all__ = [
    "CasePage",
    "CaseView",
    "Gate",
    "Reader",
    "UnfilterableRule",
    "View",
    "case_filter",
    "not_found",
]
