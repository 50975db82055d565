"""Command-line and configuration behaviour of every program (docs/CONFIGURATION.md):
--help, --version, invalid values reported at start-up naming the key with
a non-zero exit (never discovered later), unknown flags rejected.

Needs no broker: every bad configuration must be refused before any
connection is attempted, so the programs are pointed at closed ports and
must exit well within the time limit.
"""

import os
import re
import signal
import subprocess

import pytest

from conftest import BINARIES, fs_binary, fs_free_port

PROGRAMS = ["collector", "worker", "query"] + (
    ["gen"] if os.access(BINARIES["gen"], os.X_OK) else [])
NAMES = {p: f"funnel-{p}" for p in PROGRAMS}
# flags each program's --help must list (besides --help / --version)
FLAGS = {
    "collector": ["--brokers", "--topic", "--dlq-topic", "--listen", "--ack-timeout-ms",
                  "--config", "-X"],
    "worker": ["--brokers", "--topic", "--dlq-topic", "--group", "--redis-url",
               "--namespace", "--batch-ms", "--batch-max", "--stats-s", "--config", "-X"],
    "query": ["--redis-url", "--namespace", "--from", "--to", "--channel", "--campaign",
              "--format", "--config"],
    "gen": ["--seed", "--users", "--days", "--rate"],
}
ENV_KEYS = {  # environment variables docs/CONFIGURATION.md gives each program
    "collector": ["FUNNEL_KAFKA_BROKERS", "FUNNEL_TOPIC", "FUNNEL_DLQ_TOPIC", "FUNNEL_LISTEN"],
    "worker": ["FUNNEL_KAFKA_BROKERS", "FUNNEL_TOPIC", "FUNNEL_DLQ_TOPIC", "FUNNEL_GROUP",
               "FUNNEL_REDIS_URL", "FUNNEL_NAMESPACE"],
    "query": ["FUNNEL_REDIS_URL", "FUNNEL_NAMESPACE"],
    "gen": [],
}


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNNEL_")}
    # closed ports: a program that tries to connect before checking its
    # configuration shows up as a connection error instead of the key
    dead = fs_free_port()
    env.update({"FUNNEL_KAFKA_BROKERS": f"127.0.0.1:{dead}",
                "FUNNEL_REDIS_URL": f"redis://127.0.0.1:{dead}/0",
                "FUNNEL_LISTEN": f"127.0.0.1:{fs_free_port()}"})
    env.setdefault("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1")
    env.update(extra)
    return env


def run(program, *args, env=None, timeout=30):
    argv = [fs_binary(program)]
    if program == "query" and not (args and args[0] in ("--help", "--version")):
        argv.append("funnel")  # the query checks its configuration per subcommand
    argv += list(args)
    try:
        return subprocess.run(argv, env=env or clean_env(), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{argv} still running after {timeout} s: bad configuration must stop "
                    "the program at start-up")


@pytest.mark.parametrize("program", PROGRAMS)
def test_help_lists_flags(program):
    p = run(program, "--help")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    for flag in FLAGS[program] + ["--help", "--version"]:
        assert re.search(rf"(^|\s){re.escape(flag)}\b", out), f"{flag} not in --help:\n{out}"
    for key in ENV_KEYS[program]:
        assert key in out, f"{key} not in --help"
    assert p.stderr == "" or "ERROR" not in p.stderr


@pytest.mark.parametrize("program", PROGRAMS)
def test_version_names_program_and_libraries(program):
    p = run(program, "--version")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    first = out.splitlines()[0]
    assert re.match(rf"^{NAMES[program]} \d+\.\d+\.\d+", first), out
    for lib in ("librdkafka", "avro-c", "hiredis"):
        assert re.search(rf"{lib}[ :v]+\d+\.\d+(\.\d+)?", out), f"{lib} version missing:\n{out}"


BAD_FLAGS = [
    ("worker", ["--batch-max=0"], "--batch-max"),
    ("worker", ["--batch-max", "0"], "--batch-max"),
    ("worker", ["--batch-ms", "abc"], "--batch-ms"),
    ("worker", ["--stats-s", "-1"], "--stats-s"),
    ("worker", ["--redis-url", "redis://h:70000"], "--redis-url"),
    ("worker", ["--redis-url", "http://h:6379"], "--redis-url"),
    ("collector", ["--listen", "x"], "--listen"),
    ("collector", ["--listen", "127.0.0.1:99999"], "--listen"),
    ("collector", ["--ack-timeout-ms", "5"], "--ack-timeout-ms"),
    ("collector", ["--max-events", "501"], "--max-events"),
    ("query", ["--redis-url", "redis://h:70000"], "--redis-url"),
    ("query", ["--format", "yaml"], "--format"),
] + ([
    ("gen", ["--users", "0"], "--users"),
    ("gen", ["--duplicate-rate", "2"], "--duplicate-rate"),
    ("gen", ["--post", "notaurl"], "--post"),
    ("gen", ["--end", "2999-01-01"], "--end"),
    ("gen", ["--batch", "501"], "--batch"),
] if "gen" in PROGRAMS else [])


@pytest.mark.parametrize("program, args, key", BAD_FLAGS,
                         ids=[f"{p}:{' '.join(a)}" for p, a, _ in BAD_FLAGS])
def test_bad_flag_value_names_the_flag(program, args, key):
    p = run(program, *args)
    assert p.returncode != 0, (p.stdout, p.stderr)
    assert key in p.stderr, p.stderr
    assert "Connection refused" not in p.stderr, "tried to connect before checking its config"


BAD_ENV = [
    ("worker", "FUNNEL_REDIS_URL", "redis://h:70000"),
    ("worker", "FUNNEL_BATCH_MAX", "0"),
    ("worker", "FUNNEL_KAFKA_BROKERS", ""),
    ("worker", "FUNNEL_LOG_LEVEL", "loud"),
    ("collector", "FUNNEL_LISTEN", "x"),
    ("collector", "FUNNEL_LISTEN", "127.0.0.1:0x50"),
    ("collector", "FUNNEL_ACK_TIMEOUT_MS", "x"),
    ("collector", "FUNNEL_KAFKA_BROKERS", "no-port-here"),
    ("query", "FUNNEL_REDIS_URL", "redis://h:70000"),
] + ([("gen", "FUNNEL_COLLECTOR_URL", "notaurl")] if "gen" in PROGRAMS else []) + [(p, "FUNNEL_LOOKBACK_DAYS", "0") for p in ("worker", "query")] + [
    (p, "FUNNEL_HALF_LIFE_DAYS", "-1") for p in ("worker", "query")] + [
    (p, "FUNNEL_SLA_DAYS", "x") for p in ("worker", "query")]


@pytest.mark.parametrize("program, var, value", BAD_ENV,
                         ids=[f"{p}:{v}={x}" for p, v, x in BAD_ENV])
def test_bad_env_value_names_the_variable(program, var, value):
    if var not in ("FUNNEL_REDIS_URL", "FUNNEL_KAFKA_BROKERS", "FUNNEL_LISTEN",
                   "FUNNEL_COLLECTOR_URL"):
        # attribution/handoff settings matter only to programs that use them;
        # a program uses a variable when its --help lists it
        if var not in run(program, "--help").stdout:
            return
    p = run(program, env=clean_env(**{var: value}))
    assert p.returncode != 0, (p.stdout, p.stderr)
    assert var in p.stderr, p.stderr
    assert "Connection refused" not in p.stderr, "tried to connect before checking its config"


@pytest.mark.parametrize("program", PROGRAMS)
def test_unknown_flag_is_refused(program):
    p = run(program, "--no-such-flag")
    assert p.returncode != 0, (p.stdout, p.stderr)
    assert "--no-such-flag" in p.stderr, p.stderr
    # the message is said once, readably
    assert "(see --help) (see --help)" not in p.stderr, p.stderr


@pytest.mark.parametrize("program", PROGRAMS)
def test_config_file_errors_name_file_line_and_key(program, tmp_path):
    key = {"worker": "worker.batch_max = 0", "collector": "collector.ack_timeout_ms = 1",
           "query": "format = yaml", "gen": "users = 0"}[program]
    bad = tmp_path / "bad.conf"
    bad.write_text("# comment\n\n" + key + "\n")
    p = run(program, "--config", str(bad))
    assert p.returncode != 0, p.stderr
    assert f"{bad}:3" in p.stderr and key.split(" =")[0] in p.stderr, p.stderr
    unknown = tmp_path / "unknown.conf"
    unknown.write_text("bogus.key = 1\n")
    p = run(program, "--config", str(unknown))
    assert p.returncode != 0 and "bogus.key" in p.stderr, p.stderr
    p = run(program, "--config", str(tmp_path / "missing.conf"))
    assert p.returncode != 0 and "missing.conf" in p.stderr, p.stderr


def test_flags_win_over_environment():
    # The flag's valid value must win over the environment's invalid one: the
    # worker gets past configuration and keeps running (it waits for its dead
    # Redis and Kafka rather than exiting), then stops cleanly on SIGTERM.
    argv = [fs_binary("worker"), "--batch-max", "5"]
    p = subprocess.Popen(argv, env=clean_env(FUNNEL_BATCH_MAX="0"), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        p.wait(timeout=3)
    except subprocess.TimeoutExpired:
        pass
    still_running = p.poll() is None
    p.send_signal(signal.SIGTERM)
    _out, err = p.communicate(timeout=30)
    assert "FUNNEL_BATCH_MAX" not in err, err
    assert still_running, f"worker exited {p.returncode} at start-up: {err[-2000:]}"
    assert p.returncode == 0, err[-2000:]