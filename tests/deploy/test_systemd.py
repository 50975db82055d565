"""deploy/systemd: every daemon has a unit that
`systemd-analyze verify` accepts without a word, hardened, and Type=notify
exactly where the program notifies (the collector: READY=1/STOPPING=1;
the worker and the dashboard do not).  The units name /usr/local/bin; the
test points them at this build's programs (FS_BINARY_DIR)."""

import glob
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNITS = os.path.join(ROOT, "deploy", "systemd")
BIN = os.path.abspath(os.environ.get("FS_BINARY_DIR", os.path.join(ROOT, "build", "debug")))
HARDENING = ["DynamicUser=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
             "NoNewPrivileges=yes", "PrivateDevices=yes", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
             "CapabilityBoundingSet=", "SystemCallFilter=@system-service", "MemoryDenyWriteExecute=yes"]
EXPECTED = {"funnel-collector.service": ("funnel-collector", "notify"),
            "funnel-worker@.service": ("funnel-worker", "exec"),
            "funnel-dashboard.service": ("funnel-query", "exec")}


def program(name):
    found = glob.glob(os.path.join(BIN, "**", name), recursive=True)
    found = [f for f in found if os.path.isfile(f) and os.access(f, os.X_OK)]
    assert found, f"{name} not built in {BIN}"
    return found[0]


def test_one_unit_per_daemon():
    assert sorted(os.path.basename(u) for u in glob.glob(os.path.join(UNITS, "*.service"))) == \
        sorted(EXPECTED)


@pytest.mark.parametrize("unit", sorted(EXPECTED))
def test_unit_verifies_and_is_hardened(unit, tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not installed")
    text = open(os.path.join(UNITS, unit), encoding="utf-8").read()
    lines = [l.strip() for l in text.splitlines()]
    prog, kind = EXPECTED[unit]
    assert f"Type={kind}" in lines
    assert any(l.startswith(f"ExecStart=/usr/local/bin/{prog}") for l in lines), lines
    for h in HARDENING:
        assert h in lines, f"{unit}: {h} missing"
    assert "EnvironmentFile=/etc/funnelstream/funnelstream.env" in lines
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(program(prog), bindir / prog)
    (tmp_path / unit).write_text(text.replace("/usr/local/bin/", f"{bindir}/"))
    name = unit.replace("@.", "@1.")
    p = subprocess.run(["systemd-analyze", "verify", f"./{name}"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and unit.split("@")[0] not in (p.stdout + p.stderr), \
        p.stdout + p.stderr
