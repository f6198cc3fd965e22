"""The portal's sign-in, code, first-time authenticator and sign-out pages."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue

from hub.accounts import totp
from hub.accounts.service import enrolment_secret
from hub.app import db_session
from hub.portal import realm, signin
from hub.portal.blueprint import attempt, now, page, policy, portal

REFUSED = "Enter a correct username and password"
WRONG_CODE = "Enter the current code from your authenticator app"
ENDED = "Your session has ended, so you have been signed out. Sign in again to continue."


@portal.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    notice = ENDED if request.args.get("expired") == "1" else None
    if request.method == "GET":
        return page("portal/sign_in.html", notice=notice)
    if not realm.csrf_ok():
        return page("portal/csrf.html"), 400
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    errors = []
    if not username:
        errors.append(("username", "Enter your username"))
    if not password:
        errors.append(("password", "Enter your password"))
    if errors:
        return page("portal/sign_in.html", errors=errors, username=username), 400
    accepted = signin.check_password(
        db_session(), policy(), attempt(), username=username, password=password
    )
    db_session().commit()
    if accepted is None:
        return page("portal/sign_in.html", errors=[("username", REFUSED)], username=username), 400
    target = "portal.code" if accepted.enrolled else "portal.enrol"
    response = redirect(url_for(target), code=303)
    realm.set_session(response, accepted.token, policy().pending)
    return response


@portal.route("/sign-in/code", methods=["GET", "POST"])
def code() -> ResponseReturnValue:
    found = signin.pending(db_session(), policy(), realm.session_token(), now())
    db_session().commit()
    if found is None:
        return redirect(url_for("portal.sign_in"))
    if found[2].mfa_enrolled_at is None:
        return redirect(url_for("portal.enrol"))
    if request.method == "GET":
        return page("portal/code.html")
    return _check_code("portal/code.html")


@portal.route("/sign-in/authenticator", methods=["GET", "POST"])
def enrol() -> ResponseReturnValue:
    found = signin.pending(db_session(), policy(), realm.session_token(), now())
    if found is None:
        db_session().commit()
        return redirect(url_for("portal.sign_in"))
    _row, user, credential = found
    if credential.mfa_enrolled_at is not None:
        db_session().commit()
        return redirect(url_for("portal.code"))
    secret = enrolment_secret(db_session(), credential)
    db_session().commit()
    shown = {
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "uri": totp.provisioning_uri(secret, user.username),
    }
    if request.method == "GET":
        return page("portal/enrol.html", **shown)
    return _check_code("portal/enrol.html", **shown)


@portal.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    if not realm.csrf_ok():
        return page("portal/csrf.html"), 400
    signin.sign_out(db_session(), policy(), attempt(), realm.session_token())
    db_session().commit()
    response = redirect(url_for("portal.sign_in"), code=303)
    realm.clear_session(response)
    return response


def _check_code(template: str, **context: Any) -> ResponseReturnValue:
    if not realm.csrf_ok():
        return page("portal/csrf.html"), 400
    given = request.form.get("code", "").strip()
    if not given:
        return page(template, errors=[("code", "Enter the 6-digit code")], **context), 400
    token = signin.verify_code(
        db_session(), policy(), attempt(), token=realm.session_token(), code=given
    )
    db_session().commit()
    if token is None:
        if signin.pending(db_session(), policy(), realm.session_token(), now()) is None:
            db_session().commit()
            return redirect(url_for("portal.sign_in"))
        db_session().commit()
        return page(template, errors=[("code", WRONG_CODE)], **context), 400
    response = redirect(url_for("portal.home"), code=303)
    realm.set_session(response, token, policy().absolute)
    return response
