"""The kabupaten/kota outlines of Kalimantan Tengah, projected to pixels and simplified for drawing.

The packaged GeoJSON (`monitor/data/geo/kalteng_kabupaten.geojson`, see its SOURCES.md) has about
2,200 vertices. Drawn 600 pixels wide most of them are closer together than a pixel, so the
outlines are simplified with Douglas-Peucker after projecting, and shared borders stay shared:
a vertex where the set of kabupaten owning the boundary changes (a junction of three units, the
end of a coast, an extra vertex one neighbour has on the border) is kept, and each border run
between two kept vertices is simplified on its own, so both neighbours get the same simplified line
and no sliver or gap opens between them.

Hand-written on purpose (about 40 lines): shapely's `simplify` works polygon by polygon (shared
borders drift apart) and would add a GEOS binary for 2,200 points; the topology-aware libraries
(topojson, mapshaper) bring shapely or Node.js.
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

Point = tuple[float, float]


@dataclass(frozen=True)
class Region:
    """One kabupaten/kota in pixel coordinates (y grows downwards)."""

    code: str  # Kemendagri code, 62.01 ... 62.71
    name: str  # "Kabupaten Kotawaringin Timur", "Kota Palangka Raya"
    short_name: str  # "Kotawaringin Timur"
    rings: tuple[tuple[Point, ...], ...]  # outer rings and holes, each closed implicitly
    label_at: Point  # the polygon centroid of the source data


@dataclass(frozen=True)
class MapGeometry:
    """Every region of the map, in code order, and the drawing's size in pixels."""

    width: float
    height: float
    regions: tuple[Region, ...]


# Hand-placed label shifts (pixels of a 600-pixel-wide map, scaled with it) where two neighbours'
# centroids put their names on top of each other: Sukamara/Kotawaringin Barat, Kapuas/Barito Selatan/Timur.
LABEL_OFFSETS = {"62.01": (12.0, 2.0), "62.03": (-6.0, -30.0), "62.04": (8.0, -8.0), "62.13": (4.0, 10.0)}


def _features() -> list[dict]:
    text = resources.files("monitor").joinpath("data", "geo", "kalteng_kabupaten.geojson").read_text(encoding="utf-8")
    return json.loads(text)["features"]


def _rings_of(geometry: dict) -> list[list[Point]]:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    rings = []
    for polygon in polygons:
        for ring in polygon:
            points = [(float(x), float(y)) for x, y in ring]
            if len(points) > 1 and points[0] == points[-1]:
                points.pop()  # closed implicitly from here on
            rings.append(points)
    return rings


def _segment_distance(p: Point, a: Point, b: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


def _douglas_peucker(points: list[Point], tolerance: float) -> list[Point]:
    """The points of an open polyline that Douglas-Peucker keeps (both ends always).

    Ties are broken by the point itself, so a run and its reverse keep the same points.
    """
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        best, index = tolerance, None
        for i in range(first + 1, last):
            distance = _segment_distance(points[i], points[first], points[last])
            if distance > best or (index is not None and distance == best and points[i] < points[index]):
                best, index = distance, i
        if index is not None:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def _simplify_ring(ring: list[Point], locked: list[bool], tolerance: float) -> list[Point]:
    anchors = [i for i, is_locked in enumerate(locked) if is_locked]
    if len(anchors) < 2:  # an island or a ring without junctions: anchor at a vertex and the one farthest from it
        start = anchors[0] if anchors else 0
        far = max(range(len(ring)), key=lambda i: (math.dist(ring[i], ring[start]), ring[i]))
        anchors = sorted({start, far})
    result: list[Point] = []
    for a, b in zip(anchors, [*anchors[1:], anchors[0] + len(ring)], strict=True):
        run = [ring[i % len(ring)] for i in range(a, b + 1)]
        result += _douglas_peucker(run, tolerance)[:-1]
    return result


def _area(ring: tuple[Point, ...]) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True))) / 2


def _display_name(properties: dict) -> str:
    # the source spells the city "Kota Palangkaraya"; the city and the law write "Palangka Raya"
    kind = "Kota" if properties["name"].startswith("Kota ") else "Kabupaten"
    return f"{kind} {properties['short_name']}"


@lru_cache(maxsize=8)
def map_geometry(width: int = 600, margin: float = 8.0, tolerance: float = 0.75,
                 min_area: float = 1.0) -> MapGeometry:
    """The map `width` pixels wide: projected, simplified within `tolerance` pixels, specks under `min_area` px²
    dropped.

    The projection is equirectangular with longitudes scaled by cos of the middle latitude: near
    the equator (Kalteng lies between 0.8° N and 3.6° S) it is as good as any other.
    """
    features = _features()
    source = {f["properties"]["code"]: _rings_of(f["geometry"]) for f in features}
    owners: dict[Point, set[str]] = defaultdict(set)
    for code, rings in source.items():
        for ring in rings:
            for point in ring:
                owners[point].add(code)
    lons = [p[0] for p in owners]
    lats = [p[1] for p in owners]
    x_scale = math.cos(math.radians((min(lats) + max(lats)) / 2))
    scale = (width - 2 * margin) / ((max(lons) - min(lons)) * x_scale)
    height = (max(lats) - min(lats)) * scale + 2 * margin

    def project(point: Point) -> Point:
        return ((point[0] - min(lons)) * x_scale * scale + margin, (max(lats) - point[1]) * scale + margin)

    # a vertex locked in any ring is locked in all, so neighbours cut their shared run at the same points
    # even where one of them has an extra vertex on the border (a T-junction in the source)
    locked: set[Point] = set()
    for rings in source.values():
        for ring in rings:
            n = len(ring)
            locked.update(ring[i] for i in range(n)
                          if owners[ring[i]] != owners[ring[i - 1]] or owners[ring[i]] != owners[ring[(i + 1) % n]])
    regions = []
    for feature in sorted(features, key=lambda f: f["properties"]["code"]):
        properties = feature["properties"]
        drawn: list[tuple[Point, ...]] = []
        for ring in source[properties["code"]]:
            flags = [point in locked for point in ring]
            simplified = tuple(project(p) for p in _simplify_ring(ring, flags, tolerance / scale))
            if len(simplified) >= 3 and _area(simplified) >= min_area:
                drawn.append(simplified)
        x, y = project((properties["centroid_lon"], properties["centroid_lat"]))
        dx, dy = LABEL_OFFSETS.get(properties["code"], (0.0, 0.0))
        label = (x + dx * width / 600, y + dy * width / 600)
        regions.append(Region(properties["code"], _display_name(properties), properties["short_name"], tuple(drawn),
                              label))
    return MapGeometry(float(width), height, tuple(regions))
