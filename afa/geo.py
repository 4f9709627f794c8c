"""Which district a shared location lies in: the area staff keep with each team, a polygon of corner points.

An area is written as text, "lat, lon; lat, lon; ..." (decimal degrees, at least three corners, in order
around the district; the last corner connects back to the first). `parse_area` reads and checks it (the
content import and the console use it through the `area` column type); `district_at` finds the team whose
area contains a point. The point itself is never stored: callers keep only the district.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.db import Team
from afa.i18n import S_

Point = tuple[float, float]  # (latitude, longitude)
_NUMBER = r"[-+]?\d{1,3}(?:\.\d+)?"
_CORNER = re.compile(rf"^\s*({_NUMBER})\s*(?:,|\s)\s*({_NUMBER})\s*$")
MIN_CORNERS = 3


class AreaError(ValueError):
    """A malformed area; `message` (a staff text, S_) and `params` say what is wrong."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message.format(**params))
        self.message, self.params = message, params


def parse_area(text: str) -> list[Point]:
    """The corners of an area written as "lat, lon; lat, lon; ..."; AreaError when it is not a usable polygon."""
    parts = [p for p in re.split(r"[;\n]", text or "") if p.strip()]
    points: list[Point] = []
    for number, part in enumerate(parts, start=1):
        match = _CORNER.match(part)
        if match is None:
            raise AreaError(S_("corner {n} is not “latitude, longitude” in decimal degrees (like 51.4975, 6.7741): "
                               "{value!r}"), n=number, value=part.strip())
        lat, lon = float(match.group(1)), float(match.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise AreaError(S_("corner {n} lies outside the globe (latitude −90 to 90, longitude −180 to 180): {value!r}"),
                            n=number, value=part.strip())
        points.append((lat, lon))
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()  # a closed ring written out: the first corner again at the end
    if len(set(points)) < MIN_CORNERS:
        raise AreaError(S_("an area needs at least {min} different corners (“lat, lon; lat, lon; …”), found {count}"),
                        min=MIN_CORNERS, count=len(set(points)))
    if len(set(points)) != len(points):
        raise AreaError(S_("the same corner appears twice: {value}"), value=_corner(_repeated(points)))
    if _crossing(points):
        raise AreaError(S_("the edges of the area cross each other: give the corners in order around the district"))
    if abs(_twice_area(points)) < 1e-10:
        raise AreaError(S_("the corners lie on one line: the area is empty"))
    return points


def _repeated(points: list[Point]) -> Point:
    seen: set[Point] = set()
    for point in points:
        if point in seen:
            return point
        seen.add(point)
    return points[0]


def _corner(point: Point) -> str:
    return f"{_degrees(point[0])}, {_degrees(point[1])}"


def _degrees(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def format_area(points: Iterable[Point]) -> str:
    """The canonical text of an area (what the database holds and an export writes)."""
    return "; ".join(_corner(p) for p in points)


def _twice_area(points: list[Point]) -> float:
    return sum(a[1] * b[0] - b[1] * a[0] for a, b in zip(points, points[1:] + points[:1]))


def _orientation(p: Point, q: Point, r: Point) -> float:
    return (q[1] - p[1]) * (r[0] - p[0]) - (q[0] - p[0]) * (r[1] - p[1])


def _segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Whether segment ab and segment cd share a point (touching counts)."""
    d1, d2, d3, d4 = _orientation(c, d, a), _orientation(c, d, b), _orientation(a, b, c), _orientation(a, b, d)
    if d1 * d2 < 0 and d3 * d4 < 0:
        return True

    def on(p: Point, q: Point, r: Point) -> bool:  # r on segment pq, given the three are collinear
        return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(p[1], q[1])

    return (d1 == 0 and on(c, d, a)) or (d2 == 0 and on(c, d, b)) or (d3 == 0 and on(a, b, c)) or (d4 == 0 and on(a, b, d))


def _crossing(points: list[Point]) -> bool:
    """Whether two edges that are not neighbours meet (a figure eight, a corner out of order)."""
    edges = list(zip(points, points[1:] + points[:1]))
    count = len(edges)
    for i in range(count):
        for j in range(i + 1, count):
            if j == i + 1 or (i == 0 and j == count - 1):
                continue  # neighbours share a corner
            if _segments_cross(*edges[i], *edges[j]):
                return True
    return False


def contains(points: list[Point], latitude: float, longitude: float) -> bool:
    """Whether the point lies inside the polygon (even-odd rule; districts are small, so flat geometry will do)."""
    inside = False
    for (lat_a, lon_a), (lat_b, lon_b) in zip(points, points[1:] + points[:1]):
        if (lat_a > latitude) != (lat_b > latitude):
            crossing = lon_a + (latitude - lat_a) * (lon_b - lon_a) / (lat_b - lat_a)
            if longitude < crossing:
                inside = not inside
    return inside


def district_at(session: Session, latitude: float, longitude: float) -> Optional[str]:
    """The district of the first team whose area contains the point, or None (outside every area)."""
    for district, area in session.execute(select(Team.district, Team.area).order_by(Team.id)):
        if not area:
            continue
        try:
            points = parse_area(area)
        except AreaError:  # cannot happen through the import or the console, which check it; skip, do not fail
            continue
        if contains(points, latitude, longitude):
            return district
    return None
