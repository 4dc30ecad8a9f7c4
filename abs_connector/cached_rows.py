"""Rows read by one hand-built query, put into the ORM cache as if the ORM had read them.

The request's hot path (docs/performance.md, "Lists at a million customers") reads what several
ORM searches would, in one query; the records it hands on must then read like the ORM's own.
"""


def cached_record(model, field_names, values):
    """The record whose ``id`` heads ``values`` (or empty when it is NULL), with the other
    ``field_names`` put into the cache as if the ORM had read them.

    :param field_names: ``id`` first, then stored fields of ``model``, in the order of ``values``.
    """
    if values[0] is None:
        return model.browse()
    record = model.browse(values[0])
    for name, value in zip(field_names[1:], values[1:], strict=True):
        field = model._fields[name]
        model.env.cache.update(record, field, [field.convert_to_cache(value, record, validate=False)])
    return record


def cached_records(model, field_names, columns):
    """The records whose ids are ``columns[0]``, with the other ``field_names``' columns put into
    the cache as the ORM's own fetch puts them (values as the database returned them, not
    overwriting a value already cached).

    :param columns: one sequence per name of ``field_names`` (``id`` first), aligned by row.
    """
    records = model.browse(columns[0])
    for name, values in zip(field_names[1:], columns[1:], strict=True):
        model.env.cache.insert_missing(records, model._fields[name], values)
    return records
