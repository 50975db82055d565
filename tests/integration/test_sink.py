"""The worker's Redis sink against the real Redis: a paused ex-owner's stale
batch is refused whole (fencing epochs), replays are no-ops, re-sent
event_ids count once — and Redis holds exactly what the surviving owner
applied."""

import subprocess
import uuid

from conftest import BINARY_DIR


def test_zombie_owner_is_fenced(fs_stack):
    ns = "fence" + uuid.uuid4().hex[:10]
    env = {"FUNNEL_REDIS_URL": fs_stack["redis_url"], "FUNNEL_NAMESPACE": ns,
           "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1"}
    exe = BINARY_DIR + "/tests/integration/fs-sink-fence"
    p = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "A fenced" in p.stdout
    r = fs_stack["redis"]
    try:
        # fence-1..4 once each, none of A's stale batch twice, race-late,
        # pipe-1 (once), pipe2-a and pipe2-b: 8 ad_clicks on 2026-11-27, by
        # four persons, of whom only fence-user reached awareness first on
        # that day (the others did on 2026-11-26).
        assert r.hgetall(f"{ns}:v1:events:2026-11-27") == {
            "s:awareness": "8", "sc:awareness:(none)": "8", "sk:awareness:(none)": "8",
            "t:ad_click": "8"}
        assert r.hget(f"{ns}:v1:offsets", "fence.topic:0") == "4"
        assert r.get(f"{ns}:v1:offset:fence.topic:0") == "4"
        assert r.get(f"{ns}:v1:epoch:fence.topic:0") == "2"
        assert r.hget(f"{ns}:v1:users:2026-11-27", "s:awareness") == "1"
        # The race: race-user counted once, on the earlier day of B's event;
        # both events counted; the fenced batch's event (2026-11-25) not at all.
        assert "A refused its stale commit" in p.stdout
        assert "A fenced by a claim that raced its commit" in p.stdout
        assert r.hgetall(f"{ns}:v1:users:2026-11-26") == {
            "s:awareness": "3", "sc:awareness:(none)": "3", "sk:awareness:(none)": "3"}
        assert r.hget(f"{ns}:v1:events:2026-11-26", "s:awareness") == "3"
        assert not r.exists(f"{ns}:v1:events:2026-11-25")
        assert not r.exists(f"{ns}:v1:users:2026-11-25")
        assert r.get(f"{ns}:v1:epoch:fence.topic:3") == "2"
        assert r.get(f"{ns}:v1:offset:fence.topic:3") is None
        # Pipelined: pipe-user reached awareness on 2026-11-26 (pipe-2),
        # pipe-1 counted once; pipe2-user on 2026-11-26 (B's pipe2-early),
        # and its two events on 2026-11-27 both counted.
        assert "pipelined batches saw each other's writes" in p.stdout
        assert "a pipelined commit refused after another worker's write" in p.stdout
        assert r.get(f"{ns}:v1:offset:fence.topic:4") == "2"
        assert r.get(f"{ns}:v1:offset:fence.topic:5") == "1"
    finally:
        keys = list(r.scan_iter(match=f"{ns}:*"))
        if keys:
            r.delete(*keys)
