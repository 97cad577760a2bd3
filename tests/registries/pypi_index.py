"""Real Python package indexes for the tests, serving real (tiny) wheels and sdists built here.

- pypiserver 2.4: the PEP 503 HTML simple API only, here behind htpasswd basic auth for every
  read, so credentials in `PIP_INDEX_URL` are exercised. It cannot mark yanks.
- devpi-server 6.20 in `--offline-mode`: PEP 691 JSON (and HTML), no PEP 700 `versions`;
  files are uploaded as `twine` does. Its private indexes cannot mark yanks either.
- `simple_index.SimpleIndex`: ours, for yanks (PEP 592), PEP 700 and conditional requests.

Both servers are installed with the project's test extra (pyproject.toml) and run from this
venv's Python; each session gets fresh state in a temporary folder.
"""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.registries.process import free_port, stop_process, wait_until_ready


@dataclass(frozen=True)
class Dist:
    project: str
    """As the author spells it; file names use the wheel/sdist normalisation below."""
    version: str
    kind: str
    """"wheel", "sdist" (.tar.gz), "zip" (legacy sdist) or "junk" (a file pip cannot read)."""
    stem: str | None = None
    """File-name stem when not the normalised one (legacy sdists such as `Friendly.Bard-0.9`)."""

    @property
    def filename(self) -> str:
        stem = self.stem or f"{self.project.replace('-', '_').replace('.', '_')}-{self.version}"
        return {
            "wheel": f"{stem}-py3-none-any.whl",
            "sdist": f"{stem}.tar.gz",
            "zip": f"{stem}.zip",
            "junk": f"{stem}.tar.gz",
        }[self.kind]


PYPI_FIXTURES: tuple[Dist, ...] = (
    Dist("demo-lib", "1.0.0", "sdist"),
    Dist("demo-lib", "1.0.0", "wheel"),
    Dist("demo-lib", "1.5.0", "zip"),
    Dist("demo-lib", "2.0.0", "sdist"),
    Dist("demo-lib", "2.0.0", "wheel"),
    Dist("demo-lib", "2.1.0", "sdist"),
    Dist("demo-lib", "2.1.0", "wheel"),
    Dist("demo-lib", "3.0.0rc1", "wheel"),
    Dist("demo-lib", "3.1.0.dev1", "sdist"),
    Dist("demo-lib", "latest", "junk"),
    Dist("Friendly.Bard", "0.9", "sdist", stem="Friendly.Bard-0.9"),
    Dist("Friendly.Bard", "1.0.0", "wheel"),
    Dist("partly-yanked", "1.0.0", "sdist"),
    Dist("partly-yanked", "1.0.0", "wheel"),
    Dist("partly-yanked", "1.1.0", "wheel"),
)
YANKED: dict[str, str] = {
    "demo_lib-2.1.0.tar.gz": "broken import",
    "demo_lib-2.1.0-py3-none-any.whl": "broken import",
    "partly_yanked-1.0.0.tar.gz": "",
    "partly_yanked-1.1.0-py3-none-any.whl": "regression",
}
"""Honoured only by `SimpleIndex` (file name -> reason, "" for none)."""


def build_wheel(dest: Path, dist: Dist) -> Path:
    """A minimal valid wheel: a module and its .dist-info (METADATA, WHEEL, RECORD)."""
    distribution = dist.project.replace("-", "_").replace(".", "_")
    info = f"{distribution}-{dist.version}.dist-info"
    files = {
        f"{distribution}/__init__.py": b"",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist.project}\nVersion: {dist.version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: prwarden-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [f"{name},sha256={_urlsafe_digest(data)},{len(data)}" for name, data in files.items()]
    files[f"{info}/RECORD"] = ("\n".join(record) + f"\n{info}/RECORD,,\n").encode()
    path = dest / dist.filename
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)
    return path


def build_sdist(dest: Path, dist: Dist) -> Path:
    """A minimal sdist: `<stem>/PKG-INFO` and `<stem>/pyproject.toml`, as .tar.gz or .zip."""
    path = dest / dist.filename
    stem = path.name.removesuffix(".tar.gz").removesuffix(".zip")
    files = {
        f"{stem}/PKG-INFO": f"Metadata-Version: 2.1\nName: {dist.project}\nVersion: {dist.version}\n".encode(),
        f"{stem}/pyproject.toml": f'[project]\nname = "{dist.project}"\nversion = "{dist.version}"\n'.encode(),
    }
    if dist.kind == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in files.items():
                archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)
        return path
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            member = tarfile.TarInfo(name)
            member.size = len(data)
            member.mtime = 1767225600
            archive.addfile(member, io.BytesIO(data))
    return path


def build_fixture_dists(dest: Path) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    return [build_wheel(dest, d) if d.kind == "wheel" else build_sdist(dest, d) for d in PYPI_FIXTURES]


def _urlsafe_digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _script(name: str) -> str:
    """A console script of this venv (pypi-server, devpi-server, ...)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise RuntimeError(f"{name} is not installed: run `pip install -e '.[test]'`")
    return str(path)


class PypiServer:
    """pypiserver over `dists`, every read behind basic auth; no fallback to a public index."""

    def __init__(self, workdir: Path, dists: Path, username: str, password: str) -> None:
        self.workdir = workdir
        self.dists = dists
        self.username = username
        self.password = password
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0

    @property
    def url(self) -> str:
        """The simple index root, without credentials."""
        return f"http://127.0.0.1:{self.port}/simple/"

    def start(self) -> PypiServer:
        # Apache's {SHA} form: weak, but fine for a throwaway server, and no passlib import here.
        digest = base64.b64encode(hashlib.sha1(self.password.encode()).digest()).decode()
        (self.workdir / "htpasswd").write_text(f"{self.username}:{{SHA}}{digest}\n")
        log_path = self.workdir / "pypiserver.log"
        began = time.monotonic()
        self.port = free_port()
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [
                    _script("pypi-server"), "run",
                    "--host", "127.0.0.1", "--port", str(self.port),
                    "--disable-fallback",  # else unknown names redirect to the public index
                    "--authenticate", "download,list,update",
                    "--passwords", str(self.workdir / "htpasswd"),
                    "--health-endpoint", "/health",
                    str(self.dists),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until_ready(f"http://127.0.0.1:{self.port}/health", self.proc, log_path)
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


class Devpi:
    """devpi-server, offline, with one private index `root/fixtures`."""

    ROOT_PASSWORD = "devpi-root-password"
    INDEX = "root/fixtures"
    FAST_ARGON2 = ("--argon2-memory-cost", "8", "--argon2-parallelism", "1", "--argon2-time-cost", "1")
    """devpi derives its auth key with argon2 at 512 MB x 16 rounds: ~4.5 s of every start.
    These (hidden) options are what devpi's own test suite uses; fine for a throwaway server."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.serverdir = workdir / "devpi"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0
        self._auth: dict[str, str] = {}

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The index's simple API root."""
        return f"{self.root}/{self.INDEX}/+simple/"

    def start(self) -> Devpi:
        began = time.monotonic()
        subprocess.run(
            [_script("devpi-init"), "--serverdir", str(self.serverdir), "--no-root-pypi", "--root-passwd", self.ROOT_PASSWORD],
            check=True,
            capture_output=True,
            timeout=120,
        )
        log_path = self.workdir / "devpi.log"
        self.port = free_port()
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [
                    _script("devpi-server"), "--serverdir", str(self.serverdir), "--offline-mode",
                    "--host", "127.0.0.1", "--port", str(self.port), *self.FAST_ARGON2,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until_ready(f"{self.root}/+api", self.proc, log_path)
        self._login()
        response = httpx.put(f"{self.root}/{self.INDEX}", json={"bases": [], "volatile": True}, headers=self._auth, timeout=30)
        response.raise_for_status()
        self.startup_seconds = time.monotonic() - began
        return self

    def _login(self) -> None:
        """devpi's login token: checking a password costs an argon2 hash on every request
        (~200 ms), a token does not."""
        response = httpx.post(f"{self.root}/+login", json={"user": "root", "password": self.ROOT_PASSWORD}, timeout=30)
        response.raise_for_status()
        token = response.json()["result"]["password"]
        self._auth = {"X-Devpi-Auth": base64.b64encode(f"root:{token}".encode()).decode()}

    def upload(self, path: Path, project: str, version: str) -> None:
        """The upload `twine` sends (the legacy `file_upload` form)."""
        with httpx.Client(headers=self._auth, timeout=30) as client:
            response = client.post(
                f"{self.root}/{self.INDEX}/",
                data={":action": "file_upload", "name": project, "version": version},
                files={"content": (path.name, path.read_bytes(), "application/octet-stream")},
            )
        if response.status_code >= 300:
            raise RuntimeError(f"devpi upload {path.name}: HTTP {response.status_code} {response.text[:300]}")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
