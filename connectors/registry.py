"""Finding the installed connectors: the `hub.connectors` entry point group."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from connectors.base import Connector

GROUP = "hub.connectors"


class UnknownConnector(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"no connector named {name!r}; installed: {', '.join(known) or 'none'}")


@cache
def installed() -> dict[str, Connector]:
    """Every connector registered by entry point, by name (loaded once per process)."""
    found: dict[str, Connector] = {}
    for point in entry_points(group=GROUP):
        kind = point.load()
        if not (isinstance(kind, type) and issubclass(kind, Connector)):
            raise TypeError(f"entry point {point.name} in {GROUP} is not a Connector class")
        connector = kind()
        if connector.name != point.name:
            raise TypeError(f"entry point {point.name} loads the {connector.name} connector")
        found[point.name] = connector
    return dict(sorted(found.items()))


def connector(name: str) -> Connector:
    known = installed()
    if name not in known:
        raise UnknownConnector(name, list(known))
    return known[name]
