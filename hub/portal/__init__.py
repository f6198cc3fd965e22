"""The COSA coordinators' portal (issue 9): its own blueprint and login realm under /portal."""

from hub.cosa import panel  # noqa: F401  (registers the workspace's concerns panel)
from hub.portal import auth, pages  # noqa: F401  (their routes join the blueprint)
from hub.portal.blueprint import portal

__all__ = ["portal"]
