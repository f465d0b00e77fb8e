"""The level map: valid SVG with the 14 kabupaten/kota in their level's colour, shared borders kept, PNG for email."""
from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

from PIL import Image

from monitor.alerts.coverage import kabupaten_names
from monitor.render.geometry import map_geometry
from monitor.render.map import kabupaten_map_svg, map_png
from monitor.render.style import LEVEL_STYLES

SVG = "{http://www.w3.org/2000/svg}"
LEVELS = {"62.02": "awas", "62.06": "siaga", "62.71": "waspada", "62.03": "waspada"}
HOSTILE = '<script>alert(1)</script> & "kutip"'


def _regions(root):
    return {p.get("data-kode"): p for p in root.iter(f"{SVG}path") if p.get("class") == "wilayah"}


def test_the_packaged_boundaries_are_the_shared_file_and_name_every_kabupaten_by_its_code():
    packaged = resources.files("monitor").joinpath("data", "geo", "kalteng_kabupaten.geojson").read_bytes()
    shared = Path("/work/shared/data/gazetteer/kalteng_kabupaten.geojson")
    if shared.exists():
        assert packaged == shared.read_bytes()
    codes = {f["properties"]["code"] for f in json.loads(packaged)["features"]}
    assert codes == set(kabupaten_names()) and len(codes) == 14


def test_svg_is_valid_xml_with_each_kabupaten_in_its_level_colour():
    svg = kabupaten_map_svg(LEVELS)
    root = ET.fromstring(svg)
    regions = _regions(root)
    assert set(regions) == set(kabupaten_names())
    for code, path in regions.items():
        level = LEVELS.get(code, "normal")
        assert path.get("fill") == LEVEL_STYLES[level].fill, code
        assert path.get("data-tingkat") == level
        assert path.get("d").startswith("M")
    # every kabupaten names itself and its level on hover; raised levels also carry a pattern
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "Kabupaten Kotawaringin Timur: Awas" in titles
    assert "Kota Palangka Raya: Waspada" in titles
    assert "Kabupaten Seruyan: Normal" in titles
    patterns = [p for p in root.iter(f"{SVG}path") if p.get("class") == "pola"]
    assert sorted(p.get("fill") for p in patterns) == sorted(
        f"url(#waspada-peta-pola-{level})" for level in LEVELS.values())
    # the legend says the levels in words, with their counts
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"Awas (1)", "Siaga (1)", "Waspada (2)", "Normal (10)", "Tingkat kewaspadaan"} <= set(texts)
    assert "AWAS" in texts and "Kotawaringin" in texts
    # on a phone only the raised kabupaten keep their (larger) names
    narrow = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "label-sempit")
    assert [t.text for t in narrow] == ["Kotawaringin Timur", "AWAS", "Kapuas", "WASPADA", "Katingan", "SIAGA",
                                        "Palangka Raya", "WASPADA"]
    assert "@media (max-width:520px)" in root.find(f"{SVG}style").text
    assert len(svg) < 45_000  # small enough for a slow office line


def test_svg_links_are_http_or_same_site_only_and_text_is_escaped():
    links = {"62.02": "/peringatan?kabupaten=62.02&urut=terbaru", "62.71": "javascript:alert(1)",
             "62.03": "https://waspada.example.go.id/peringatan?kabupaten=62.03", "62.04": "//jahat.example/x",
             "62.05": '/x" onmouseover="alert(1)'}
    svg = kabupaten_map_svg({}, links=links, caption=HOSTILE)
    root = ET.fromstring(svg)
    hrefs = {a.find(f"{SVG}path").get("data-kode"): a.get("href") for a in root.iter(f"{SVG}a")}
    assert hrefs == {"62.02": links["62.02"], "62.03": links["62.03"], "62.05": links["62.05"]}
    assert "javascript:" not in svg and "jahat.example" not in svg
    assert all(a.get("onmouseover") is None for a in root.iter(f"{SVG}a"))  # the quote stayed inside the value
    assert root.find(f"{SVG}title").text == HOSTILE and "<script>" not in svg
    assert not list(root.iter(f"{SVG}script"))


def test_simplified_neighbours_keep_the_same_border():
    """A vertex on a shared border that survives simplification in one neighbour survives in the other."""
    exact, simple = map_geometry(600, tolerance=0.0, min_area=0.0), map_geometry(600)
    owners: dict = {}
    for region in exact.regions:
        for ring in region.rings:
            for point in ring:
                owners.setdefault(point, set()).add(region.code)
    kept = {region.code: {p for ring in region.rings for p in ring} for region in simple.regions}
    shared = 0
    for code, points in kept.items():
        for point in points:
            for other in owners.get(point, set()) - {code}:
                assert point in kept[other], (code, other, point)
                shared += 1
    assert shared > 300
    assert sum(len(p) for p in kept.values()) < 0.85 * sum(len(ring) for r in exact.regions for ring in r.rings)


def _pixels_near(image: Image.Image, colour: str, tolerance: int = 12) -> int:
    target = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return sum(count for count, rgb in image.convert("RGB").getcolors(1 << 20)
               if all(abs(a - b) <= tolerance for a, b in zip(rgb, target)))


def test_png_decodes_and_shows_the_levels():
    raised = Image.open(io.BytesIO(map_png(LEVELS)))
    raised.load()
    assert raised.format == "PNG" and raised.width == 600 and 450 < raised.height < 560
    calm = Image.open(io.BytesIO(map_png({})))
    for level in ("awas", "siaga", "waspada"):
        assert _pixels_near(raised, LEVEL_STYLES[level].fill) > 2000, level
        assert _pixels_near(calm, LEVEL_STYLES[level].fill) < 600, level  # only the legend swatch
    assert _pixels_near(calm, LEVEL_STYLES["normal"].fill) > _pixels_near(raised, LEVEL_STYLES["normal"].fill)
