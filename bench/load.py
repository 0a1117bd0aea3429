"""Load from another process: wrk with a generated Lua script, and CPU time from /proc.

Each scenario is a list of requests (method, path, headers, body); the script's threads
take them round robin, so many travellers' sessions share the connections. wrk's own
summary (latency percentiles from its histogram, status errors) comes back as one JSON
line printed by the script's done().
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: str = ""


def _lua_string(text: str) -> str:
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def _lua_request(request: Request) -> str:
    headers = ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in request.headers.items())
    body = _lua_string(request.body) if request.body else "nil"
    return f"{{{_lua_string(request.method)}, {_lua_string(request.path)}, {{{headers}}}, {body}}}"


# Every script's threads: numbered, counting what they sent (and what was acknowledged, where
# the script looks at answers), for done() to add up.
THREADS_LUA = r"""
threads = {}
local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
  thread:set("ok", 0)
  thread:set("sent", 0)
  table.insert(threads, thread)
end
function sent_total()
  local n = 0
  for _, t in ipairs(threads) do n = n + (t:get("sent") or 0) end
  return n
end
"""

DONE = r"""
function done(summary, latency, requests)
  local ok = 0
  for _, t in ipairs(threads) do ok = ok + (t:get("ok") or 0) end
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50": %.3f, "p95": %.3f, "p99": %.3f, "ok": %d, "sent": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, ok, sent_total()))
end
"""

SCRIPT = r"""
local prepared = {}
local position = 0
function init(args)
  local specs = %(requests)s
  for i, spec in ipairs(specs) do prepared[i] = wrk.format(spec[1], spec[2], spec[3], spec[4]) end
  position = (id - 1) * math.floor(#prepared / %(threads)d)
  sent = 0
end
function request()
  position = position %% #prepared + 1
  sent = sent + 1
  return prepared[position]
end
"""

# Webhook events: each sent exactly once. Thread k takes lines k, k+T, k+2T... of the file;
# a thread that runs out stops rather than send an event twice.
EVENTS_SCRIPT = r"""
local prepared = {}
local position = 0
function init(args)
  local line_number = 0
  for line in io.lines(%(events_file)s) do
    line_number = line_number + 1
    if (line_number - id) %% %(threads)d == 0 then
      local tab = string.find(line, "\t", 1, true)
      prepared[#prepared + 1] = wrk.format("POST", %(path)s,
        {["Content-Type"] = "application/json", ["Stripe-Signature"] = string.sub(line, 1, tab - 1)},
        string.sub(line, tab + 1))
    end
  end
  ok = 0
  sent = 0
end
function request()
  if position >= #prepared then
    wrk.thread:stop()
    return prepared[#prepared]
  end
  position = position + 1
  sent = sent + 1
  return prepared[position]
end
function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 end
end
"""


def run_wrk(base_url: str, requests: list[Request] | None, seconds: float, events_file: Path | None = None,
            events_path: str = "") -> dict:
    """Drive `requests` (or the signed events in `events_file`) for `seconds`; wrk's figures."""
    if events_file is not None:
        script = EVENTS_SCRIPT % {"events_file": _lua_string(str(events_file)), "threads": THREADS,
                                  "path": _lua_string(events_path)}
    else:
        script = SCRIPT % {"requests": "{" + ",\n".join(_lua_request(r) for r in requests) + "}", "threads": THREADS}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(THREADS_LUA + script + DONE)
    try:
        finished = subprocess.run(
            ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
             "-s", handle.name, base_url], capture_output=True, text=True, timeout=seconds + 60)
    finally:
        os.unlink(handle.name)
    match = re.search(r"^BENCH_JSON (\{.*\})$", finished.stdout, re.M)
    if not match:
        raise RuntimeError(f"wrk gave no figures: {finished.stdout[-500:]} {finished.stderr[-500:]}")
    raw = json.loads(match.group(1))
    seconds_run = raw["duration_us"] / 1e6
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    return {"rps": round(raw["requests"] / seconds_run, 1), "p50_ms": round(raw["p50"], 1),
            "p95_ms": round(raw["p95"], 1), "p99_ms": round(raw["p99"], 1), "errors": errors,
            "requests": raw["requests"], "sent": raw["sent"], "acknowledged": raw["ok"]}


# -- CPU time -------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(p) for p in task.read_text().split()]
        except OSError:
            pass
    return found


def cpu_seconds(pid: int, with_children: bool = True) -> float:
    """User + system CPU of `pid` and (by default) its live children, e.g. gunicorn's workers."""
    total = 0.0
    for each in [pid] + (_children(pid) if with_children else []):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15)
    return total
