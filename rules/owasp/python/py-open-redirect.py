# Test cases for py-open-redirect: `ruleid:` marks the next line as one that must be reported,
# `ok:` one that must not. Run with: prwarden rules test
import re

from django.conf import settings
from django.http import HttpResponseRedirect
from django import shortcuts
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from urllib.parse import urljoin, urlparse
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse
from flask import Flask, abort, redirect, request, url_for

app = Flask(__name__)
api = FastAPI()


@app.route("/login", methods=["POST"])
def login():
    next_url = request.args.get("next")
    # ruleid: py-open-redirect
    return redirect(next_url)


@app.route("/go")
def go():
    # ruleid: py-open-redirect
    return redirect(request.args["return_to"])


@app.route("/logout")
def logout():
    target = request.args.get("next") or url_for("index")
    # A multi-line call: editing any of its lines reports it.
    # ruleid: py-open-redirect
    return redirect(
        target,
        code=302,
    )


@app.route("/bounce")
def bounce():
    host = request.args["host"]
    # ruleid: py-open-redirect
    return redirect(f"https://{host}/welcome")


@app.route("/back")
def back():
    # "/" followed by the value: "/evil.example" makes "//evil.example", another host.
    # ruleid: py-open-redirect
    return redirect("/" + request.args["path"])


@app.route("/legacy")
def legacy():
    response = app.make_response("")
    # ruleid: py-open-redirect
    response.headers["Location"] = request.values.get("url")
    response.status_code = 302
    return response


def django_login(request):
    # ruleid: py-open-redirect
    return HttpResponseRedirect(request.GET.get("next", "/"))


def django_done(request):
    destination = request.POST["next"]
    # ruleid: py-open-redirect
    return shortcuts.redirect(destination)


@api.get("/callback")
async def callback(redirect_uri: str):
    # FastAPI: a route parameter is user input.
    # ruleid: py-open-redirect
    return RedirectResponse(url=redirect_uri)


@api.get("/continue")
async def continue_to(request: Request):
    # ruleid: py-open-redirect
    return RedirectResponse(request.query_params["continue"], status_code=303)


def django_form_login(request):
    if request.method == "POST":
        form = LoginForm(request.POST)
        if form.is_valid():
            login(request, form.get_user())
            # Two blocks deep in the view.
            # ruleid: py-open-redirect
            return HttpResponseRedirect(request.POST.get("next", "/"))
    return render(request, "login.html")


def django_checked(request):
    next_url = request.GET.get("next", "")
    # Django's own check: same host, allowed scheme.
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        # ok: py-open-redirect
        return shortcuts.redirect(next_url)
    return shortcuts.redirect("home")


@app.route("/after-login")
def after_login():
    target = request.args.get("next", "")
    # An empty netloc is also what `/\evil.example` and `///evil.example` have: browsers go there.
    if urlparse(target).netloc not in ("", request.host):
        target = url_for("index")
    # ruleid: py-open-redirect
    return redirect(target)


@app.route("/after-signup")
def after_signup():
    target = request.args.get("next", "")
    if urlparse(target).netloc not in {"app.example.com", "www.example.com"}:
        target = url_for("index")
    # ok: py-open-redirect
    return redirect(target)


def django_maybe(request):
    next_url = request.GET.get("next")
    # ruleid: py-open-redirect
    return HttpResponseRedirect(next_url) if next_url else HttpResponseRedirect(reverse("home"))


@app.route("/upload", methods=["POST"])
def upload():
    if "file" not in request.files:
        # Post/Redirect/Get back to the page itself.
        # ok: py-open-redirect
        return redirect(request.url)
    return redirect(url_for("uploaded"))


@app.route("/home")
def home():
    # ok: py-open-redirect
    return redirect(url_for("dashboard"))


@app.route("/profile")
def profile():
    # url_for builds a URL on this site from a route name, whatever the arguments are.
    # ok: py-open-redirect
    return redirect(url_for("user_profile", username=request.args["user"]))


@app.route("/find")
def find():
    query = request.args.get("q", "")
    # A fixed local path with the user value after it: the host cannot change.
    # ok: py-open-redirect
    return redirect(f"/search?q={query}")


@app.route("/item")
def item():
    item_id = request.args["id"]
    # ok: py-open-redirect
    return redirect("/items/" + item_id)


@app.route("/signin")
def signin():
    # ok: py-open-redirect
    return redirect("/login")


def django_home(request):
    # ok: py-open-redirect
    return HttpResponseRedirect(reverse("home"))


def django_settings_redirect(request):
    # ok: py-open-redirect
    return shortcuts.redirect(settings.LOGIN_REDIRECT_URL)


@api.get("/")
async def root():
    # ok: py-open-redirect
    return RedirectResponse(url="/docs")


@app.route("/help")
def help_page():
    # ok: py-open-redirect
    note = "never redirect(request.args['next']) without checking it"
    # ok: py-open-redirect
    # return redirect(request.args["next"])
    return note


ALLOWED_NEXT = {"/dashboard", "/settings", "/billing"}


# --- Guards and real-world idioms -------------------------------------------------------------


def login_done(request):
    # ruleid: py-open-redirect
    return shortcuts.redirect(request.GET.get("next"))


def login_done_checked(request):
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = settings.LOGIN_REDIRECT_URL
    # ok: py-open-redirect
    return shortcuts.redirect(next_url)


def logout_then(request):
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(url=next_url, allowed_hosts=settings.ALLOWED_HOSTS):
        return HttpResponseRedirect("/")
    # ok: py-open-redirect
    return HttpResponseRedirect(next_url)


def checks_the_wrong_value(request):
    next_url = request.GET.get("next", "/")
    fallback = request.GET.get("fallback", "/")
    if not url_has_allowed_host_and_scheme(fallback, allowed_hosts={request.get_host()}):
        fallback = "/"
    # ruleid: py-open-redirect
    return shortcuts.redirect(next_url)


@app.route("/go-checked")
def go_checked():
    target = request.args.get("to", "/")
    if target not in ALLOWED_NEXT:
        abort(400)
    # ok: py-open-redirect
    return redirect(target)


@app.route("/go-unchecked")
def go_unchecked():
    target = request.args.get("to", "/")
    if target not in ALLOWED_NEXT:
        app.logger.warning("unexpected redirect target %s", target)
    # ruleid: py-open-redirect
    return redirect(target)


@app.route("/section/<name>")
def section(name):
    if not re.fullmatch(r"[a-z0-9-]+", name):
        abort(404)
    # ok: py-open-redirect
    return redirect(name)


@app.route("/out")
def out():
    url = request.args.get("url", "")
    if urlparse(url).netloc not in {"docs.example.com", "status.example.com"}:
        abort(400)
    # ok: py-open-redirect
    return redirect(url)


@app.route("/home-page")
def home_page():
    # ok: py-open-redirect
    return redirect(url_for("index"))


def is_safe_url(target):
    """The Flask snippets' check: same host as this site after joining, http(s) only."""
    ref_url = urlparse(request.host_url)
    test_url = urlparse(urljoin(request.host_url, target))
    return test_url.scheme in ("http", "https") and ref_url.netloc == test_url.netloc


@app.route("/login-next")
def login_next():
    next_page = request.args.get("next")
    if not is_safe_url(next_page):
        return abort(400)
    # ok: py-open-redirect
    return redirect(next_page or url_for("index"))


@api.get("/sso/return")
async def sso_return(next: str = "/"):
    if next not in ALLOWED_NEXT:
        raise HTTPException(status_code=400, detail="unknown destination")
    # ok: py-open-redirect
    return RedirectResponse(next)


@api.get("/sso/return-unchecked")
async def sso_return_unchecked(next: str = "/"):
    # ruleid: py-open-redirect
    return RedirectResponse(next)
