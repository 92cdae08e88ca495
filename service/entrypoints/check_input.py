"""How `claim-edit check` splits a file into events (docs/contract.md, Command line)."""

import codecs
from collections.abc import Iterator

import orjson

from service.app.edit_event import Source

Event = tuple[bytes, Source]


def events_in(name: str, content: bytes) -> Iterator[Event]:
    """A whole-file JSON array or object is its events; otherwise one event per non-blank line.

    Yields each event's bytes and where it came from: the line, or for an array element its
    position counted from 1. A leading UTF-8 byte-order mark and CRLF line ends are accepted.
    Every event then goes through the same processing as one read from Kafka, so the same
    limits apply whatever the form (an array element is measured as it is re-encoded).
    """
    content = content.removeprefix(codecs.BOM_UTF8)
    try:
        whole = orjson.loads(content) if content.strip() else None
    except orjson.JSONDecodeError:
        whole = None
    if isinstance(whole, list):
        for index, element in enumerate(whole, start=1):
            yield orjson.dumps(element), Source(file=name, offset=index)
        return
    if isinstance(whole, dict):
        yield content, Source(file=name, line=1)
        return
    for number, line in enumerate(content.splitlines(), start=1):
        if line.strip():
            yield line, Source(file=name, line=number)
