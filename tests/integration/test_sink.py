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
        # fence-1..4 once each, none of A's stale batch twice: 4 ad_clicks.
        assert r.hgetall(f"{ns}:v1:events:2026-11-27") == {
            "s:awareness": "4", "sc:awareness:(none)": "4", "sk:awareness:(none)": "4",
            "t:ad_click": "4"}
        assert r.hget(f"{ns}:v1:offsets", "fence.topic:0") == "4"
        assert r.get(f"{ns}:v1:offset:fence.topic:0") == "4"
        assert r.get(f"{ns}:v1:epoch:fence.topic:0") == "2"
        assert r.hget(f"{ns}:v1:users:2026-11-27", "s:awareness") == "1"
    finally:
        keys = list(r.scan_iter(match=f"{ns}:*"))
        if keys:
            r.delete(*keys)
