"""Commitments by category and status, as bars drawn in SVG by the template (no chart library)."""

from dataclasses import dataclass, field

from commitments.models import Category, Commitment


@dataclass
class Segment:
    status: str
    label: str
    count: int
    x: float
    width: float


@dataclass
class Bar:
    category: str
    total: int
    segments: list[Segment] = field(default_factory=list)

    @property
    def caption(self) -> str:
        return ", ".join(f"{segment.count} {segment.label.lower()}" for segment in self.segments)


def bars(counts: list[tuple[str, dict[str, int]]]) -> list[Bar]:
    """One bar per (category name, {status: count}), scaled so that the longest is 100 units."""
    counts = [(name, statuses) for name, statuses in counts if sum(statuses.values())]
    if not counts:
        return []
    longest = max(sum(statuses.values()) for _, statuses in counts)
    result = []
    for name, statuses in counts:
        bar, x = Bar(name, sum(statuses.values())), 0.0
        for status in Commitment.Status:
            if statuses.get(status):
                width = 100 * statuses[status] / longest
                bar.segments.append(Segment(status.value, status.label, statuses[status], round(x, 2), round(width, 2)))
                x += width
        result.append(bar)
    return result


def category_status_chart(rows: list[dict], categories: list[Category]) -> dict[int, list[Bar]]:
    """{group id: one bar per category that has commitments}, from counts by group, category and status."""
    counts: dict[int, dict[int, dict[str, int]]] = {}
    for row in rows:
        counts.setdefault(row["meeting__group"], {}).setdefault(row["category"], {})[row["status"]] = row["count"]
    return {
        group_id: bars([(category.name, by_category.get(category.pk, {})) for category in categories])
        for group_id, by_category in counts.items()
    }
