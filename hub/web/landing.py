"""The landing page: what the hub is, and (when allowed) what it holds in aggregate."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from hub.app import db_session
from hub.web.statistics import hub_statistics

landing = Blueprint(
    "landing",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/hub",
)


@landing.get("/")
def index() -> ResponseReturnValue:
    from hub.web.dashboard import home_for_signed_in

    home = home_for_signed_in()  # signed in: the workspace's home is the dashboard
    if home is not None:
        return home
    settings = current_app.config["HUB_SETTINGS"]
    stats = hub_statistics(db_session()) if settings.public_statistics else None
    return render_template("landing.html", stats=stats, area=settings.mappa_area)
