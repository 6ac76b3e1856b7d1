"""The shipped nginx configuration (deploy/nginx/), rendered for a test and run in the foreground.

Only what a test machine must change is changed: the upstream's servers, the ports, the
certificate (self-signed, made here) and the path of the included proxy rules. Everything
else, TLS, HTTP/2 and the proxy rules, is the file operators install.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.certs import self_signed as certificate

NGINX_DIR = Path(__file__).resolve().parents[2] / "deploy" / "nginx"


def nginx_binary() -> str:
    """Debian's nginx, or fail saying how to install it (skip with SITROOM_SKIP_NGINX=1)."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None
    )
    if found is None:
        if os.environ.get("SITROOM_SKIP_NGINX") == "1":
            pytest.skip("no nginx and SITROOM_SKIP_NGINX=1")
        pytest.fail("nginx is missing: apt-get install nginx-light (make test does it)")
    return found


def self_signed(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A certificate and key for ``host``, valid for a day."""
    return certificate(
        folder / "fullchain.pem", folder / "privkey.pem", common_name=host, addresses=(host,)
    )


def render_site(folder: Path, upstreams: Sequence[int], http_port: int, https_port: int) -> Path:
    """deploy/nginx/sitroom.conf with this machine's ports, certificate and include path."""
    text = (NGINX_DIR / "sitroom.conf").read_text(encoding="utf-8")
    cert, key = self_signed(folder)
    servers = "".join(
        f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;\n" for port in upstreams
    )
    text, count = re.subn(r"(    server sitroom-\d:8000 [^\n]*\n)+", servers, text)
    assert count == 1, "the upstream's server lines changed shape"
    replacements = {
        "    listen [::]:80;\n": "",
        "    listen [::]:443 ssl http2;\n": "",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "/etc/nginx/certs/fullchain.pem": str(cert),
        "/etc/nginx/certs/privkey.pem": str(key),
        "/etc/nginx/sitroom-proxy.conf": str(NGINX_DIR / "sitroom-proxy.conf"),
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx/sitroom.conf no longer has {old!r}"
        text = text.replace(old, new)
    site = folder / "sitroom.conf"
    site.write_text(text, encoding="utf-8")
    return site


def render_main(folder: Path, site: Path) -> Path:
    """A top-level nginx.conf around the site: foreground, everything under ``folder``."""
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "".join(
        f"    {kind}_temp_path {folder / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = folder / "nginx.conf"
    conf.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} info;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"    access_log {folder / 'access.log'};\n{temp}"
        f"    include {site};\n"
        "}\n",
        encoding="utf-8",
    )
    return conf


@contextmanager
def running_nginx(
    folder: Path, upstreams: Sequence[int], http_port: int, https_port: int
) -> Iterator[str]:
    """nginx in front of ``upstreams``; yields its https base URL."""
    binary = nginx_binary()
    folder.mkdir(parents=True, exist_ok=True)
    conf = render_main(folder, render_site(folder, upstreams, http_port, https_port))
    check = subprocess.run(
        [binary, "-t", "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [binary, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"https://127.0.0.1:{https_port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, (folder / "error.log").read_text()
            try:
                httpx.get(f"{base}/api/health", verify=False, timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "nginx did not come up"
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()  # SIGTERM: nginx's fast shutdown
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
