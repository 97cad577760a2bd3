"""A small simple-repository index (PEP 503 HTML and PEP 691 JSON) over a folder of dists.

Why our own, beside pypiserver and devpi: neither can mark a file yanked (pypiserver has no
PEP 592; devpi 6.20 keeps yanks only on mirror indexes), and neither sends PEP 700 `versions`
or validators for conditional requests. This one does, so those paths are tested against a
server that really speaks HTTP, negotiates the format from `Accept` as PyPI does, and answers
`If-None-Match` with 304.

Three roots over the same files: `/simple/` (API 1.1: PEP 700 `versions` in JSON), `/plain/`
(API 1.0: JSON without `versions`, like devpi) and `/html/` (HTML whatever the client accepts,
like pypiserver, but with `data-yanked`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import socket
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import uvicorn
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
LAST_MODIFIED = "Tue, 01 Sep 2026 00:00:00 GMT"


def project_of(filename: str) -> str:
    """The canonical project a dist file belongs to (unparseable versions included)."""
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return str(canonicalize_name(filename.split("-", 1)[0]))


class SimpleIndex:
    """The index app: `dists` is the folder of files, `yanked` maps a file name to its reason."""

    def __init__(self, dists: Path, yanked: Mapping[str, str] | None = None, credentials: tuple[str, str] | None = None) -> None:
        self.dists = dists
        self.yanked = dict(yanked or {})
        self._expected_auth = (
            "Basic " + base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode() if credentials else None
        )
        self.app = Starlette(
            routes=[
                Route("/simple/{project}/", self._project_v11),
                Route("/plain/{project}/", self._project_v10),
                Route("/html/{project}/", self._project_html),
                Route("/files/{filename}", self._file),
            ]
        )

    def _files(self, project: str) -> list[Path]:
        wanted = canonicalize_name(project)
        return sorted(p for p in self.dists.iterdir() if p.is_file() and project_of(p.name) == wanted)

    async def _project_v11(self, request: Request) -> Response:
        return self._project(request, with_versions=True)

    async def _project_v10(self, request: Request) -> Response:
        return self._project(request, with_versions=False)

    async def _project_html(self, request: Request) -> Response:
        return self._project(request, with_versions=False, html_only=True)

    def _project(self, request: Request, *, with_versions: bool, html_only: bool = False) -> Response:
        if self._expected_auth and request.headers.get("authorization") != self._expected_auth:
            return Response("authentication required", 401, {"WWW-Authenticate": 'Basic realm="index"'})
        project = request.path_params["project"]
        if project != canonicalize_name(project):
            return Response(status_code=301, headers={"Location": f"../{canonicalize_name(project)}/"})
        files = self._files(project)
        if not files:
            return Response("not found", 404)
        if not html_only and _wants_json(request.headers.get("accept", "")):
            body, media_type = self._json(project, files, with_versions), JSON_TYPE
        else:
            body, media_type = self._html(project, files), HTML_TYPE
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED, "Vary": "Accept"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, 200, headers, media_type=media_type)

    def _json(self, project: str, files: list[Path], with_versions: bool) -> bytes:
        document: dict[str, object] = {
            "meta": {"api-version": "1.1" if with_versions else "1.0"},
            "name": project,
            "files": [self._file_entry(p) for p in files],
        }
        if with_versions:
            versions = []
            for path in files:
                try:
                    version = str(parse_wheel_filename(path.name)[1] if path.name.endswith(".whl") else parse_sdist_filename(path.name)[1])
                except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
                    continue
                if version not in versions:
                    versions.append(version)
            document["versions"] = versions
        return json.dumps(document).encode()

    def _file_entry(self, path: Path) -> dict[str, object]:
        entry: dict[str, object] = {
            "filename": path.name,
            "url": f"../../files/{path.name}",
            "hashes": {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()},
        }
        if path.name in self.yanked:
            entry["yanked"] = self.yanked[path.name] or True
        return entry

    def _html(self, project: str, files: list[Path]) -> bytes:
        links = []
        for path in files:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            yanked = f' data-yanked="{html.escape(self.yanked[path.name])}"' if path.name in self.yanked else ""
            links.append(f'<a href="../../files/{path.name}#sha256={digest}"{yanked}>{html.escape(path.name)}</a><br/>')
        page = (
            '<!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.0">'
            f"<title>Links for {html.escape(project)}</title></head><body><h1>Links for {html.escape(project)}</h1>"
            + "\n".join(links)
            + "</body></html>"
        )
        return page.encode()

    async def _file(self, request: Request) -> Response:
        path = self.dists / Path(request.path_params["filename"]).name
        if not path.is_file():
            return Response("not found", 404)
        return FileResponse(path)


def _wants_json(accept: str) -> bool:
    """True when the client lists the JSON type with a non-zero quality at least the HTML one's."""
    qualities: dict[str, float] = {}
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        quality = 1.0
        for parameter in fields[1:]:
            if parameter.startswith("q="):
                try:
                    quality = float(parameter[2:])
                except ValueError:
                    quality = 0.0
        qualities[fields[0].lower()] = quality
    json_q = max(qualities.get(JSON_TYPE, 0.0), qualities.get("application/vnd.pypi.simple.latest+json", 0.0))
    html_q = max(qualities.get(HTML_TYPE, 0.0), qualities.get("text/html", 0.0), qualities.get("*/*", 0.0))
    return json_q > 0 and json_q >= html_q


class ThreadedServer:
    """An ASGI app served by uvicorn in a thread, on a port the OS picks."""

    def __init__(self, app: Starlette) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)
        self.startup_seconds = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadedServer:
        began = time.monotonic()
        self._thread.start()
        deadline = began + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the simple index did not start")
            time.sleep(0.01)
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)
        self._socket.close()
