"""Profile one benchmark scenario in-process, on the dataset `make bench` built.

    python -m bench.profile verify                # median ms per request, SQL queries
    python -m bench.profile trivial_api --cprofile  # and where the time goes
    python -m bench.profile --list

The same requests as bench/run.py, through the whole middleware stack with Django's test client
(no network, no gunicorn): the number to watch while changing code; `make bench` is the judge.
Scenarios "report_pdf" and "certificate_pdf" time the renderings instead.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", nargs="?")
    parser.add_argument("--quick", action="store_true", help="the quick dataset")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)

    from bench.run import VAR, app_environment

    name = "quick" if args.quick else "full"
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR / f'bench-{name}.sqlite3'}"
    os.environ.update(app_environment(database_url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from bench import dataset
    from bench.run import forget_writes, scenarios, time_pdfs, writes_high_water

    world = dataset.describe()
    by_key = {scenario.key: scenario for scenario in scenarios(world)}
    if args.list or not args.scenario:
        print("\n".join([*by_key, "report_pdf", "certificate_pdf"]))
        return 0
    if args.scenario in ("report_pdf", "certificate_pdf"):
        profiler = cProfile.Profile() if args.cprofile else None
        if profiler:
            profiler.enable()
        timings = time_pdfs(world, repeat=3)
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        print(f"{args.scenario}: {timings[args.scenario.removesuffix('_pdf')]:.1f} ms (median)")
        return 0

    scenario = by_key[args.scenario]
    # What the requests write (posted findings) is removed afterwards, as bench/run.py does.
    high_water = writes_high_water()
    try:
        return _profile(scenario, world, args)
    finally:
        forget_writes(high_water)


def _profile(scenario, world, args) -> int:
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
    kwargs = {} if scenario.body is None else {"data": scenario.body, "content_type": "application/json"}

    def once():
        response = call(scenario.path, **kwargs, **extra)
        if response.status_code != scenario.expect:
            raise SystemExit(f"{response.status_code}: {response.content[:300]!r}")

    once()
    with CaptureQueriesContext(connection) as captured:
        once()
    # Read now: the next request's request_started signal empties the connection's query log.
    queries = list(captured.captured_queries)
    for _ in range(20):
        once()
    samples, cpu = [], []
    for _ in range(args.requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        once()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    # CPU time as well: it moves less than the wall clock when other work shares the cores.
    print(
        f"{scenario.title}: median {statistics.median(samples):.2f} ms in-process "
        f"(CPU {statistics.median(cpu):.2f} ms), {len(queries)} queries"
    )
    for query in queries:
        print("  SQL:", query["sql"][:200])
    if args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(min(args.requests, 200)):
            once()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(50)
    return 0


if __name__ == "__main__":
    sys.exit(main())
