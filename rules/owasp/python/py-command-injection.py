# Test cases for py-command-injection: `ruleid:` marks the next line as one that must be
# reported, `ok:` one that must not. Run with: prwarden rules test
import asyncio
import os
import shlex
import subprocess
import subprocess as sp
from os import system
from subprocess import run

from django.http import HttpResponse
from fastapi import FastAPI
from flask import Flask, request

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
