"""metrics.jsonl: one writer and one reader; every line stays valid JSON."""

import json
import math

from gankit.runs.records import append_record, read_records


def test_non_finite_numbers_at_any_depth_are_written_as_null(tmp_path):
    append_record(tmp_path, {"step": 1, "loss_d": math.nan,
                             "per_class": {"red cube": {"acc": math.inf, "n": 3}},
                             "worst": [math.nan, 0.5]})
    append_record(tmp_path, {"step": 2, "loss_d": 0.25})

    def refuse(token):
        raise ValueError(token)

    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line, parse_constant=refuse)["step"] for line in lines] == [1, 2]
    first, second = read_records(tmp_path)
    assert first["loss_d"] is None and first["per_class"]["red cube"] == {"acc": None, "n": 3}
    assert first["worst"] == [None, 0.5] and second["loss_d"] == 0.25


def test_a_run_without_records_reads_as_empty(tmp_path):
    assert read_records(tmp_path) == []
