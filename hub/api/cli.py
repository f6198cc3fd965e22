"""`hub api openapi`: the partner API's OpenAPI document, as committed in schemas/openapi.json."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click


@click.group(help="The partner REST API.")
def api() -> None:
    pass


@api.command("openapi", help="Print the OpenAPI 3.1 document (commit it as schemas/openapi.json).")
def openapi() -> None:
    from hub import create_app
    from hub.settings import Settings

    # The document depends on the code only; an in-memory database keeps it from touching any.
    with tempfile.TemporaryDirectory() as instance:
        settings = Settings(
            database_url="sqlite://", environment="development", instance_path=Path(instance)
        )
        app = create_app(settings)
        document = app.test_client().get("/api/v1/openapi.json").get_json()
    click.echo(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))
