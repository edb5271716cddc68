"""The parameters of CommitmentFilterSet, case by case: shared by the list page's and the API's tests."""

import datetime

TODAY = datetime.date(2026, 11, 28)
DAY = datetime.timedelta(days=1)

FILTER_CASES = [
    ("", {"mine_overdue", "mine_later", "research", "no_owner", "done"}),
    ("?owner=mine", {"mine_overdue", "mine_later"}),
    ("?owner=none", {"no_owner"}),
    ("?overdue=true", {"mine_overdue"}),
    ("?owner=mine&overdue=true", {"mine_overdue"}),
    ("?overdue=false", {"mine_later", "research", "no_owner", "done"}),  # not overdue, as true is overdue
    ("?owner=mine&overdue=false", {"mine_later"}),
    ("?status=done", {"done"}),
    ("?status=open&status=in_progress", {"mine_overdue", "mine_later", "research", "no_owner"}),
    ("?category=CATEGORY", {"research"}),
    ("?responsible_side=partner", {"research"}),
    ("?follow_up_after=2026-12-01", {"mine_later", "research"}),
    ("?follow_up_before=2026-11-28", {"mine_overdue", "done"}),
    ("?q=radicalization", {"research"}),
    ("?q=home+affairs", {"mine_later"}),
    ("?q=JOINT", {"mine_later", "research"}),
    ("?meeting=MEETING", {"done"}),
    ("?group=GROUP", {"mine_overdue", "mine_later", "research", "no_owner", "done"}),
]


def filter_query(query: str, rows, group) -> str:
    return (
        query.replace("CATEGORY", str(rows["research"].category_id))
        .replace("MEETING", str(rows["done"].meeting_id))
        .replace("GROUP", str(group.pk))
    )
