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


def category_status_chart(rows: list[dict], categories: list[Category]) -> dict[int, list[Bar]]:
    """{group id: one bar per category that has commitments}, bars scaled to the group's longest (100 units)."""
    counts: dict[int, dict[int, dict[str, int]]] = {}
    for row in rows:
        counts.setdefault(row["meeting__group"], {}).setdefault(row["category"], {})[row["status"]] = row["count"]
    charts = {}
    for group_id, by_category in counts.items():
        longest = max(sum(statuses.values()) for statuses in by_category.values())
        bars = []
        for category in categories:
            statuses = by_category.get(category.pk)
            if not statuses:
                continue
            bar, x = Bar(category.name, sum(statuses.values())), 0.0
            for status in Commitment.Status:
                if statuses.get(status):
                    width = 100 * statuses[status] / longest
                    bar.segments.append(
                        Segment(status.value, status.label, statuses[status], round(x, 2), round(width, 2))
                    )
                    x += width
            bars.append(bar)
        charts[group_id] = bars
    return charts
