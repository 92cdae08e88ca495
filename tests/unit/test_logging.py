"""Logs are JSON lines, the libraries' own included, and never carry patient fields."""

import io
import json
import logging

from service.observability.logging import configure_logging, get_logger


def test_a_library_log_line_comes_out_as_json() -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    logging.getLogger("aiokafka.consumer").warning("Heartbeat failed for group %s", "g1")
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["event"] == "Heartbeat failed for group g1"
    assert (line["level"], line["logger"]) == ("warning", "aiokafka.consumer")


def test_patient_fields_are_redacted_whoever_logs_them() -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    get_logger("test").info("claim seen", member_id="M-SECRET", claim_id="C-1")
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["member_id"] == "[redacted]" and line["claim_id"] == "C-1"
