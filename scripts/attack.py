"""Replay the attacks of the security review against a live ``sitroom serve``.

    python scripts/attack.py            # starts its own server in a temporary folder
    python scripts/attack.py --keep     # ... and leaves the folder for a look at the log

Each attack is played as the attacker would: a Brenland player against Aldoria, an
anonymous client, someone on the machine, someone handed a run archive. The script prints
one line per attack with what the server did, and exits 1 if any attack was not refused.
The numbers are the items of the review (docs/security.md lists them with their controls).

Loopback has a whole /8 of addresses: each attack that counts failures comes from an address
of its own (127.0.0.N), so one attack's failures do not make the next one look refused.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PASSWORD = "attack-password-1"
RUN = "attack"
MIB = 1024 * 1024


@dataclass
class Outcome:
    """What one attack found: refused or not, and what the server did."""

    item: str
    attack: str
    refused: bool
    detail: str


@dataclass
class Room:
    """A live server with a run of the allied example and the people the attacks need."""

    base: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path
    admin: httpx.Client
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, address: str = "127.0.0.1", **kwargs: object) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=address)
        made = httpx.Client(base_url=self.base, timeout=60, transport=transport, **kwargs)  # type: ignore[arg-type]
        self.clients.append(made)
        return made

    def invite(self, who: httpx.Client | None = None, **body: object) -> dict[str, object]:
        reply = (who or self.admin).post(f"/api/runs/{RUN}/invitations", json=body)
        if reply.status_code != 201:
            raise RuntimeError(f"invitation {body} refused: {reply.status_code} {reply.text}")
        return dict(reply.json())

    def joined(self, invitation: dict[str, object], address: str = "127.0.0.1") -> httpx.Client:
        client = self.client(address)
        reply = client.post("/api/join", json={"code": invitation["code"]})
        reply.raise_for_status()
        client.headers["X-CSRF-Token"] = reply.json()["csrf_token"]
        return client

    def rss_peak_kib(self) -> int:
        """The server's peak resident memory so far (VmHWM), in KiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(match.group(1)) if match else 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sitroom(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SITROOM_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "sitroom", *args], env=env, capture_output=True, text=True
    )


@contextmanager
def live_server(data_dir: Path) -> Iterator[Room]:
    """``sitroom serve`` in a process of its own, an admin account and a run."""
    from sitroom.config import load_settings
    from sitroom.services.identity import Identity

    data_dir.mkdir(parents=True, exist_ok=True)
    settings = load_settings({"SITROOM_DATA_DIR": str(data_dir)})
    identity = Identity.open(settings.effective_database_url, settings)
    try:
        identity.create_account("admin", PASSWORD, "admin", "Administrator")
    finally:
        identity.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = data_dir / "server.log"
    env = {
        **os.environ,
        "SITROOM_DATA_DIR": str(data_dir),
        "SITROOM_BASE_URL": base,
        "SITROOM_HEARTBEAT": "0.5",
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "sitroom", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=out,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"the server did not come up; see {log}")
            time.sleep(0.1)
        admin = httpx.Client(base_url=base, timeout=60)
        reply = admin.post("/api/session", json={"username": "admin", "password": PASSWORD})
        reply.raise_for_status()
        admin.headers["X-CSRF-Token"] = reply.json()["csrf_token"]
        made = admin.post("/api/runs", json={"example": "allied-consultation", "run_id": RUN})
        if made.status_code != 201:
            raise RuntimeError(f"could not create the run: {made.status_code} {made.text}")
        for step in ("/start", "/modules/day1/open"):
            admin.post(f"/api/runs/{RUN}{step}", json={}).raise_for_status()
        room = Room(base, data_dir, process, log, admin)
        try:
            yield room
        finally:
            for client in room.clients:
                client.close()
            admin.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


# --- 1. session swap through a participant's Markdown --------------------------------------


def swap_by_markdown(room: Room) -> Iterator[Outcome]:
    brn = room.joined(room.invite(name="Bryn", role="player", team="brn-nss", single_use=False))
    ald = room.joined(room.invite(name="Alda", role="player", team="ald-nss"))
    own = room.invite(name="Bryn again", role="player", team="brn-nss", single_use=False)
    path = "/" + str(own["link"]).split("://", 1)[1].split("/", 1)[1]
    payload = f'Agreed. ![ ](../../..{path}) <img src="..{path}">'
    made = brn.post(
        f"/api/runs/{RUN}/decisions",
        json={"title": "Joint statement", "text": payload, "joint_with": ["ald"]},
    )
    made.raise_for_status()
    page = ald.get(f"/runs/{RUN}/play")
    from sitroom.web.pages.play_panels import PANELS

    panels = page.text + "".join(ald.get(f"/runs/{RUN}/play/panels/{name}").text for name in PANELS)
    images = re.findall(r"<img\b[^>]*>", panels)
    joins = [tag for tag in images if "join" in tag]
    yield Outcome(
        "1",
        "a join link as an image in a joint decision",
        not joins,
        f"Aldoria's page has {len(images)} <img> tags, {len(joins)} pointing at /join",
    )
    before = ald.get("/api/me").json()
    landed = ald.get(path, follow_redirects=False)
    after = ald.get("/api/me").json()
    kept = before.get("id") == after.get("id")
    yield Outcome(
        "1",
        "GET /join/<link> in a signed-in browser",
        kept,
        f"GET answered {landed.status_code}; signed in as {after.get('name')!r} afterwards",
    )
    for route, body in (
        ("/signin", {"username": "admin", "password": PASSWORD}),
        ("/join", {"code": str(own["code"])}),
    ):
        forged = room.client("127.0.0.9").post(
            route, data=body, headers={"Origin": "http://attacker.example"}
        )
        signed = "sitroom_session" in forged.cookies
        yield Outcome(
            "1",
            f"login CSRF: POST {route} from another origin",
            forged.status_code == 403 and not signed,
            f"answered {forged.status_code}, session cookie set: {signed}",
        )


# --- 2. huge bodies before authentication ----------------------------------------------------


def send_chunked(base: str, path: str, total: int, content_type: str) -> tuple[int, int]:
    """Stream ``total`` bytes chunked with no credentials; (status, bytes sent before it)."""
    host, port = base.split("://", 1)[1].split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    sock.sendall(head.encode())
    chunk = b"x" * (256 * 1024)
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    status = 0
    try:
        while sent < total:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            sock.sendall(framed)
            sent += len(chunk)
        else:
            sock.sendall(b"0\r\n\r\n")
        sock.settimeout(30)
        answer = sock.recv(4096).decode("latin-1")
        status = int(answer.split(" ", 2)[1]) if answer.startswith("HTTP/") else 0
    except OSError:
        status = status or -1  # the server hung up on us: it read no further
    finally:
        sock.close()
    return status, sent


def huge_bodies(room: Room) -> Iterator[Outcome]:
    for label, path, kind in (
        ("a 200 MB chunked JSON body to a run route", f"/api/runs/{RUN}/notes", "application/json"),
        (
            "a 200 MB chunked upload to the evidence route",
            "/api/series/s/actions/a/evidence",
            "multipart/form-data; boundary=x",
        ),
    ):
        before = room.rss_peak_kib()
        status, sent = send_chunked(room.base, path, 200 * MIB, kind)
        grew = (room.rss_peak_kib() - before) // 1024
        refused = status in (401, 403, 413, -1) and sent < 64 * MIB and grew < 100
        yield Outcome(
            "2",
            label,
            refused,
            f"answered {status} after {sent // MIB} MiB sent; peak memory grew {grew} MiB",
        )


# --- 3. idempotency keys across principals ---------------------------------------------------


def shared_keys(room: Room) -> Iterator[Outcome]:
    mallory = room.joined(room.invite(name="Mal", role="player", team="brn-mfd"))
    victim = room.joined(room.invite(name="Vic", role="player", team="ald-mfd"))
    notes = f"/api/runs/{RUN}/notes"
    reserved = mallory.post(notes, json={"text": "x"}, headers={"Idempotency-Key": "scheduled:1.2"})
    yield Outcome(
        "3",
        "a player's note under the scheduler's key scheduled:1.2",
        reserved.status_code == 422,
        f"answered {reserved.status_code}",
    )
    first = victim.post(notes, json={"text": "ZZVICTIM"}, headers={"Idempotency-Key": "k-1"})
    theirs = mallory.post(notes, json={"text": "mine"}, headers={"Idempotency-Key": "k-1"})
    learned = "ZZVICTIM" in theirs.text
    yield Outcome(
        "3",
        "reusing another player's key to read their event",
        first.is_success and theirs.is_success and not learned,
        f"answered {theirs.status_code}; the victim's text came back: {learned}",
    )
    changed = victim.post(notes, json={"text": "other"}, headers={"Idempotency-Key": "k-1"})
    yield Outcome(
        "3",
        "replaying a key with a different command",
        changed.status_code == 422,
        f"answered {changed.status_code}",
    )


# --- 4. rate limits ---------------------------------------------------------------------------


def wrong_login(client: httpx.Client, username: str, **headers: str) -> int:
    body = {"username": username, "password": "not-the-password"}
    return client.post("/api/session", json=body, headers=headers).status_code


def rate_limits(room: Room) -> Iterator[Outcome]:
    rotating = room.client("127.0.0.21")
    statuses = [
        wrong_login(rotating, f"nobody{n}", **{"X-Forwarded-For": f"203.0.113.{n}"})
        for n in range(14)
    ]
    yield Outcome(
        "4",
        "rotating X-Forwarded-For on wrong sign-ins",
        429 in statuses,
        f"statuses {''.join('.' if s == 403 else 'L' if s == 429 else '?' for s in statuses)}"
        " (. refused, L limited)",
    )
    interleaved = room.client("127.0.0.22")
    seen: list[int] = []
    for _ in range(3):
        seen += [wrong_login(interleaved, "admin") for _ in range(5)]
        right = interleaved.post("/api/session", json={"username": "admin", "password": PASSWORD})
        seen.append(right.status_code)
    yield Outcome(
        "4",
        "a right password between guesses to reset the count",
        429 in seen,
        f"statuses {' '.join(map(str, seen))}",
    )
    before = room.rss_peak_kib()
    results: list[int] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        with httpx.Client(
            base_url=room.base,
            timeout=60,
            transport=httpx.HTTPTransport(local_address="127.0.0.23"),
        ) as client:
            status = wrong_login(client, f"crowd{n}")
        with lock:
            results.append(status)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    hashed, limited = results.count(403), results.count(429)
    other = sorted(set(results) - {403, 429})
    grew = (room.rss_peak_kib() - before) // 1024
    yield Outcome(
        "4",
        "40 wrong sign-ins at once",
        hashed <= 10 and grew < 600,
        f"{hashed} checked, {limited} limited, {len(results) - hashed - limited} otherwise"
        f" {other}; peak memory grew {grew} MiB",
    )


# --- 5. a forged archive -----------------------------------------------------------------------


def forged_archive(room: Room) -> Iterator[Outcome]:
    from sitroom.storage.recorder import event_hash, parse_timestamp

    work = room.data_dir / "archive"
    work.mkdir(exist_ok=True)
    archive = work / "run.zip"
    exported = sitroom("export", RUN, "-o", str(archive), data_dir=room.data_dir)
    if exported.returncode != 0:
        yield Outcome("5", "export the run", False, exported.stderr.strip()[-200:])
        return
    keys = sitroom("keys", data_dir=room.data_dir).stdout
    fingerprint = re.search(r"fingerprint\s+(\S+)", keys)
    with zipfile.ZipFile(archive) as zipped:
        members = {name: zipped.read(name) for name in zipped.namelist()}
    manifest = json.loads(members["manifest.json"])
    prev = manifest["package_hash"]
    lines = []
    edited = 0
    for line in members["events.jsonl"].decode().splitlines():
        item = json.loads(line)
        if item["type"] == "team-note-added":
            item["payload"]["text"] = "FORGED"
            edited += 1
        item["prev_hash"] = prev
        item["hash"] = prev = event_hash(
            manifest["run_id"],
            item["seq"],
            item["type"],
            item["payload"],
            item["actor"],
            parse_timestamp(item["recorded_at"]),
            item["idempotency_key"],
            prev,
        )
        lines.append(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
    if not edited:
        yield Outcome("5", "forge the archive", False, "the run held no team note to edit")
        return
    members["events.jsonl"] = "".join(lines).encode()
    manifest["files"]["events.jsonl"] = (
        "sha256:" + hashlib.sha256(members["events.jsonl"]).hexdigest()
    )
    manifest["head_hash"] = prev
    members["manifest.json"] = json.dumps(manifest, indent=2).encode()
    forged = work / "forged.zip"
    with zipfile.ZipFile(forged, "w") as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
    trust = ["--trust", fingerprint.group(1)] if fingerprint else []
    elsewhere = work / "elsewhere"
    imported = sitroom("import", str(forged), *trust, data_dir=elsewhere)
    why = (imported.stderr or imported.stdout).strip().splitlines()
    yield Outcome(
        "5",
        "an edited archive with every hash recomputed",
        imported.returncode != 0 and bool(trust),
        f"import --trust <exporter> exit {imported.returncode}: {why[-1][:100] if why else ''}",
    )


# --- 6. gate leaks -----------------------------------------------------------------------------


def gate_leaks(room: Room) -> Iterator[Outcome]:
    brn = room.joined(room.invite(name="Bea", role="player", team="brn-nss"))
    made = room.admin.post(
        f"/api/runs/{RUN}/hot-wash",
        json={"kind": "improvement", "text": "ZZALD-ONLY-HOT-WASH", "party": "ald"},
    )
    made.raise_for_status()
    seen = [
        route
        for route in ("log", "evaluation")
        if "ZZALD-ONLY-HOT-WASH" in brn.get(f"/api/runs/{RUN}/{route}").text
    ]
    yield Outcome(
        "6",
        "Brenland reading Aldoria's hot-wash item",
        not seen,
        f"seen through: {', '.join(seen) or 'nothing'}",
    )
    polls = {poll["id"] for poll in brn.get(f"/api/runs/{RUN}/polls").json()}
    early = sorted(polls - {"d1-poll"})
    yield Outcome(
        "6",
        "a player reading polls of modules not yet opened",
        not early,
        f"polls a player sees: {', '.join(sorted(polls)) or 'none'}",
    )


# --- 7. privilege through invitations --------------------------------------------------------


def invitation_privilege(room: Room) -> Iterator[Outcome]:
    fran_invite = room.invite(name="Fran", role="facilitator")
    fran = room.joined(fran_invite)
    minted = fran.post(f"/api/runs/{RUN}/invitations", json={"name": "Eve", "role": "facilitator"})
    yield Outcome(
        "7",
        "a facilitator's invitation session minting a facilitator",
        minted.status_code == 403,
        f"answered {minted.status_code}",
    )
    pat = fran.post(
        f"/api/runs/{RUN}/invitations",
        json={"name": "Pat", "role": "player", "team": "ald-nss", "single_use": False},
    )
    pat.raise_for_status()
    room.admin.delete(f"/api/runs/{RUN}/invitations/{fran_invite['id']}").raise_for_status()
    late = room.client().post("/api/join", json={"code": pat.json()["code"]})
    yield Outcome(
        "7",
        "an invitation made by a revoked facilitator",
        late.status_code in (403, 410),
        f"joining with it answered {late.status_code}",
    )


# --- 8. bearer links ------------------------------------------------------------------------


def bearer_links(room: Room) -> Iterator[Outcome]:
    made = room.invite(name="Una", role="player", team="ald-mfd")
    code = str(made["code"])
    first = room.client().post("/api/join", json={"code": code})
    second = room.client().post("/api/join", json={"code": code})
    yield Outcome(
        "8",
        "a player's invitation used a second time",
        first.is_success and second.status_code in (403, 410),
        f"first {first.status_code}, second {second.status_code}",
    )
    link = room.invite(name="Lio", role="observer")
    token = str(link["link"]).rstrip("/").rsplit("/", 1)[1]
    room.client().get(f"/join/{token}")
    time.sleep(0.5)  # let the access log line reach the file
    logged = token in room.log.read_text(errors="replace")
    yield Outcome(
        "8",
        "an invitation link read back from the access log",
        not logged,
        f"the token is in the server's log: {logged}",
    )


ATTACKS: list[Callable[[Room], Iterator[Outcome]]] = [
    swap_by_markdown,
    huge_bodies,
    shared_keys,
    rate_limits,
    forged_archive,
    gate_leaks,
    invitation_privilege,
    bearer_links,
]


def attack(room: Room) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for play in ATTACKS:
        try:
            for outcome in play(room):
                outcomes.append(outcome)
                mark = "refused" if outcome.refused else "NOT REFUSED"
                print(
                    f"{outcome.item:>2}  {mark:<11}  {outcome.attack}: {outcome.detail}", flush=True
                )
        except Exception as exc:  # an attack that breaks the script is not a refusal
            outcomes.append(Outcome("?", play.__name__, False, repr(exc)))
            print(f" ?  NOT REFUSED  {play.__name__} could not be played: {exc!r}", flush=True)
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the server's folder and log")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="sitroom-attack-"))
    try:
        with live_server(folder / "data") as room:
            outcomes = attack(room)
    finally:
        if args.keep:
            print(f"server folder: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    failed = [o for o in outcomes if not o.refused]
    print(f"{len(outcomes) - len(failed)} of {len(outcomes)} attacks refused")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
