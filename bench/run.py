"""`make bench`: Certdesk's speed, measured the way it runs in production, beside Django's floor.

1. Builds (once, then reuses) the seeded dataset of bench/dataset.py in its own database: SQLite
   under var/bench/ by default, or DATABASE_URL (PostgreSQL).
2. Serves the app as production does: gunicorn with one sync worker per core, DEBUG=0, persistent
   database connections (CONN_MAX_AGE); and, the same way, a bare Django JSON view
   (bench/bare/, startproject's middleware, no database) as the framework's floor.
3. Drives each scenario with a load generator on loopback (one process per concurrent client, a
   new connection per request as gunicorn's sync workers close them) at concurrency 1 and 4, and
   counts the SQL queries of one request in-process.
4. Times the PDFs in-process (the task's rendering) and reads the peak memory of a server worker
   around a 50 MB upload.
5. Prints one table (p50, p95, requests/s, SQL per request, throughput against the bare view) and
   each target as met or missed; with --write, puts the run in bench/RESULTS.md.

    python -m bench.run              # the full dataset, about ten minutes the first time
    python -m bench.run --quick      # a small dataset and short runs: proves the harness works (CI)

Exit status: 0 when every target is met (--quick checks only that every request succeeds).
"""

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "bench"
HOST = "127.0.0.1"
UPLOAD_MB = 50


@dataclass
class Scenario:
    key: str
    title: str
    method: str
    path: str
    user: str | None = None  # username; None is anonymous
    auth: str = "session"  # "session" (browser pages) or "token" (API)
    body: bytes | None = None
    content_type: str | None = None
    expect: int = 200
    # A target against the bare view: measured in alternating slices with it (measure_beside_bare).
    beside_bare: bool = False


@dataclass
class Measure:
    concurrency: int
    p50: float  # ms
    p95: float  # ms
    rps: float
    requests: int
    errors: int = 0
    first_error: str = ""


@dataclass
class Row:
    scenario: Scenario
    queries: int
    runs: dict[int, Measure] = field(default_factory=dict)
    bare: dict[int, Measure] = field(default_factory=dict)  # the bare view beside it, if measured so


# -- Environment and servers ----------------------------------------------------------------------


def app_environment(database_url: str) -> dict[str, str]:
    """What the app server and this process run with: production settings on plain loopback HTTP."""
    return {
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-" + "k" * 50,
        "ALLOWED_HOSTS": f"{HOST},testserver",
        "SECURE_SSL_REDIRECT": "0",
        "BEHIND_PROXY": "0",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "600",
        "MEDIA_ROOT": str(VAR / "media"),
        "STATIC_ROOT": str(VAR / "static"),
        "EVIDENCE_MAX_BYTES": str((UPLOAD_MB + 10) * 1024 * 1024),
        # The public pages' rate limit would answer a load generator with 429.
        "PUBLIC_RATE_LIMIT": str(10**9),
        "CELERY_BROKER_URL": "",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """A gunicorn master with `workers` sync workers, serving `app` on a free loopback port."""

    def __init__(self, app: str, env: dict, workers: int, name: str):
        self.port = free_port()
        self.name = name
        self.log = open(VAR / f"gunicorn-{name}.log", "w")  # noqa: SIM115 - closed in stop()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                app,
                # Production's settings file (the garbage collector's freeze), for both servers.
                "--config",
                str(ROOT / "config" / "gunicorn.py"),
                "--bind",
                f"{HOST}:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--timeout",
                "300",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise SystemExit(f"gunicorn ({name}) did not start; see {self.log.name}")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


# -- Load -----------------------------------------------------------------------------------------


def _one_request(port, scenario_args):
    method, path, headers, body = scenario_args
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        return response.status, payload
    finally:
        connection.close()


def _client(args):
    port, scenario_args, expect, deadline, limit = args
    latencies, errors, first_error = [], 0, ""
    began = time.perf_counter()
    while time.perf_counter() < deadline and len(latencies) < limit:
        start = time.perf_counter()
        status, payload = _one_request(port, scenario_args)
        latencies.append(time.perf_counter() - start)
        if status != expect:
            errors += 1
            first_error = first_error or f"{status}: {payload[:200]!r}"
    return latencies, errors, first_error, began, time.perf_counter()


def _run_clients(port: int, scenario_args, expect: int, concurrency: int, seconds: float, limit: int):
    """`concurrency` clients sending for `seconds`: (latencies, elapsed, errors, first error)."""
    deadline = time.perf_counter() + seconds
    with multiprocessing.get_context("fork").Pool(concurrency) as pool:
        results = pool.map(_client, [(port, scenario_args, expect, deadline, limit)] * concurrency)
    # Throughput over the time the clients were sending (not the pool's start-up).
    elapsed = max(result[4] for result in results) - min(result[3] for result in results)
    latencies = [latency for result in results for latency in result[0]]
    errors = sum(result[1] for result in results)
    first_error = next((result[2] for result in results if result[2]), "")
    return latencies, elapsed, errors, first_error


def _summary(concurrency: int, latencies: list, elapsed: float, errors: int, first_error: str) -> Measure:
    latencies = sorted(latencies)
    return Measure(
        concurrency=concurrency,
        p50=statistics.median(latencies) * 1000,
        p95=latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] * 1000,
        rps=len(latencies) / elapsed,
        requests=len(latencies),
        errors=errors,
        first_error=first_error,
    )


def measure(port: int, scenario_args, expect: int, concurrency: int, seconds: float, limit: int) -> Measure:
    return _summary(concurrency, *_run_clients(port, scenario_args, expect, concurrency, seconds, limit))


BESIDE_BARE_SLICES = 10


def measure_beside_bare(
    port: int, scenario_args, expect: int, bare_port: int, bare_args, concurrency: int, seconds, limit
) -> tuple[Measure, Measure]:
    """The scenario and the bare view, each for `seconds`, in alternating slices.

    On a shared machine whose speed drifts by tens of percent within minutes, a bare view measured
    once at the start says little about a ratio measured minutes later; slices a second apart see
    the same machine, so their ratio holds.
    """
    totals = {name: ([], 0.0, 0, "") for name in ("bare", "app")}
    for _ in range(BESIDE_BARE_SLICES):
        for name, target, args, wanted in (
            ("bare", bare_port, bare_args, 200),
            ("app", port, scenario_args, expect),
        ):
            latencies, elapsed, errors, first = _run_clients(
                target, args, wanted, concurrency, seconds / BESIDE_BARE_SLICES, limit
            )
            kept, total, failed, first_kept = totals[name]
            totals[name] = (kept + latencies, total + elapsed, failed + errors, first_kept or first)
    return _summary(concurrency, *totals["app"]), _summary(concurrency, *totals["bare"])


# -- In-process measurements ----------------------------------------------------------------------


def sessions(usernames) -> dict[str, str]:
    """A logged-in session per user, stored where the servers read them (the database)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    cookies = {}
    for username in usernames:
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        cookies[username] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return cookies


def request_headers(scenario: Scenario, world, cookies) -> dict[str, str]:
    from django.conf import settings

    headers = {"Host": HOST, "Accept-Language": "en"}
    if scenario.user and scenario.auth == "token":
        headers["Authorization"] = f"Token {world.tokens[scenario.user]}"
    elif scenario.user:
        headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={cookies[scenario.user]}"
    if scenario.body is not None:
        headers["Content-Type"] = scenario.content_type or "application/json"
    return headers


def count_queries(scenario: Scenario, world) -> int:
    """The SQL queries of one request, after one to warm up, through the whole middleware stack."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    extra = {}
    if scenario.user and scenario.auth == "token":
        extra["HTTP_AUTHORIZATION"] = f"Token {world.tokens[scenario.user]}"
    elif scenario.user:
        client.force_login(get_user_model().objects.get(username=scenario.user))
    call = getattr(client, scenario.method.lower())
    kwargs = {"data": scenario.body, "content_type": scenario.content_type or "application/json"}
    if scenario.body is None:
        kwargs = {}
    call(scenario.path, **kwargs, **extra)
    with CaptureQueriesContext(connection) as queries:
        response = call(scenario.path, **kwargs, **extra)
    if response.status_code != scenario.expect:
        raise SystemExit(f"{scenario.title}: {response.status_code} in-process, expected {scenario.expect}")
    return len(queries)


def time_pdfs(world, repeat: int) -> dict[str, float]:
    """Milliseconds (median) of rendering a certificate and the big audit's report, as the tasks do."""
    from audits.models import Audit
    from certificates.documents import certificate_pdf_render
    from certificates.models import Certificate
    from certificates.services import _snapshot
    from reports.documents import report_pdf_render

    certificate = Certificate.objects.get(number=world.certificate_number)
    snapshot = _snapshot(certificate)
    audit = Audit.objects.get(pk=world.big_audit)

    def median_ms(render, times):
        samples = []
        for _ in range(times):
            start = time.perf_counter()
            render()
            samples.append((time.perf_counter() - start) * 1000)
        return statistics.median(samples)

    certificate_pdf_render(snapshot=snapshot)  # fonts and styles loaded once per process
    return {
        "certificate": median_ms(lambda: certificate_pdf_render(snapshot=snapshot), repeat * 3),
        "report": median_ms(lambda: report_pdf_render(audit=audit), repeat),
    }


def upload_memory(env, world) -> dict[str, float]:
    """Peak memory growth (MB) of a one-worker server around a 50 MB evidence upload."""
    from findings.models import Finding

    finding = Finding.objects.filter(audit_id=world.big_audit).order_by("pk").first()
    boundary = uuid.uuid4().hex
    body_path = VAR / "upload.multipart"
    with open(body_path, "wb") as body:
        for name, value in (("finding", str(finding.pk)), ("description", "Benchmark upload")):
            body.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n".encode()
        )
        body.write(b"%PDF-1.4\n%bench\n")
        chunk = os.urandom(1024 * 1024)
        for _ in range(UPLOAD_MB):
            body.write(chunk)
        body.write(f"\r\n--{boundary}--\r\n".encode())
    size = body_path.stat().st_size
    server = Server("config.wsgi:application", env, workers=1, name="upload")
    try:
        headers = {"Host": HOST, "Authorization": f"Token {world.tokens[world.lead]}"}
        _one_request(server.port, ("GET", "/api/v1/findings/?page_size=1", headers, None))
        (pid,) = server.worker_pids()
        before = _status_kb(pid, "VmHWM")
        headers = {
            **headers,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(size),
        }
        with open(body_path, "rb") as body:
            status, payload = _one_request(server.port, ("POST", "/api/v1/evidence/", headers, body))
        after = _status_kb(pid, "VmHWM")
    finally:
        server.stop()
        body_path.unlink(missing_ok=True)
    if status != 201:
        raise SystemExit(f"the {UPLOAD_MB} MB upload answered {status}: {payload[:300]!r}")
    return {"before_mb": before / 1024, "after_mb": after / 1024, "growth_mb": (after - before) / 1024}


def writes_high_water() -> dict[str, int]:
    """The last finding and evidence ids before the run writes any."""
    from django.db.models import Max

    from findings.models import Evidence, Finding

    return {
        "finding": Finding.objects.aggregate(last=Max("pk"))["last"] or 0,
        "evidence": Evidence.objects.aggregate(last=Max("pk"))["last"] or 0,
    }


def forget_writes(high_water: dict[str, int]) -> None:
    """Remove what the run wrote (posted findings, the uploaded file), so that every run measures
    the dataset as built: 300 findings in the big audit, not 300 plus every earlier run's posts."""
    from django.db import transaction

    from findings.models import Evidence, Finding, FindingChange

    findings = Finding.objects.filter(pk__gt=high_water["finding"])
    evidence = Evidence.objects.filter(pk__gt=high_water["evidence"])
    files = [item.file for item in evidence] + [item.thumbnail for item in evidence if item.thumbnail]
    with transaction.atomic():
        FindingChange.objects.filter(finding__in=findings).delete()
        FindingChange.objects.filter(evidence__in=evidence).delete()
        evidence.delete()
        findings.delete()
    for stored in files:
        stored.storage.delete(stored.name)


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise SystemExit(f"no {key} for process {pid}")


# -- The run --------------------------------------------------------------------------------------


def scenarios(world) -> list[Scenario]:
    finding = json.dumps(
        {
            "audit": world.big_audit,
            "clause": world.big_clause,
            "site": world.big_site,
            "grade": "conforming",
            "statement": "",
            "evidence": "Benchmark: one finding recorded.",
        }
    ).encode()
    return [
        Scenario(
            "checklist",
            "Checklist of the big audit (lead)",
            "GET",
            f"/audits/{world.big_audit}/checklist/",
            world.lead,
        ),
        Scenario(
            "findings_api",
            "GET /api/v1/findings/?audit=<big> (100 rows)",
            "GET",
            f"/api/v1/findings/?audit={world.big_audit}&page_size=100",
            world.lead,
            "token",
        ),
        Scenario(
            "trivial_api",
            "Client lists its organisation (API)",
            "GET",
            "/api/v1/organizations/",
            world.client,
            "token",
            beside_bare=True,
        ),
        Scenario("audit_list", "Auditor's audit list, first page (guardian)", "GET", "/audits/", world.lead),
        Scenario(
            "audit_list_staff", "Same list, no permission filter (staff)", "GET", "/audits/", world.staff
        ),
        Scenario("staff_dashboard", "Staff's home dashboard (what is due)", "GET", "/", world.staff),
        Scenario(
            "verify",
            "Public verification of one certificate",
            "GET",
            f"/verify/{world.certificate_number}/",
            beside_bare=True,
        ),
        Scenario(
            "post_finding",
            "Record one finding (POST, API)",
            "POST",
            "/api/v1/findings/",
            world.lead,
            "token",
            body=finding,
            expect=201,
        ),
    ]


def evaluate(
    rows: dict[str, Row], bare: dict[int, Measure], pdfs, upload
) -> list[tuple[str, str, str, bool]]:
    """(scenario, target, result, met) for each target of the issue."""

    def p50(key):
        return rows[key].runs[1].p50

    def share(key):
        return rows[key].runs[1].rps / rows[key].bare.get(1, bare[1]).rps

    return [
        (
            "Checklist page",
            "p50 <= 50 ms, <= 15 queries",
            f"{p50('checklist'):.1f} ms, {rows['checklist'].queries} queries",
            p50("checklist") <= 50 and rows["checklist"].queries <= 15,
        ),
        (
            "Findings API, 100 rows",
            "p50 <= 30 ms",
            f"{p50('findings_api'):.1f} ms",
            p50("findings_api") <= 30,
        ),
        (
            "Trivial authenticated API",
            ">= 20 % of bare throughput",
            f"{share('trivial_api'):.0%}",
            share("trivial_api") >= 0.20,
        ),
        (
            "Auditor's audit list",
            "p50 <= 40 ms and <= 2x unfiltered",
            f"{p50('audit_list'):.1f} ms, {p50('audit_list') / p50('audit_list_staff'):.2f}x",
            p50("audit_list") <= 40 and p50("audit_list") <= 2 * p50("audit_list_staff"),
        ),
        (
            "Staff dashboard",
            "p50 <= 50 ms, <= 15 queries",
            f"{p50('staff_dashboard'):.1f} ms, {rows['staff_dashboard'].queries} queries",
            p50("staff_dashboard") <= 50 and rows["staff_dashboard"].queries <= 15,
        ),
        (
            "Public verification",
            ">= 50 % of bare throughput",
            f"{share('verify'):.0%}",
            share("verify") >= 0.5,
        ),
        ("Record one finding", "p50 <= 15 ms", f"{p50('post_finding'):.1f} ms", p50("post_finding") <= 15),
        ("Certificate PDF", "<= 50 ms", f"{pdfs['certificate']:.1f} ms", pdfs["certificate"] <= 50),
        ("Report PDF, 300 findings", "<= 2 s", f"{pdfs['report']:.0f} ms", pdfs["report"] <= 2000),
        (
            f"{UPLOAD_MB} MB upload",
            "peak memory grows < 20 MB",
            f"{upload['growth_mb']:.1f} MB",
            upload["growth_mb"] < 20,
        ),
    ]


def table(rows: dict[str, Row], bare: dict[int, Measure]) -> str:
    lines = [
        "| Scenario | Conc. | p50 ms | p95 ms | req/s | SQL/req | vs bare |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for concurrency, run in bare.items():
        lines.append(
            f"| Bare Django JSON view | {concurrency} | {run.p50:.2f} | {run.p95:.2f} "
            f"| {run.rps:.0f} | 0 | 100% |"
        )
    notes = []
    for row in rows.values():
        for concurrency, run in row.runs.items():
            beside = row.bare.get(concurrency)
            ratio = f"{run.rps / (beside or bare[concurrency]).rps:.0%}"
            if beside:
                ratio += " †"
                notes.append(f"{row.scenario.title}, concurrency {concurrency}: bare {beside.rps:.0f} req/s")
            lines.append(
                f"| {row.scenario.title} | {concurrency} | {run.p50:.2f} | {run.p95:.2f} | {run.rps:.0f} "
                f"| {row.queries} | {ratio} |"
            )
    if notes:
        lines += ["", "† Against the bare view measured in alternating one-second slices with the scenario:"]
        lines += [f"  {note}" for note in notes]
    return "\n".join(lines)


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return f"{model}, {os.cpu_count()} cores, {memory_kb / 1024 / 1024:.0f} GiB, {platform.platform()}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small dataset, short runs (CI)")
    parser.add_argument("--seconds", type=float, help="seconds per measurement (default 10; quick 1)")
    parser.add_argument("--write", action="store_true", help="write the run to bench/RESULTS.md")
    parser.add_argument("--rebuild", action="store_true", help="build the dataset again")
    parser.add_argument(
        "--only", help="comma-separated scenario keys (bench.profile --list): just those, no PDFs or upload"
    )
    args = parser.parse_args(argv)
    if args.only and args.write:
        parser.error("--only is for trying a change; a run written to RESULTS.md measures everything")
    seconds = args.seconds or (1.0 if args.quick else 10.0)
    limit = 50 if args.quick else 10**9

    VAR.mkdir(parents=True, exist_ok=True)
    name = "quick" if args.quick else "full"
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR / f'bench-{name}.sqlite3'}"
    env = app_environment(database_url)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from bench import dataset

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"Certdesk benchmark ({name}) on {engine}; {machine()}", flush=True)
    if args.rebuild and engine == "sqlite3":
        Path(settings.DATABASES["default"]["NAME"]).unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    # The embedded cache's table, in its own database (the rate limit counts every public request).
    if "cache" in settings.DATABASES:
        call_command("createcachetable", database="cache", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    size = dataset.QUICK if args.quick else dataset.FULL
    world = None
    if args.rebuild and engine != "sqlite3":
        call_command("flush", interactive=False, verbosity=0)
    elif not args.rebuild:
        try:
            world = dataset.describe()
        except Exception:  # no dataset here yet (any lookup fails): build it
            world = None
        if world is not None and world.counts.get("audits.Audit", 0) < size.audits:
            raise SystemExit(
                f"This database holds a smaller dataset than the {name} one; use --rebuild "
                "(or another DATABASE_URL)."
            )
    if world is None:
        started = time.perf_counter()
        print("Building the dataset…", flush=True)
        world = dataset.build(size)
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    print("  " + ", ".join(f"{count:,} {model}" for model, count in world.counts.items()), flush=True)

    chosen = scenarios(world)
    if args.only:
        keys = args.only.split(",")
        unknown = set(keys) - {scenario.key for scenario in chosen}
        if unknown:
            parser.error(f"unknown scenario: {', '.join(sorted(unknown))}")
        chosen = [scenario for scenario in chosen if scenario.key in keys]
    # The PDFs first, on the dataset as built (the POST scenario adds findings to the big audit).
    pdfs = None if args.only else time_pdfs(world, repeat=1 if args.quick else 5)
    high_water = writes_high_water()
    workers = os.cpu_count() or 2
    app = Server("config.wsgi:application", env, workers, "app")
    bare_server = Server("bench.bare.wsgi:application", {}, workers, "bare")
    failures = []
    try:
        cookies = sessions({world.lead, world.staff, world.client})
        bare_args = ("GET", "/", {"Host": HOST}, None)
        for _ in range(20):
            _one_request(bare_server.port, bare_args)
        bare = {c: measure(bare_server.port, bare_args, 200, c, seconds, limit) for c in (1, 4)}
        rows = {}
        for scenario in chosen:
            queries = count_queries(scenario, world)
            scenario_args = (
                scenario.method,
                scenario.path,
                request_headers(scenario, world, cookies),
                scenario.body,
            )
            for _ in range(10):
                _one_request(app.port, scenario_args)
            row = Row(scenario, queries)
            for concurrency in (1, 4):
                if scenario.beside_bare:
                    run, row.bare[concurrency] = measure_beside_bare(
                        app.port, scenario_args, scenario.expect, bare_server.port, bare_args,
                        concurrency, seconds, limit,
                    )  # fmt: skip
                else:
                    run = measure(app.port, scenario_args, scenario.expect, concurrency, seconds, limit)
                row.runs[concurrency] = run
                if run.errors:
                    failures.append(f"{scenario.title}: {run.errors} failed, e.g. {run.first_error}")
            rows[scenario.key] = row
            print(f"  {scenario.title}: p50 {row.runs[1].p50:.1f} ms, {queries} queries", flush=True)
    finally:
        app.stop()
        bare_server.stop()
    try:
        upload = None if args.only else upload_memory(env, world)
    finally:
        forget_writes(high_water)

    report = table(rows, bare)
    if args.only:
        print()
        print(report)
        for failure in failures:
            print(f"FAILED REQUESTS: {failure}")
        return 1 if failures else 0
    targets = evaluate(rows, bare, pdfs, upload)
    target_lines = ["| Target | Wanted | Measured | Met |", "|---|---|---|---|"] + [
        f"| {what} | {wanted} | {got} | {'yes' if met else '**no**'} |" for what, wanted, got, met in targets
    ]
    print()
    print(report)
    print()
    print("\n".join(target_lines))
    for failure in failures:
        print(f"FAILED REQUESTS: {failure}")
    if args.write:
        write_results(report, target_lines, world, name, engine, seconds)
    if failures:
        return 1
    if args.quick:
        return 0
    return 0 if all(met for *_, met in targets) else 1


def write_results(report, target_lines, world, name, engine, seconds):
    results = ROOT / "bench" / "RESULTS.md"
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    marker = "<!-- latest run -->"
    head, _, tail = text.partition(marker)
    _, _, after = tail.partition("<!-- end of latest run -->")
    run = "\n".join(
        [
            marker,
            f"## Latest run: {time.strftime('%Y-%m-%d %H:%M %Z')} ({name} dataset, {engine})",
            "",
            f"- Machine: {machine()}",
            f"- Python {platform.python_version()}, Django {__import__('django').get_version()}, "
            f"gunicorn sync workers: {os.cpu_count()}",
            "- Dataset: " + ", ".join(f"{count:,} {model}" for model, count in world.counts.items()),
            f"- {seconds:.0f} s per measurement; a new connection per request; p50/p95 over all requests.",
            "- Reproduce: `make bench` (this run: "
            f"`python -m bench.run{' --quick' if name == 'quick' else ''} --write`)",
            "",
            report,
            "",
            *target_lines,
            "",
            "<!-- end of latest run -->",
        ]
    )
    results.write_text(head + run + after)
    print(f"Wrote {results.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
