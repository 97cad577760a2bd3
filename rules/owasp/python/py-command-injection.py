# Test cases for py-command-injection: `ruleid:` marks the next line as one that must be
# reported, `ok:` one that must not. Run with: prwarden rules test
import asyncio
import os
import re
import shlex
import subprocess
import subprocess as sp
from os import system
from subprocess import run

from django.http import HttpResponse
from fastapi import FastAPI
from flask import Flask, abort, request

app = Flask(__name__)
api = FastAPI()


@app.route("/ping")
def ping():
    host = request.args.get("host")
    # ruleid: py-command-injection
    os.system("ping -c 1 " + host)
    return "sent"


@app.route("/lookup", methods=["POST"])
def lookup():
    domain = request.form["domain"].strip()
    # ruleid: py-command-injection
    output = subprocess.check_output(f"nslookup {domain}", shell=True)
    return output


def convert_view(request):
    """Django view: request.GET is user input."""
    name = request.GET["name"]
    command = "convert uploads/%s output.pdf" % name
    # A multi-line call: editing any of its lines reports it.
    # ruleid: py-command-injection
    result = sp.run(
        command,
        shell=True,
        capture_output=True,
    )
    return HttpResponse(result.stdout)


@api.get("/archive")
def archive(path: str):
    # FastAPI: a route parameter is user input.
    # ruleid: py-command-injection
    run(f"tar czf /tmp/out.tgz {path}", shell=True, check=True)
    return {"ok": True}


@app.route("/grep")
def grep():
    pattern = request.args["q"]
    # ruleid: py-command-injection
    listing = os.popen("grep -r '{}' /srv/docs".format(pattern)).read()
    return listing


@app.route("/exec")
def run_in_shell():
    script = request.json.get("script")
    # ruleid: py-command-injection
    subprocess.Popen(["/bin/bash", "-c", script])
    return "started"


@app.route("/du")
def disk_usage():
    folder = request.values.get("folder", ".")
    # ruleid: py-command-injection
    system("du -sh " + folder)
    return "ok"


@app.route("/status")
def status():
    unit = request.args["unit"]
    # ruleid: py-command-injection
    return subprocess.getoutput(f"systemctl status {unit}")


@api.post("/async-run")
async def async_run(cmd: str):
    # ruleid: py-command-injection
    proc = await asyncio.create_subprocess_shell(cmd)
    await proc.wait()


@app.route("/cleanup", methods=["POST"])
def cleanup():
    paths = [f"/srv/uploads/{name}" for name in request.form.getlist("names")]
    # ruleid: py-command-injection
    subprocess.run("rm -f " + " ".join(paths), shell=True)
    return "ok"


@app.route("/safe-ping")
def safe_ping():
    host = request.args.get("host")
    # An argument list without a shell: no shell parses the host.
    # ok: py-command-injection
    subprocess.run(["ping", "-c", "1", host], check=True)
    return "sent"


@app.route("/quoted")
def quoted():
    name = request.args["name"]
    # ok: py-command-injection
    subprocess.run(f"ls -l {shlex.quote(name)}", shell=True)
    safe = shlex.quote(request.args["other"])
    # ok: py-command-injection
    os.system("cat " + safe)
    return "ok"


@app.route("/tail")
def tail():
    lines = int(request.args.get("n", "10"))
    # ok: py-command-injection
    os.system(f"tail -n {lines} /var/log/app.log")
    return "ok"


# ok: py-command-injection
os.system("clear")

# ok: py-command-injection
subprocess.run("ls -la /tmp | wc -l", shell=True)


def rotate_logs():
    # ok: py-command-injection
    subprocess.call(["logrotate", "/etc/logrotate.conf"])


@app.route("/note")
def note():
    text = request.args["text"]
    # The word in a string is not a call.
    # ok: py-command-injection
    message = "do not pass " + text + " to os.system(cmd, shell=True)"
    # ok: py-command-injection
    # os.system(request.args["cmd"])
    return message


@app.route("/version")
def version():
    # ok: py-command-injection
    out = subprocess.check_output("git rev-parse HEAD", shell=True)
    # platform.system() takes no command.
    # ok: py-command-injection
    name = platform.system()
    return out + name


def render_pdf(url, out_path):
    # A helper whose callers pass the data in.
    # ruleid: py-command-injection
    subprocess.run(f"wkhtmltopdf {url} {out_path}", shell=True)


def archive(path):
    # ok: py-command-injection
    subprocess.run(["tar", "-czf", "backup.tgz", path])


FORMATS = ("png", "jpg", "webp")


# --- Real-world idioms ---------------------------------------------------------------------------


@app.route("/ls")
def list_dir():
    user = request.args.get("user", "")
    # An argument list without a shell: the value is one argv entry.
    # ok: py-command-injection
    out = subprocess.run(["ls", "-la", f"/home/{user}"], capture_output=True, text=True)
    return out.stdout


@app.route("/grep")
def grep_logs():
    pattern = request.args.get("q", "")
    # ruleid: py-command-injection
    out = subprocess.run(f"grep -rn {pattern} /var/log/app", shell=True, capture_output=True, text=True)
    return out.stdout


@app.route("/grep-quoted")
def grep_quoted():
    pattern = request.args.get("q", "")
    # ok: py-command-injection
    out = subprocess.run(f"grep -rn {shlex.quote(pattern)} /var/log/app", shell=True, capture_output=True)
    return out.stdout


@app.route("/convert")
def convert_format():
    fmt = request.args.get("format", "png")
    if fmt not in FORMATS:
        abort(400)
    # ok: py-command-injection
    subprocess.check_call(f"convert upload.pdf out.{fmt}", shell=True)
    return "ok"


@app.route("/host")
def host_lookup():
    host = request.args.get("host", "")
    if not re.fullmatch(r"[A-Za-z0-9.-]{1,253}", host):
        abort(400)
    # ok: py-command-injection
    return subprocess.check_output(f"nslookup {host}", shell=True).decode()


@app.route("/host-loose")
def host_lookup_loose():
    host = request.args.get("host", "")
    if len(host) > 253:
        abort(400)
    # ruleid: py-command-injection
    return subprocess.check_output(f"nslookup {host}", shell=True).decode()


@app.route("/archive-named")
def archive_named():
    name = request.form["name"]
    # ruleid: py-command-injection
    os.system("tar czf /tmp/%s.tgz /srv/data" % name)
    return "queued"


@app.route("/git-version")
def git_version():
    # ok: py-command-injection
    return subprocess.check_output("git rev-parse --short HEAD", shell=True).decode()
