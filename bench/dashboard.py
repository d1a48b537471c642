"""Benchmark: the dashboard as a browser uses it, against the goals in issue 3 ("Fast").

Starts the real app (gunicorn ``dashapp.app:server``, 1 worker, 4 threads; or
``python -m dashapp`` when gunicorn is missing) on a free loopback port and POSTs the
callback requests the Dash 4 renderer would send, built from ``/_dash-dependencies``, with
Chromium's ``Accept-Encoding``. Every request uses a new seed so no cache answers it.
Prints, per setting: round-trip p50/p90 of the main update and of every server callback
that follows it (those with ``config-store.data`` as an input), bytes on the wire and decoded, and for the big setting
the engine's own ``run_trace`` median measured in the same run. With ``--browser`` (the
default when /usr/bin/chromium exists) it also times the page in headless Chromium:
first heatmap, a heads change until the heatmaps redraw, and requests per Play step.
Prints figures; asserts nothing. Run: ``python bench/dashboard.py [--no-browser] [--profile]``.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import importlib.util
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
ACCEPT_ENCODING = "zstd, br, gzip"  # what Chromium sends on http://127.0.0.1
CONTROL_IDS = ("mode", "text", "seq-len", "d-model", "n-heads", "seed", "mask", "n-pad",
               "positional", "scale")
DEFAULT_TEXT = "the cat sat on the mat"
SENTENCE_16 = "when the quiet river reached the old town every child ran down to see it shine"
GOAL_DEFAULT_MS, GOAL_DEFAULT_KB, GOAL_BIG_RATIO = 5.0, 25.0, 1.5


@dataclass(frozen=True)
class Setting:
    """One row of the report; ``controls`` are sent the way the page sends them."""

    name: str
    controls: dict
    requests: int

    def values(self, seed: int) -> list:
        return [seed if c == "seed" else self.controls[c] for c in CONTROL_IDS]


def controls(**changes) -> dict:
    """The page's default control values (selects send strings), with ``changes``."""
    base = {"mode": "words", "text": DEFAULT_TEXT, "seq-len": 8, "d-model": "64", "n-heads": "4",
            "seed": 0, "mask": "causal", "n-pad": 0, "positional": True, "scale": True}
    return {**base, **changes}


SETTINGS = (
    Setting("default: 6 words, d_model 64, 4 heads, causal", controls(), 50),
    Setting("16 words, d_model 64, 4 heads, causal", controls(text=SENTENCE_16), 50),
    Setting("random 128 tokens, d_model 768, 12 heads, causal",
            controls(mode="random", **{"seq-len": 128, "d-model": "768", "n-heads": "12"}), 15),
)


# ---------------------------------------------------------------- the server under test

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
    if importlib.util.find_spec("gunicorn"):
        cmd = [sys.executable, "-m", "gunicorn", "dashapp.app:server", "--bind", f"127.0.0.1:{port}",
               "--workers", "1", "--threads", "4", "--log-level", "warning"]
        how = "gunicorn dashapp.app:server, 1 worker, 4 threads"
    else:
        cmd = [sys.executable, "-m", "dashapp"]
        how = "python -m dashapp (gunicorn not installed)"
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc, how
        except OSError:
            time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError("server did not answer /healthz within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- talking to it like the renderer

def decode(body: bytes, encoding: str) -> bytes:
    if encoding == "zstd":
        from backports import zstd  # flask-compress's dependency on Python < 3.14
        return zstd.decompress(body)
    if encoding == "br":
        import brotli
        return brotli.decompress(body)
    if encoding == "gzip":
        return gzip.decompress(body)
    return body


@dataclass(frozen=True)
class Reply:
    ms: float
    status: int
    encoding: str
    wire: int
    raw: int
    data: dict


class Client:
    """One keep-alive connection, like a browser tab's."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get_json(self, path: str):
        self.conn.request("GET", path, headers={"Accept-Encoding": ACCEPT_ENCODING})
        response = self.conn.getresponse()
        return json.loads(decode(response.read(), response.getheader("Content-Encoding", "")))

    def post(self, payload: dict) -> Reply:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "Accept-Encoding": ACCEPT_ENCODING}
        start = time.perf_counter()
        self.conn.request("POST", "/_dash-update-component", body, headers)
        response = self.conn.getresponse()
        wire = response.read()
        ms = 1000 * (time.perf_counter() - start)
        encoding = response.getheader("Content-Encoding", "identity")
        raw = decode(wire, encoding)
        data = json.loads(raw) if response.status == 200 else {}
        return Reply(ms, response.status, encoding, len(wire), len(raw), data)


def find_callback(deps: list[dict], *outputs: str, input_: str | None = None) -> dict:
    for dep in deps:
        names = dep["output"].strip(".").split("...")
        if all(o in names for o in outputs) and (
                input_ is None or any(f"{i['id']}.{i['property']}" == input_ for i in dep["inputs"])):
            return dep
    raise LookupError(f"no callback with outputs {outputs}")


def layout_props(layout) -> dict:
    """{id: props} of every component in ``/_dash-layout`` (dict ids as sorted JSON)."""
    found, stack = {}, [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict) and "props" in node:
            props = node["props"]
            if "id" in props:
                found[json.dumps(props["id"], sort_keys=True)
                      if isinstance(props["id"], dict) else props["id"]] = props
            stack.extend(v for v in props.values() if isinstance(v, (list, dict)))
    return found


def _value(spec: dict, values: dict, props: dict):
    """One input or state entry as the renderer sends it; ALL wildcards become a list."""
    key = f"{spec['id']}.{spec['property']}"
    if key in values:
        return {**spec, "value": values[key]}
    if not spec["id"].startswith("{"):
        return {**spec, "value": props.get(spec["id"], {}).get(spec["property"])}
    pattern = json.loads(spec["id"])  # e.g. {"metric": ["ALL"], "type": "metrics-sort"}
    matches = []
    for key, p in props.items():
        if key.startswith("{"):
            concrete = json.loads(key)
            if concrete.keys() == pattern.keys() and all(
                    isinstance(v, list) or concrete[k] == v for k, v in pattern.items()):
                matches.append({"id": concrete, "property": spec["property"],
                                "value": p.get(spec["property"])})
    return matches


def payload(dep: dict, values: dict, changed: list[str], props: dict | None = None) -> dict:
    """The body the Dash 4 renderer posts for ``dep``: ``values`` keyed by "id.property",
    anything else read from the layout's ``props``."""
    props = props or {}
    outputs = [{"id": n.rsplit(".", 1)[0], "property": n.rsplit(".", 1)[1]}
               for n in dep["output"].strip(".").split("...")]
    inputs = [_value(i, values, props) for i in dep["inputs"]]
    state = [_value(s, values, props) for s in dep["state"]]
    return {"output": dep["output"],
            "outputs": outputs if dep["output"].startswith("..") else outputs[0],
            "inputs": inputs, "changedPropIds": changed,
            "parsedChangedPropsIds": changed, "state": state}


# ---------------------------------------------------------------- measuring

def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def followers(deps: list[dict]) -> dict[str, dict]:
    """Every server callback the page fires when ``config-store.data`` changes, by a short name."""
    found = {}
    for dep in deps:
        if dep.get("clientside_function") or not any(
                f"{i['id']}.{i['property']}" == "config-store.data" for i in dep["inputs"]):
            continue
        first = dep["output"].strip(".").split("...")[0]
        found[first.rsplit(".", 1)[0]] = dep
    return found


def run_setting(client: Client, deps: list[dict], props: dict, setting: Setting,
                first_seed: int, between=None) -> dict:
    """The main update, then every callback listening to the config store (as the page
    fires them, one after another here), ``requests`` times.

    ``between(seed)``, if given, runs after each round: the engine's own timing, interleaved
    so that both see the same load on a shared machine.
    """
    main = find_callback(deps, "config-store.data", "main-store.data")
    after_main = followers(deps)
    times = {name: [] for name in ["main", *after_main, "all of them"]}
    sizes, failed = {}, {}
    for n in range(setting.requests + 2):  # the first two warm the connection and imports
        seed = first_seed + n
        values = {f"{c}.value": v for c, v in zip(CONTROL_IDS, setting.values(seed))}
        reply = client.post(payload(main, values, ["seed.value"], props))
        if reply.status != 200 or "config-store" not in reply.data.get("response", {}):
            raise RuntimeError(f"main update failed: {reply.status} {str(reply.data)[:300]}")
        config = {"config-store.data": reply.data["response"]["config-store"]["data"]}
        replies = {"main": reply}
        for name, dep in after_main.items():
            replies[name] = client.post(payload(dep, config, ["config-store.data"], props))
        for name, r in replies.items():
            if r.status not in (200, 204):
                failed[name] = r.status
            elif n >= 2:
                times[name].append(r.ms)
                sizes[name] = r
        if n >= 2:
            times["all of them"].append(sum(r.ms for r in replies.values()))
        if between and n >= 2:
            between(seed + 100_000)
    return {"times": times, "sizes": sizes, "failed": failed}


class EngineTimer:
    """run_trace in this process for one setting: with a new seed each call (as the server
    sees it) and with one fixed seed (weights and embeddings cached)."""

    def __init__(self, setting: Setting):
        from dashapp.settings import config_from_controls
        from engine import run_trace
        self.config_of = lambda seed: config_from_controls(*setting.values(seed))
        self.run_trace = run_trace
        self.cold, self.warm = [], []
        self.run_trace(self.config_of(0))

    def _time(self, seed: int) -> float:
        config = self.config_of(seed)
        start = time.perf_counter()
        self.run_trace(config)
        return 1000 * (time.perf_counter() - start)

    def __call__(self, seed: int) -> None:
        self.cold.append(self._time(seed))
        self.warm.append(self._time(0))

    def medians(self) -> tuple[float, float]:
        return statistics.median(self.cold), statistics.median(self.warm)


def pipeline_ms(setting: Setting, repeats: int, first_seed: int) -> dict:
    """Where the main update's time goes, in this process: the same stages the server runs."""
    from backports import zstd
    from plotly.io.json import to_json_plotly

    from dashapp.settings import config_from_controls, settings_of
    from dashapp.views import main_view
    from engine import run_trace

    stages = {"validate": [], "run_trace": [], "main_view": [], "to_json": [], "zstd -3": []}
    for seed in range(first_seed, first_seed + repeats):
        t0 = time.perf_counter()
        config = config_from_controls(*setting.values(seed))
        t1 = time.perf_counter()
        trace = run_trace(config)
        t2 = time.perf_counter()
        view = main_view(trace)
        t3 = time.perf_counter()
        text = to_json_plotly({"response": {"main-store": {"data": view},
                                            "config-store": {"data": settings_of(config)}}})
        t4 = time.perf_counter()
        zstd.compress(text.encode(), level=3)
        t5 = time.perf_counter()
        for name, (a, b) in zip(stages, [(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5)]):
            stages[name].append(1000 * (b - a))
    return {name: statistics.median(v) for name, v in stages.items()}


def print_server_report(results: list[tuple[Setting, dict]], engine: tuple[float, float] | None,
                        pipeline: dict[str, dict]) -> None:
    print(f"\n{'setting / callback':<52} {'n':>3} {'p50 ms':>8} {'p90 ms':>8} "
          f"{'wire KB':>8} {'raw KB':>8}  enc")
    for setting, result in results:
        print(setting.name)
        for name, t in result["times"].items():
            if not t:
                print(f"  {name:<50} failed: HTTP {result['failed'].get(name)}")
                continue
            if name == "all of them":
                wire = sum(r.wire for r in result["sizes"].values()) / 1024
                raw = sum(r.raw for r in result["sizes"].values()) / 1024
                enc = f"({len(result['sizes'])} requests one after another)"
            else:
                r = result["sizes"][name]
                wire, raw, enc = r.wire / 1024, r.raw / 1024, r.encoding
            print(f"  {name:<50} {len(t):>3} {pct(t, .5):>8.2f} {pct(t, .9):>8.2f} "
                  f"{wire:>8.1f} {raw:>8.1f}  {enc}")
        stages = pipeline[setting.name]
        print("  in-process stages of main (median ms): "
              + ", ".join(f"{k} {v:.2f}" for k, v in stages.items()))
    print("\ngoals (issue 3, Fast):")
    for setting, result in results[:2]:
        p50 = pct(result["times"]["main"], .5)
        kb = result["sizes"]["main"].wire / 1024
        print(f"  {setting.name}: main p50 {p50:.2f} ms (goal <= {GOAL_DEFAULT_MS}) "
              f"{'OK' if p50 <= GOAL_DEFAULT_MS else 'MISSED'}; response {kb:.1f} KB on the wire "
              f"(goal <= {GOAL_DEFAULT_KB}) {'OK' if kb <= GOAL_DEFAULT_KB else 'MISSED'}")
    if engine:
        setting, result = results[2]
        p50 = pct(result["times"]["main"], .5)
        cold, warm = engine
        ratio = p50 / cold
        print(f"  {setting.name}: main p50 {p50:.1f} ms; engine run_trace median {cold:.1f} ms "
              f"(interleaved with the requests, new seed each call; {warm:.1f} ms with warm caches); ratio {ratio:.2f} "
              f"(goal <= {GOAL_BIG_RATIO}) {'OK' if ratio <= GOAL_BIG_RATIO else 'MISSED'}; "
              f"vs warm engine {p50 / warm:.2f}")


def profile_main_update(setting: Setting, first_seed: int, repeats: int = 20) -> None:
    import cProfile
    import pstats

    from dashapp.callbacks import main_update

    main_update(*setting.values(first_seed - 1))
    profiler = cProfile.Profile()
    profiler.enable()
    for seed in range(first_seed, first_seed + repeats):
        main_update(*setting.values(seed))
    profiler.disable()
    print(f"\ncProfile: main_update x{repeats}, {setting.name} (top 12 by cumulative time)")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(12)


# ---------------------------------------------------------------- the page in Chromium

def browser_report(port: int, pages: int = 5, changes: int = 4) -> None:
    from playwright.sync_api import sync_playwright

    url = f"http://127.0.0.1:{port}/"
    n_traces = "document.querySelector('#graph-main .js-plotly-plot')?.data?.length ?? 0"
    print(f"\nbrowser: headless {CHROMIUM}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            first = []
            for _ in range(pages):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                start = time.perf_counter()
                page.goto(url)
                page.wait_for_selector("#graph-main .heatmaplayer", timeout=60_000)
                first.append(1000 * (time.perf_counter() - start))
                context.close()
            print(f"  first #graph-main heatmap after navigation: median {statistics.median(first):.0f} ms "
                  f"(of {pages} fresh pages: {', '.join(f'{t:.0f}' for t in first)})")

            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            posts = []
            # Dash 4.4 posts to /_dash-update-component?endId=..., so match the path only
            page.on("request", lambda r: posts.append(r.url)
                    if urlsplit(r.url).path.endswith("/_dash-update-component") else None)
            done = []  # when each callback response has fully arrived
            page.on("requestfinished", lambda r: done.append(time.perf_counter())
                    if urlsplit(r.url).path.endswith("/_dash-update-component") else None)
            page.goto(url)
            page.wait_for_selector("#graph-main .heatmaplayer", timeout=60_000)
            page.wait_for_load_state("networkidle")
            print(f"  requests to /_dash-update-component during page load: {len(posts)}")

            redraw, answered, per_change = [], [], []
            heads = ["8", "4"] * changes
            for value in heads[:changes]:
                before, n_posts, n_done = page.evaluate(n_traces), len(posts), len(done)
                start = time.perf_counter()
                page.select_option("#n-heads", value)
                page.wait_for_function(f"({n_traces}) !== {before}", timeout=60_000)
                redraw.append(1000 * (time.perf_counter() - start))
                if len(done) > n_done:
                    answered.append(1000 * (done[n_done] - start))
                page.wait_for_load_state("networkidle")
                per_change.append(len(posts) - n_posts)
            print(f"  heads 4 <-> 8 until the heatmaps redraw: median {statistics.median(redraw):.0f} ms "
                  f"({', '.join(f'{t:.0f}' for t in redraw)}); callback requests per change: "
                  f"{per_change}")
            if answered:
                print(f"    of which until the main update's response arrived: median "
                      f"{statistics.median(answered):.0f} ms; the rest is the browser drawing")

            page.select_option("#speed", "600")
            step_of = "document.querySelector('#step-title')?.textContent ?? ''"
            n_posts, titles, stamps = len(posts), [page.evaluate(step_of)], []
            page.click("#play")
            start = time.perf_counter()
            for _ in range(5):
                page.wait_for_function(f"({step_of}) !== {json.dumps(titles[-1])}", timeout=30_000)
                titles.append(page.evaluate(step_of))
                stamps.append(1000 * (time.perf_counter() - start))
            page.click("#play")
            steps = [b - a for a, b in zip([0.0] + stamps, stamps)]
            print(f"  Play, speed fast (600 ms): 5 steps, callback requests {len(posts) - n_posts} "
                  f"(goal 0); per step ms {', '.join(f'{t:.0f}' for t in steps)}")
            print(f"    steps seen: {' | '.join(t.split(' · ')[-1] for t in titles)}")
            context.close()
        finally:
            browser.close()


# ---------------------------------------------------------------- main

def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--browser", action=argparse.BooleanOptionalAction,
                        default=Path(CHROMIUM).exists(), help="time the page in headless Chromium")
    parser.add_argument("--profile", action="store_true", help="cProfile main_update in-process")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply request counts")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="OPENBLAS_NUM_THREADS for the server and the in-process engine")
    args = parser.parse_args()
    if args.blas_threads:  # before anything imports NumPy; the server inherits it
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
            os.environ[name] = str(args.blas_threads)
    settings = [Setting(s.name, s.controls, max(3, int(s.requests * args.scale))) for s in SETTINGS]

    print(f"load average (1, 5, 15 min) at start: {load()}; cores: {os.cpu_count()}; "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}")
    port = free_port()
    proc, how = start_server(port)
    print(f"server: {how}, http://127.0.0.1:{port}")
    try:
        client = Client(port)
        deps = client.get_json("/_dash-dependencies")
        props = layout_props(client.get_json("/_dash-layout"))
        print("server callbacks fired by each settings change: main, "
              + ", ".join(followers(deps)))
        results = []
        engine = EngineTimer(settings[2])
        for n, setting in enumerate(settings):
            between = engine if n == 2 else None
            results.append((setting, run_setting(client, deps, props, setting, 1000 * (n + 1),
                                                   between)))
        pipeline = {s.name: pipeline_ms(s, max(5, s.requests // 2), 60_000) for s in settings}
        print_server_report(results, engine.medians(), pipeline)
        if args.browser:
            browser_report(port)
    finally:
        stop_server(proc)
    if args.profile:
        for setting in (settings[0], settings[2]):
            profile_main_update(setting, 70_000, 20 if setting is settings[0] else 5)
    print(f"\nload average at end: {load()}")


if __name__ == "__main__":
    main()
