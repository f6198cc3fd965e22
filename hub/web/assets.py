"""GOV.UK Frontend's built assets, served at /assets/ where its stylesheet expects them.

They are built at set-up (`make demo`, `make test`, the Docker build: `npm ci` then
`npm run build:assets`) into hub/web/static/govuk/, which is never committed. A hub without
them still serves every page, unstyled: the pages are plain HTML that work without CSS or
JavaScript, so a missing build is logged rather than stopping start-up.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Blueprint

BUILT = Path(__file__).parent / "static" / "govuk"
STYLESHEET = "govuk-frontend.css"

log = logging.getLogger("hub.web")

govuk_assets = Blueprint(
    "govuk_assets", __name__, static_folder=str(BUILT), static_url_path="/assets"
)


@govuk_assets.record_once
def _check_built(_state: Any) -> None:
    if not (BUILT / STYLESHEET).is_file():
        log.warning("GOV.UK Frontend assets are not built: run `make test` or `make demo`")
