"""The service over time: live reload, graceful shutdown, and a crash during a burst."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import pytest

from tests.servers import Server, configmap, log_lines, signal, wait_for

PACK = """\
pack demo
  name "Demo kommun"
  dated 2020-01-01
  version "{version}"
  default {default}

rule likes-own
  on like_page
  allow when page_category == own
  because "Only our own pages."
  source "Gilla"
"""

V1 = PACK.format(version="1.0.0", default="deny")
V2 = PACK.format(version="2.0.0", default="allow")
BROKEN = V2.replace("on like_page", "on like_pages")      # a compile error at 8:3
OTHER = {"pack": "demo", "action": "like_page", "facts": {"page_category": "other"},
         "at": "2025-01-01"}


def write(path, text):
    """Replace the file the way editors that save atomically do."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


@pytest.fixture
def watched(tmp_path):
    packs = tmp_path / "packs"
    packs.mkdir()
    write(packs / "demo.policy", V1)
    s = Server(tmp_path, "--no-installed", "--packs", str(packs), "--watch",
               "--decision-log", str(tmp_path / "log.jsonl"), "--flush-interval", "0.05").start()
    s.pack_file = packs / "demo.policy"
    s.log = tmp_path / "log.jsonl"
    yield s
    s.stop()


def version_and_outcome(server):
    d = server.post("/v1/decide", OTHER).json
    return d["pack_version"], d["outcome"]


def test_reload_good_edit_broken_edit_fixed_again(watched):
    assert version_and_outcome(watched) == ("1.0.0", "deny")

    write(watched.pack_file, V2)                               # a good edit
    wait_for(lambda: version_and_outcome(watched) == ("2.0.0", "allow"))
    assert watched.get("/v1/packs/demo").json["status"] == "ok"

    write(watched.pack_file, BROKEN)                           # a broken edit
    info = wait_for(lambda: (lambda p: p if p["status"] == "error" else None)(
        watched.get("/v1/packs/demo").json))
    (problem,) = info["errors"]
    assert (problem["code"], problem["line"], problem["column"]) == ("unknown-action", 8, 3)
    assert problem["file"] == str(watched.pack_file)
    assert "did you mean 'like_page'" in problem["message"]
    assert info["version"] == "2.0.0" and info["failed_at"]    # the last good one serves
    assert version_and_outcome(watched) == ("2.0.0", "allow")
    assert "pack 'demo' failed to load; still serving version 2.0.0" in watched.stderr
    assert watched.get("/healthz").json["failed"] == 1

    write(watched.pack_file, V1.replace("1.0.0", "3.0.0"))     # fixed again
    wait_for(lambda: version_and_outcome(watched) == ("3.0.0", "deny"))
    info = watched.get("/v1/packs/demo").json
    assert (info["status"], info["errors"], info["failed_at"]) == ("ok", [], None)
    versions = wait_for(lambda: (lambda v: v if v[-1] == "3.0.0" else None)(
        [e["pack_version"] for e in log_lines(watched.log)]))
    assert versions[0] == "1.0.0" and "2.0.0" in versions


def test_no_request_sees_a_half_loaded_pack(watched):
    """Batches decided while the pack flips between versions: each is one version."""
    expected = {"1.0.0": "deny", "2.0.0": "allow"}
    seen: list[tuple[int, set[tuple[str, str]]]] = []
    done = threading.Event()

    def hammer():
        while not done.is_set():
            reply = watched.post("/v1/decide/batch", {"requests": [OTHER] * 10})
            decisions = reply.json["decisions"] if reply.status == 200 else []
            seen.append((reply.status, {(d["pack_version"], d["outcome"]) for d in decisions}))

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        for text, version in [(V2, "2.0.0"), (V1, "1.0.0")] * 3:
            write(watched.pack_file, text)
            wait_for(lambda v=version: version_and_outcome(watched)[0] == v)
    finally:
        done.set()
        thread.join()
    assert len(seen) > 10
    for status, pairs in seen:
        assert status == 200 and len(pairs) == 1
        ((version, outcome),) = pairs
        assert expected[version] == outcome
    assert {v for _, pairs in seen for v, _ in pairs} == {"1.0.0", "2.0.0"}


def test_a_pack_that_never_loaded_answers_503_and_shows_its_errors(tmp_path):
    packs = tmp_path / "packs"
    packs.mkdir()
    write(packs / "demo.policy", V1)
    write(packs / "broken.policy", BROKEN.replace("pack demo", "pack broken"))
    s = Server(tmp_path, "--no-installed", "--packs", str(packs)).start()
    try:
        assert "pack 'broken' failed to load; not serving it" in s.stderr
        reply = s.post("/v1/decide", dict(OTHER, pack="broken"))
        assert reply.status == 503 and reply.json["error"]["code"] == "pack-unavailable"
        assert "8:3: unknown action 'like_pages'" in reply.json["error"]["message"]
        info = s.get("/v1/packs/broken").json
        assert (info["status"], info["version"], info["errors"][0]["line"]) == ("error", None, 8)
        assert s.get("/healthz").json == {"status": "ok", "packs": 1, "failed": 1,
                                          "generation": 1}
        answers = s.post("/access/v1/evaluations", {
            "action": {"name": "like_page"},
            "resource": {"type": "page", "id": "p", "properties": {"page_category": "own"}},
            "evaluations": [{"subject": {"type": "municipality", "id": "broken"}},
                            {"subject": {"type": "municipality", "id": "demo"}}]}).json
        assert answers["evaluations"][0]["context"]["error"]["status"] == 503
        assert answers["evaluations"][1]["decision"] is True
        assert s.post("/v1/decide", OTHER).json["outcome"] == "deny"
    finally:
        s.stop()


def test_sigterm_finishes_requests_in_flight_and_flushes_the_log(tmp_path):
    log = tmp_path / "log.jsonl"
    # a long flush interval: nothing reaches the file unless shutdown flushes it
    s = Server(tmp_path, "--decision-log", str(log), "--flush-interval", "10").start()
    try:
        for i in range(5):
            s.post("/v1/decide", {"pack": "tyreso", "action": "close_channel"},
                   headers={"X-Request-ID": f"before-{i}"})
        body = json.dumps({"pack": "tyreso", "action": "like_page",
                           "facts": {"page_category": "commercial"}}).encode()
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as c:
            c.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nX-Request-ID: in-flight\r\n"
                      b"Content-Length: %d\r\n\r\n%s" % (len(body), body[:25]))
            time.sleep(0.3)
            s.send_signal(signal.SIGTERM)             # the request is half sent
            time.sleep(0.3)
            assert s.process.poll() is None           # still waiting for it
            c.sendall(body[25:])
            answer = b""
            while chunk := c.recv(65536):          # the server closes after answering
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200 OK")
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["outcome"] == "deny"
        assert s.process.wait(15) in (0, -signal.SIGTERM)
    finally:
        s.stop()
    entries = log_lines(log)
    assert [e["request_id"] for e in entries] == [f"before-{i}" for i in range(5)] + ["in-flight"]
    assert "flushed and closed (6 entries written)" in s.stderr


def test_kill_9_during_a_burst_leaves_only_whole_lines(tmp_path):
    log = tmp_path / "log.jsonl"
    s = Server(tmp_path, "--decision-log", str(log), "--flush-interval", "0.01").start()
    answered: list[str] = []
    batch = {"requests": [{"pack": "vara", "action": "create_channel",
                           "facts": {"account_type": "organisation", "platform": "å" * 200}}] * 25}

    def burst(worker: int):
        for i in range(10_000):
            try:
                reply = s.post("/v1/decide/batch", batch, headers={"X-Request-ID": f"{worker}-{i}"},
                               timeout=5)
            except (OSError, http.client.HTTPException):     # the server is gone
                return
            if reply.status == 200:
                answered.append(f"{worker}-{i}")

    threads = [threading.Thread(target=burst, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(answered) > 40 and log.exists() and log.stat().st_size > 0,
                 timeout=20)
        s.stop(signal.SIGKILL)
    finally:
        for t in threads:
            t.join()
        s.stop()
    entries = log_lines(log)                         # fails on any partial line
    assert len(entries) >= 25
    per_request: dict[str, int] = {}
    for e in entries:
        assert e["decision"]["outcome"] and e["request"]["facts"]["platform"] == "å" * 200
        per_request[e["request_id"]] = per_request.get(e["request_id"], 0) + 1
    assert set(per_request.values()) == {25}        # a batch is written whole or not at all
    # a restarted service appends after the last whole line
    again = Server(tmp_path, "--decision-log", str(log), "--flush-interval", "0").start()
    try:
        again.post("/v1/decide", {"pack": "vara", "action": "close_channel"},
                   headers={"X-Request-ID": "after-restart"})
    finally:
        again.stop()
    assert log_lines(log)[-1]["request_id"] == "after-restart"


# ---- live reload from a ConfigMap, and of half-written files (issue 13, kinds 11, 12) ----

def configmap_update(root, text, stamp):
    """Mount or update ``root/demo.policy`` the way the kubelet updates a ConfigMap."""
    configmap(root, {"demo.policy": text}, stamp)


@pytest.mark.parametrize("named", ["file", "folder"])
def test_a_configmap_swap_is_served_whether_the_file_or_the_folder_is_named(tmp_path, named):
    cfg = tmp_path / "cfg"
    configmap_update(cfg, V1, "2025_01_01_00_00_00.1")
    path = cfg / "demo.policy" if named == "file" else cfg
    s = Server(tmp_path, "--no-installed", "--packs", str(path), "--watch",
               "--watch-interval", "0.05", "--watch-settle", "0.1").start()
    try:
        assert version_and_outcome(s) == ("1.0.0", "deny")
        configmap_update(cfg, V2, "2025_01_01_00_01_00.2")
        wait_for(lambda: version_and_outcome(s) == ("2.0.0", "allow"))
        configmap_update(cfg, V1.replace("1.0.0", "3.0.0"), "2025_01_01_00_02_00.3")
        wait_for(lambda: version_and_outcome(s) == ("3.0.0", "deny"))
        assert s.get("/v1/packs/demo").json["origin"] == str(cfg / "demo.policy")
    finally:
        s.stop()


GATE_TESTS = """\
test "companies are not liked"
  request like_page {page_category: commercial}
  expect deny
"""

FULL = V1.replace("default deny", "default allow") + """
rule no-likes-for-companies
  on like_page
  deny when page_category == commercial
  because "No likes for companies."
  source "Gilla"
"""


def test_an_in_place_write_paused_at_a_rule_boundary_is_not_served(tmp_path):
    """The first part compiles (and settles) but fails the pack's own tests: held back."""
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "demo.policy").write_text(FULL)
    (packs / "demo.tests").write_text(GATE_TESTS)
    for name in (".#demo.policy", "demo.policy~", "._demo.policy"):
        (packs / name).write_text("pack demo\n  name")       # editors' files: ignored
    s = Server(tmp_path, "--no-installed", "--packs", str(packs), "--watch",
               "--watch-interval", "0.05", "--watch-settle", "0.1").start()
    commercial = dict(OTHER, facts={"page_category": "commercial"})
    try:
        assert s.get("/v1/packs").json["packs"][0]["status"] == "ok"
        assert len(s.get("/v1/packs").json["packs"]) == 1
        new = FULL.replace("1.0.0", "2.0.0")
        cut = new.index("rule no-likes")
        with open(packs / "demo.policy", "w") as file:        # in place, not atomically
            file.write(new[:cut])
            file.flush()
            info = wait_for(lambda: (lambda i: i if i["status"] == "error" else None)(
                s.get("/v1/packs/demo").json))
            assert info["version"] == "1.0.0" and info["errors"][0]["code"] == "failing-test"
            assert info["errors"][0]["file"] == str(packs / "demo.tests")
            reply = s.post("/v1/decide", commercial).json
            assert (reply["pack_version"], reply["outcome"]) == ("1.0.0", "deny")
            file.write(new[cut:])
        wait_for(lambda: s.get("/v1/packs/demo").json["version"] == "2.0.0")
        assert s.get("/v1/packs/demo").json["status"] == "ok"
        reply = s.post("/v1/decide", commercial).json
        assert (reply["pack_version"], reply["outcome"]) == ("2.0.0", "deny")
    finally:
        s.stop()
