"""The governance benchmark's own arithmetic: what it reads from Odoo's access
log, how it summarizes latencies and how it places people in SAs. The
figures it prints are only as good as these."""

import random
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_governance  # noqa: E402  (found through the sys.path entry above)
import bench_seed  # noqa: E402

# A real line of Odoo 18's access log (werkzeug logger with the perf filter).
ACCESS_LINE = (
    "2026-11-23 16:53:57,493 27618 INFO abs_bench_dev2 werkzeug: 127.0.0.1 - - "
    '[23/Nov/2026 16:53:57] "GET /api/contacts?limit=50 HTTP/1.1" 200 - 14 0.089 0.134'
)


def test_access_log_line_yields_path_status_and_query_count():
    match = bench_governance.ACCESS_LINE.search(ACCESS_LINE)
    assert match.group(2) == "/api/contacts?limit=50"
    assert match.group(3) == "200"
    assert int(match.group(4)) == 14


def test_log_line_without_perf_columns_is_not_taken_for_a_request():
    line = ACCESS_LINE.rsplit(" 14 ", 1)[0] + " - - -"
    assert bench_governance.ACCESS_LINE.search(line) is None


@pytest.mark.parametrize(("share", "expected"), [(0.5, 50), (0.95, 95), (1.0, 100), (0.001, 1)])
def test_percentile_is_the_nearest_rank(share, expected):
    values = list(range(100, 0, -1))
    assert bench_governance.percentile(values, share) == expected


def test_every_sa_gets_an_agent_and_every_tenth_agent_of_an_sa_is_assigned_only():
    placed = bench_seed.plan_people(sas=20, agents=300, rng=random.Random(0.42))
    assert len(placed) == 300
    assert {k for _j, k, _policy in placed} == set(range(1, 21))
    for k in range(1, 21):
        policies = [policy for _j, sa, policy in placed if sa == k]
        assert [n for n, policy in enumerate(policies, 1) if policy] == [
            n for n in range(1, len(policies) + 1) if n % 10 == 2
        ]


def test_people_plan_is_reproducible_and_skewed_towards_the_first_sa():
    first = bench_seed.plan_people(sas=50, agents=500, rng=random.Random(0.42))
    assert first == bench_seed.plan_people(sas=50, agents=500, rng=random.Random(0.42))
    per_sa = [sum(1 for _j, k, _p in first if k == sa) for sa in range(1, 51)]
    assert per_sa[0] > 5 * sorted(per_sa)[25]  # the largest SA dwarfs the median one


def test_arguments_refuse_fewer_agents_than_sas():
    with pytest.raises(SystemExit):
        bench_governance.parse_args(["--sas", "10", "--agents", "5"])


SETTINGS_1M = {
    "version": "15.18 (Debian 15.18-0+deb12u1)",
    "shared_buffers": "128MB",
    "effective_cache_size": "4GB",
    "work_mem": "4MB",
    "random_page_cost": "4",
    "jit": "on",
    "shared_buffers_bytes": 128 * 2**20,
    "hot_tables_bytes": 1_310 * 2**20,
}


def test_a_buffer_pool_smaller_than_the_partners_and_assignments_is_warned_of():
    warning = bench_governance.buffer_pool_warning(SETTINGS_1M)
    assert "shared_buffers (128MB)" in warning
    assert "1,310 MB" in warning


def test_a_buffer_pool_that_holds_them_is_not_warned_of():
    sized = {**SETTINGS_1M, "shared_buffers": "6GB", "shared_buffers_bytes": 6 * 2**30}
    assert bench_governance.buffer_pool_warning(sized) is None


def test_the_markdown_names_the_settings_and_the_warning_above_the_table():
    results = {"machine": {"postgresql": SETTINGS_1M}, "requests": [], "query_counts": {}, "explain": {}}
    lines = bench_governance.markdown(results, 4).splitlines()
    assert lines[0].startswith("PostgreSQL 15.18")
    assert "shared_buffers 128MB" in lines[0] and "jit on" in lines[0]
    assert lines[2].startswith("**Warning:** shared_buffers (128MB)")
    assert lines[4].startswith("| request | median ms")


def test_the_markdown_of_a_run_without_settings_starts_with_the_table():
    results = {"machine": {}, "requests": [], "query_counts": {}, "explain": {}}
    assert bench_governance.markdown(results, 4).startswith("| request | median ms")
