# Test cases for py-xss-unescaped: `ruleid:` marks the next line as one that must be reported,
# `ok:` one that must not. Run with: prwarden rules test
import html
import json
import re

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.html import escape as django_escape
from django.utils.safestring import mark_safe
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from flask import Flask, Response, abort, jsonify, make_response, render_template, render_template_string, request
from markupsafe import Markup, escape

app = Flask(__name__)
api = FastAPI()


@app.route("/hello")
def hello():
    name = request.args.get("name", "world")
    template = f"<h1>Hello {name}!</h1>"
    # ruleid: py-xss-unescaped
    return render_template_string(template)


@app.route("/bio")
def bio():
    # ruleid: py-xss-unescaped
    bio_html = Markup(request.form["bio"])
    return render_template("bio.html", bio=bio_html)


@app.route("/comment")
def comment():
    # An inline template that turns escaping off for a user value.
    # ruleid: py-xss-unescaped
    return render_template_string(
        "<div class='comment'>{{ body|safe }}</div>",
        body=request.args["body"],
    )


@app.route("/greet")
def greet():
    user = request.args.get("user", "")
    # ruleid: py-xss-unescaped
    return "<p>Welcome back, " + user + "</p>"


@app.route("/search")
def search():
    query = request.args.get("q")
    if query:
        # ruleid: py-xss-unescaped
        return f"<h2>Results for {query}</h2>"
    return "<h2>Search</h2>"


@app.route("/card")
def card():
    title = request.args.get("title", "")
    card_html = "<div class='card'><h3>%s</h3></div>" % title
    # ruleid: py-xss-unescaped
    return card_html


@app.route("/api/user")
def api_user():
    user = load_user(request.args["id"])
    # A dict is sent as JSON.
    # ok: py-xss-unescaped
    return {"name": user.name}


@app.route("/preview-email")
def preview_email():
    # ruleid: py-xss-unescaped
    template = jinja_env.from_string(request.form["template"])
    return template.render(user=current_user)


@app.route("/banner")
def banner():
    # ruleid: py-xss-unescaped
    return Response("<marquee>" + request.args.get("text", "") + "</marquee>", mimetype="text/html")


def drf_echo(request):
    # Django REST framework: Response(data) is rendered as JSON.
    # ok: py-xss-unescaped
    return Response(request.data)


def django_search(request):
    term = request.GET["q"]
    # ruleid: py-xss-unescaped
    return HttpResponse(f"<h1>{term}</h1>")


def django_profile(request):
    signature = request.POST.get("signature", "")
    # ruleid: py-xss-unescaped
    context = {"signature": mark_safe(signature)}
    return HttpResponse(render_to_string("profile.html", context))


def django_page(request):
    title = request.GET.get("title")
    page = "<html><title>%s</title></html>" % title
    # ruleid: py-xss-unescaped
    return HttpResponse(page)


@api.get("/preview", response_class=HTMLResponse)
async def preview(text: str):
    # ruleid: py-xss-unescaped
    return HTMLResponse(content="<div>{}</div>".format(text))


@app.route("/safe-hello")
def safe_hello():
    # Jinja escapes template variables.
    # ok: py-xss-unescaped
    return render_template_string("<h1>Hello {{ name }}!</h1>", name=request.args.get("name"))


@app.route("/page")
def page():
    # ok: py-xss-unescaped
    return render_template("page.html", title=request.args.get("title"))


@app.route("/escaped")
def escaped():
    name = escape(request.args.get("name", ""))
    # ok: py-xss-unescaped
    return f"<h1>Hello {name}</h1>"


@app.route("/markup-format")
def markup_format():
    # Markup's % escapes its arguments.
    # ok: py-xss-unescaped
    return Markup("<b>%s</b>") % request.args.get("name")


@app.route("/api/echo")
def echo():
    # ok: py-xss-unescaped
    return jsonify({"echo": request.args.get("msg")})


def django_escaped(request):
    # ok: py-xss-unescaped
    return HttpResponse("<p>%s</p>" % django_escape(request.GET["q"]))


def django_json(request):
    # ok: py-xss-unescaped
    return JsonResponse({"q": request.GET.get("q")})


def django_api(request):
    payload = json.dumps({"q": request.GET.get("q")})
    # ok: py-xss-unescaped
    return HttpResponse(payload, content_type="application/json")


def django_rendered(request):
    body = render_to_string("results.html", {"q": request.GET.get("q")})
    # ok: py-xss-unescaped
    return HttpResponse(body)


def static_banner():
    # ok: py-xss-unescaped
    return Markup("<strong>Maintenance tonight</strong>")


@app.route("/count")
def count():
    items = int(request.args.get("n", "0"))
    # ok: py-xss-unescaped
    return f"<p>{items} items</p>"


@api.get("/greeting")
async def greeting(name: str):
    # FastAPI sends a returned string as JSON, not HTML.
    # ok: py-xss-unescaped
    return f"Hello {name}"


@app.route("/html-escaped")
def html_escaped():
    # ok: py-xss-unescaped
    return HttpResponse("<p>" + html.escape(request.args["q"]) + "</p>")


THEMES = {"light", "dark"}


# --- Guards and real-world idioms ---------------------------------------------------------------


@app.route("/welcome")
def welcome_page():
    name = request.args.get("name", "guest")
    # ok: py-xss-unescaped
    return render_template("welcome.html", name=name)


@app.route("/welcome-inline")
def welcome_inline():
    name = request.args.get("name", "guest")
    # ruleid: py-xss-unescaped
    return render_template_string("<h1>Hello " + name + "</h1>")


@app.route("/welcome-inline-safe")
def welcome_inline_safe():
    name = request.args.get("name", "guest")
    # ok: py-xss-unescaped
    return render_template_string("<h1>Hello {{ name }}</h1>", name=name)


@app.route("/theme")
def theme_page():
    theme = request.args.get("theme", "light")
    if theme not in THEMES:
        abort(400)
    # ok: py-xss-unescaped
    return f'<html class="{theme}"><body>...</body></html>'


@app.route("/tag/<tag>")
def tag_page(tag):
    if not re.fullmatch(r"[a-z0-9-]{1,40}", tag):
        abort(404)
    # ok: py-xss-unescaped
    return f"<h1>Posts tagged {tag}</h1>"


@app.route("/tag-unchecked/<tag>")
def tag_page_unchecked(tag):
    # ruleid: py-xss-unescaped
    return f"<h1>Posts tagged {tag}</h1>"


def django_hello(request):
    name = request.GET.get("name", "")
    # ruleid: py-xss-unescaped
    return HttpResponse(f"<p>Hello {name}</p>")


def django_hello_escaped(request):
    name = request.GET.get("name", "")
    # ok: py-xss-unescaped
    return HttpResponse(f"<p>Hello {html.escape(name)}</p>")


@app.route("/notice")
def notice():
    msg = request.args.get("msg", "")
    # ok: py-xss-unescaped
    return Markup("<div class='notice'>%s</div>") % msg


@app.route("/notice-raw")
def notice_raw():
    msg = request.args.get("msg", "")
    # ruleid: py-xss-unescaped
    return Markup(f"<div class='notice'>{msg}</div>")
