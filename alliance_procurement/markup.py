"""Escaping for markup written in Python, as Django's templates escape.

Django's ``conditional_escape`` and ``format_html`` first look through every
argument of every call for lazy text (``keep_lazy``); on a list page writing
hundreds of cells, links and tags that bookkeeping cost more than the
escaping. ``escaped`` gives the same text without it.
"""

import html
from collections.abc import Iterable


def escaped(text) -> str:
    """``conditional_escape(text)`` as plain text: markup that is already
    safe (it has ``__html__``) as it is, anything else through
    ``html.escape`` as Django's ``escape`` does."""
    if hasattr(text, "__html__"):
        return text.__html__()
    return html.escape(str(text))


def attributes(pairs: Iterable[tuple[object, object]]) -> str:
    """`` key="value"`` for each pair, both escaped."""
    return "".join(f' {escaped(key)}="{escaped(value)}"' for key, value in pairs)


def flat_attributes(attrs: dict) -> str:
    """What Django's ``flatatt`` writes: `` key="value"`` for each attribute
    in key order, then each ``True`` one bare in key order; ``False`` and
    ``None`` ones left out."""
    valued = sorted(
        (key, value)
        for key, value in attrs.items()
        if not isinstance(value, bool) and value is not None
    )
    bare = sorted(key for key, value in attrs.items() if value is True)
    return attributes(valued) + "".join(f" {escaped(key)}" for key in bare)
