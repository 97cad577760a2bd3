# Test cases for py-cookie-insecure: `ruleid:` marks the next line as one that must be
# reported, `ok:` one that must not. Run with: prwarden rules test
from django.conf import settings
from django.http import HttpResponse
from fastapi import FastAPI, Response
from flask import Flask, make_response, request

app = Flask(__name__)
api = FastAPI()


@app.route("/login", methods=["POST"])
def login():
    resp = make_response("welcome")
    # ruleid: py-cookie-insecure
    resp.set_cookie("session_id", create_session())
    return resp


@app.route("/remember")
def remember():
    resp = make_response("ok")
    # ruleid: py-cookie-insecure
    resp.set_cookie("remember_me", "1", max_age=3600, httponly=True)
    return resp


@app.route("/prefs")
def prefs():
    resp = make_response("ok")
    # ruleid: py-cookie-insecure
    resp.set_cookie("theme", "dark", secure=True)
    return resp


def django_login(request):
    response = HttpResponse("ok")
    # A multi-line call: editing any of its lines reports it.
    # ruleid: py-cookie-insecure
    response.set_cookie(
        "sessionid",
        request.session.session_key,
        httponly=True,
        secure=False,
        samesite="Lax",
    )
    return response


def django_signed(request):
    response = HttpResponse("ok")
    # ruleid: py-cookie-insecure
    response.set_signed_cookie("user", str(request.user.pk), salt="user")
    return response


@api.post("/token")
def token(response: Response):
    # ruleid: py-cookie-insecure
    response.set_cookie(key="access_token", value=make_token(), httponly=False, secure=True)
    return {"ok": True}


@api.post("/refresh")
def refresh(response: Response):
    # ruleid: py-cookie-insecure
    response.set_cookie(key="refresh_token", value=make_token())
    return {"ok": True}


@app.route("/secure-login", methods=["POST"])
def secure_login():
    resp = make_response("welcome")
    # Both flags set across lines.
    # ok: py-cookie-insecure
    resp.set_cookie(
        "session_id",
        create_session(),
        httponly=True,
        secure=True,
        samesite="Strict",
    )
    return resp


def django_secure(request):
    response = HttpResponse("ok")
    # ok: py-cookie-insecure
    response.set_cookie("csrftoken", get_token(request), secure=True, httponly=True)
    return response


@api.post("/secure-token")
def secure_token(response: Response):
    # ok: py-cookie-insecure
    response.set_cookie(key="access_token", value=make_token(), httponly=True, secure=True, samesite="lax")
    return {"ok": True}


def settings_flags(request):
    response = HttpResponse("ok")
    # Flags taken from settings count as set.
    # ok: py-cookie-insecure
    response.set_cookie(
        "sessionid",
        "x",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=settings.SESSION_COOKIE_HTTPONLY,
    )
    return response


COOKIE_FLAGS = {"httponly": True, "secure": True, "samesite": "Lax"}


def flags_from_dict(response):
    # ok: py-cookie-insecure
    response.set_cookie("sid", "x", **COOKIE_FLAGS)
    return response


def logout(response):
    # ok: py-cookie-insecure
    response.delete_cookie("session_id")
    return response


def client_jar(jar, cookie):
    # http.cookiejar stores a cookie the client received; it sets no response header.
    # ok: py-cookie-insecure
    jar.set_cookie(cookie)


# ok: py-cookie-insecure
NOTE = "response.set_cookie('a', 'b') without flags is reported"


COOKIE_FLAGS = {"httponly": True, "secure": True, "samesite": "Lax"}


# --- Real-world idioms ---------------------------------------------------------------------------


@app.post("/session")
def create_session():
    resp = make_response({"ok": True})
    # ok: py-cookie-insecure
    resp.set_cookie(
        "session",
        request.json["token"],
        max_age=3600,
        httponly=True,
        secure=True,
        samesite="Strict",
    )
    return resp


@app.post("/session-lax")
def create_session_lax():
    resp = make_response({"ok": True})
    # ruleid: py-cookie-insecure
    resp.set_cookie(
        "session",
        request.json["token"],
        max_age=3600,
        httponly=True,
        samesite="Lax",
    )
    return resp


@app.post("/remember")
def remember_me():
    resp = make_response("ok")
    # ok: py-cookie-insecure
    resp.set_cookie("remember", "1", **COOKIE_FLAGS)
    return resp


LAX_FLAGS = {"httponly": True, "samesite": "Lax"}


@app.post("/theme")
def theme_cookie():
    resp = make_response("ok")
    # The spread dict is in this file: it sets httponly but not secure.
    # ruleid: py-cookie-insecure
    resp.set_cookie("session_hint", "1", **LAX_FLAGS)
    return resp


@app.post("/debug")
def debug_cookie():
    resp = make_response("ok")
    # ruleid: py-cookie-insecure
    resp.set_cookie("debug_token", request.args.get("t", ""), secure=app.config["SECURE_COOKIES"], httponly=False)
    return resp


@app.post("/logout-all")
def logout_all():
    resp = make_response("bye")
    # ok: py-cookie-insecure
    resp.delete_cookie("session")
    return resp
