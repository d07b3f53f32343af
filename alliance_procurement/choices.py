"""Filter choices of rarely changing models, kept between requests.

Every list page's filter offers each supplier, contract or trust: read from
the database on every request, that cost a query and a model per option, a
fifth of an order list's server time. An app lists the models whose choice
lists may be kept (``cache_choices_of(Supplier, Contract)`` in its
``AppConfig.ready``); a select of such a model's rows (``OptionsSelect``)
then reads its ``(value, label)`` pairs from Django's cache (Redis when
``REDIS_CACHE_URL`` is set).

A kept list is dropped as soon as a row of its model is saved or deleted
(``post_save``/``post_delete``), again when that transaction commits (a list
read meanwhile could not see the new row yet), and in any case after
``CHOICES_TIMEOUT`` seconds, for writes that send no signal (bulk updates,
another database client). Only querysets of the model's own rows may be kept:
a label or filter reaching another table would not be dropped when that table
changes.
"""

import hashlib
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.db.models.sql import Query

CHOICES_TIMEOUT = 60

_kept: set[str] = set()


def _generation_key(label: str) -> str:
    return f"choices-generation:{label}"


def _renew(label: str) -> None:
    cache.set(_generation_key(label), uuid.uuid4().hex, None)


def _changed(sender, **kwargs) -> None:
    label = sender._meta.label_lower
    _renew(label)
    transaction.on_commit(lambda: _renew(label), robust=True)


def cache_choices_of(*models) -> None:
    """Keep these models' choice lists between requests (see module docstring)."""
    for model in models:
        label = model._meta.label_lower
        _kept.add(label)
        for signal in (post_save, post_delete):
            signal.connect(
                _changed,
                sender=model,
                weak=False,
                dispatch_uid=f"choices-{signal is post_save}-{label}",
            )


def is_kept(model) -> bool:
    return model._meta.label_lower in _kept


# What a query may change from ``Model.objects.all()``: rows, joins, order,
# columns, slices. A query equal to a fresh one in all of these reads the
# whole table in the model's own order.
_QUERY_SHAPE = (
    "where",
    "annotations",
    "extra",
    "extra_tables",
    "_filtered_relations",
    "order_by",
    "extra_order_by",
    "default_ordering",
    "standard_ordering",
    "distinct",
    "distinct_fields",
    "low_mark",
    "high_mark",
    "select",
    "values_select",
    "default_cols",
    "deferred_loading",
    "group_by",
    "combinator",
    "combined_queries",
)


def _reads_whole_table(query) -> bool:
    """Whether ``query`` lists every row of its model as ``Model.objects.all()``
    does (a base table at most, nothing else changed)."""
    if len(query.alias_map) > 1:
        return False
    fresh = Query(query.model)
    return all(getattr(query, name) == getattr(fresh, name) for name in _QUERY_SHAPE)


def _entry_key(field) -> str:
    """The cache key of ``field``'s list: what its query reads (the whole
    table, or else the query's SQL and parameters), the database, the field's
    class and ``to_field_name``. Building a query's SQL costs as much as the
    rest of a select's rendering, so the usual whole-table list skips it."""
    queryset = field.queryset
    query = queryset.query
    source = "whole table" if _reads_whole_table(query) else query.sql_with_params()
    digest = hashlib.sha256(
        repr(
            (source, queryset.db, type(field).__qualname__, field.to_field_name)
        ).encode()
    ).hexdigest()
    return f"choices:{queryset.model._meta.label_lower}:{digest}"


def kept_choices(field) -> list[tuple[str, str]]:
    """``(value, label)`` of a model choice field's rows, from the cache if kept.

    ``field`` is a ``ModelChoiceField`` whose queryset's model was passed to
    ``cache_choices_of``. Two fields listing different rows or labels never
    share a list (``_entry_key``).
    """
    queryset = field.queryset
    if queryset.query.is_empty():  # ``.none()``: no rows, and no SQL to key by
        return []
    label = queryset.model._meta.label_lower
    entry_key = _entry_key(field)
    found = cache.get_many([_generation_key(label), entry_key])
    generation = found.get(_generation_key(label))
    entry = found.get(entry_key)
    if generation is not None and entry is not None and entry[0] == generation:
        return entry[1]
    if generation is None:
        generation = uuid.uuid4().hex
        cache.add(_generation_key(label), generation, None)
        generation = cache.get(_generation_key(label), generation)
    iterator = field.iterator(field)
    pairs = [
        (str(value), str(text))
        for value, text in (iterator.choice(obj) for obj in queryset.all())
    ]
    cache.set(entry_key, (generation, pairs), CHOICES_TIMEOUT)
    return pairs
