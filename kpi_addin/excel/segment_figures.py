"""A KPI_REPORT's figures by segment: what ``=KPI(handle, key, month, "plan=Pro")`` and
``=KPI_TABLE(handle, keys, months, "plan")`` read.

The segments are :func:`kpi_addin.metrics.segments.segment_report` of the report's own
company, computed on the first read of an attribute (or combination) and kept on the
report's entry, so every later read is a look-up, as for the company's figures.  A segment
is written as ``attribute=value`` (``plan=Pro``; several joined by ``;``:
``plan=Pro; country=KR``); ``(none)`` is the segment of a blank attribute.
"""

from __future__ import annotations

from ..metrics.segments import SEGMENT_KEYS, SegmentReport, attribute_columns, segment_report
from . import handles


def parse_segment(text: object, entry: handles.Entry) -> dict[str, str]:
    """``"plan=Pro; country=KR"`` → ``{"plan": "Pro", "country": "KR"}``; ValueError naming the
    argument and the ledger's attributes otherwise."""
    raw = str(text).strip()
    if not raw:
        raise ValueError("segment: give attribute=value, e.g. plan=Pro")
    wanted: dict[str, str] = {}
    for part in raw.split(";"):
        if not part.strip():
            continue
        name, equals, value = part.partition("=")
        attributes = attribute_columns(entry.report.ledger)
        if not equals or name.strip().lower() not in attributes:
            raise ValueError(
                f"segment: {part.strip()!r} is not attribute=value with an attribute of the ledger "
                f"({', '.join(attributes) or 'none'}), e.g. {(attributes or ['plan'])[0]}=..."
            )
        wanted[name.strip().lower()] = value.strip()
    return wanted


def segments_of(entry: handles.Entry, by: tuple[str, ...]) -> SegmentReport:
    """The report's segments by ``by``: computed once per entry and attribute combination."""
    found = entry.segments.get(by)
    if found is None:
        found = entry.segments[by] = segment_report(entry.data, entry.report, by)
    return found


def segment_code(result: SegmentReport, wanted: dict[str, str]) -> int:
    """The code of the segment whose attributes are ``wanted``; LookupError listing the segments."""
    labels = [{k: str(v) for k, v in row.items()} for row in result.segments.to_dict("records")]
    for code, label in enumerate(labels):
        if all(label[name] == value for name, value in wanted.items()):
            return code
    shown = ", ".join("; ".join(f"{k}={v}" for k, v in label.items()) for label in labels[:12])
    more = f" and {len(labels) - 12} more" if len(labels) > 12 else ""
    asked = "; ".join(f"{k}={v}" for k, v in wanted.items())
    raise LookupError(f"segment: {asked} is not a segment of the report (segments: {shown}{more})")


def segment_key(key: object) -> str:
    """A key a segment has (:data:`SEGMENT_KEYS`), or KeyError naming the argument."""
    name = str(key).strip().lower().replace(" ", "_") if key is not None else ""
    if name in SEGMENT_KEYS:
        return name
    raise KeyError(f"key: {key!r} has no figure by segment (see docs/excel-functions.md, Segments)")


def segment_value(entry: handles.Entry, key: object, label: str, segment: object) -> float:
    """One segment's figure for one month (``nan`` where undefined or not segmentable)."""
    wanted = parse_segment(segment, entry)
    result = segments_of(entry, tuple(wanted))
    code = segment_code(result, wanted)
    name = segment_key(key)
    if label not in entry.months:
        raise LookupError(f"month: {label} is not in the report ({entry.months[0]} to {entry.months[-1]})")
    return float(result.monthly[name].to_numpy()[result.monthly.index.get_loc((handles.month_period(label), code))])


def segment_rows(
    entry: handles.Entry, by: tuple[str, ...], names: list[str], labels: list[str]
) -> tuple[list[str], list[list[object]]]:
    """The header and rows (month, attribute values, then ``names``) of ``labels`` × every segment."""
    result = segments_of(entry, by)
    attributes = result.segments.to_dict("records")
    wanted = [segment_key(n) for n in names]
    header = ["month", *by, *wanted]
    table = result.monthly
    rows: list[list[object]] = []
    for label in labels:
        block = table.xs(handles.month_period(label), level="month")[wanted]
        for code, values in zip(block.index, block.to_numpy(dtype=float).tolist(), strict=True):
            rows.append([label, *(str(attributes[code][a]) for a in by), *values])
    return header, rows
