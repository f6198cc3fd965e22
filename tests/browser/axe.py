"""axe-core in the browser: the page's serious and critical accessibility violations.

axe-core is pinned in package.json (devDependencies) and installed by `npm ci`. The hub's
Content Security Policy forbids injected scripts, so the browser context that runs axe is
opened with `bypass_csp=True`; the pages themselves are unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def violations(page: Any) -> list[dict[str, Any]]:
    """Each serious or critical violation on the page as it is now: rule id, impact, where."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in BLOCKING]
