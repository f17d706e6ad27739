"""The benchmark harness's own logic: targets judged from measurements, and RESULTS.md rewritten in
place. The load, the servers and the dataset run in CI through `make bench QUICK=1`."""

from bench import run
from bench.run import Measure, Row, Scenario


def _row(key, p50, rps, queries=5):
    scenario = Scenario(key, key, "GET", "/")
    return Row(scenario, queries, {1: Measure(1, p50, p50 * 2, rps, 100), 4: Measure(4, p50, p50, rps, 100)})


def _rows(**overrides):
    values = {
        "checklist": (30, 30, 13),
        "findings_api": (20, 50, 8),
        "trivial_api": (2, 450, 3),
        "audit_list": (15, 60, 10),
        "audit_list_staff": (10, 90, 8),
        "verify": (1, 900, 1),
        "post_finding": (12, 80, 15),
        "staff_dashboard": (20, 50, 14),
    }
    values.update(overrides)
    return {key: _row(key, p50, rps, queries) for key, (p50, rps, queries) in values.items()}


BARE = {1: Measure(1, 0.5, 0.9, 1600, 1000), 4: Measure(4, 1.2, 2, 3000, 1000)}
PDFS = {"certificate": 40.0, "report": 1500.0}
UPLOAD = {"growth_mb": 3.0}


def test_every_target_is_met_by_good_numbers():
    targets = run.evaluate(_rows(), BARE, PDFS, UPLOAD)

    assert len(targets) == 10
    assert all(met for *_, met in targets), targets


def test_each_target_can_be_missed():
    cases = [
        (_rows(checklist=(51, 20, 13)), PDFS, UPLOAD, "Checklist page"),
        (_rows(checklist=(30, 30, 16)), PDFS, UPLOAD, "Checklist page"),
        (_rows(findings_api=(31, 30, 8)), PDFS, UPLOAD, "Findings API, 100 rows"),
        (_rows(trivial_api=(3, 319, 3)), PDFS, UPLOAD, "Trivial authenticated API"),  # under 20 %
        (_rows(audit_list=(25, 40, 10)), PDFS, UPLOAD, "Auditor's audit list"),  # 2.5x the staff list
        (_rows(verify=(2, 799, 1)), PDFS, UPLOAD, "Public verification"),
        (_rows(post_finding=(16, 60, 15)), PDFS, UPLOAD, "Record one finding"),
        (_rows(staff_dashboard=(51, 20, 14)), PDFS, UPLOAD, "Staff dashboard"),
        (_rows(staff_dashboard=(20, 50, 16)), PDFS, UPLOAD, "Staff dashboard"),
        (_rows(), {"certificate": 51, "report": 100}, UPLOAD, "Certificate PDF"),
        (_rows(), {"certificate": 40, "report": 2001}, UPLOAD, "Report PDF, 300 findings"),
        (_rows(), PDFS, {"growth_mb": 20.0}, "50 MB upload"),
    ]
    for rows, pdfs, upload, name in cases:
        missed = [what for what, _, _, met in run.evaluate(rows, BARE, pdfs, upload) if not met]
        assert missed == [name]


def test_the_table_shows_the_ratio_to_the_bare_view():
    table = run.table(_rows(), BARE)

    assert "| Bare Django JSON view | 1 | 0.50 | 0.90 | 1600 | 0 | 100% |" in table
    assert "| verify | 1 | 1.00 | 2.00 | 900 | 1 | 56% |" in table


def test_a_ratio_measured_beside_the_bare_view_is_judged_against_that_bare_view():
    rows = _rows(verify=(2, 500, 1), trivial_api=(3, 300, 3))
    # The machine was slower while these ran: the bare view beside them answered 900 and 1000 req/s.
    rows["verify"].bare = {1: Measure(1, 1, 2, 900, 100), 4: Measure(4, 2, 3, 1800, 100)}
    rows["trivial_api"].bare = {1: Measure(1, 1, 2, 1000, 100), 4: Measure(4, 2, 3, 2000, 100)}

    def met():
        return {what: met for what, _, _, met in run.evaluate(rows, BARE, PDFS, UPLOAD)}

    targets = met()
    assert targets["Public verification"]  # 500 / 900 = 56 %, though 500 / 1600 would be 31 %
    assert targets["Trivial authenticated API"]  # 300 / 1000 = 30 %
    rows["verify"].bare[1] = Measure(1, 1, 2, 1001, 100)
    assert not met()["Public verification"]
    table = run.table(rows, BARE)
    assert "| verify | 1 | 2.00 | 4.00 | 500 | 1 | 50% † |" in table
    assert "verify, concurrency 1: bare 1001 req/s" in table


def test_the_latest_run_replaces_the_last_and_keeps_the_rest(tmp_path, monkeypatch):
    results = tmp_path / "bench" / "RESULTS.md"
    results.parent.mkdir()
    results.write_text(
        "# Results\n\nintro\n\n<!-- latest run -->\nold run\n<!-- end of latest run -->\n\n## Notes\nkept\n"
    )
    monkeypatch.setattr(run, "ROOT", tmp_path)

    class World:
        counts = {"audits.Audit": 10}

    run.write_results("| new table |", ["| Target |"], World(), "full", "sqlite3", 10)

    text = results.read_text()
    assert "old run" not in text
    assert "| new table |" in text
    assert text.index("intro") < text.index("| new table |") < text.index("## Notes\nkept")
    assert text.count("<!-- latest run -->") == 1
