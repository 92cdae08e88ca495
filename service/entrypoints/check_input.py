"""How `claim-edit check` splits a file into events (docs/contract.md, Command line)."""

from collections.abc import Iterator

import orjson

from service.processing import Source

Event = tuple[bytes, object | None, Source]


def events_in(name: str, content: bytes) -> Iterator[Event]:
    """A whole-file JSON array or object is its events; otherwise one event per non-blank line.

    Yields the original bytes, the parsed value when the whole file was JSON (None when the
    line still has to be parsed), and where it came from.
    """
    try:
        whole = orjson.loads(content) if content.strip() else None
    except orjson.JSONDecodeError:
        whole = None
    if isinstance(whole, list):
        for index, element in enumerate(whole):
            yield orjson.dumps(element), element, Source(file=name, offset=index)
        return
    if isinstance(whole, dict):
        yield content, whole, Source(file=name, line=1)
        return
    for number, line in enumerate(content.splitlines(), start=1):
        if line.strip():
            yield line, None, Source(file=name, line=number)
