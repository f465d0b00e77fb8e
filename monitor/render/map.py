"""The level map of Kalimantan Tengah: each kabupaten/kota in its level's colour and pattern, with a legend.

`kabupaten_map_svg` gives inline SVG for web pages (hover titles, optional links); `map_png` the
same drawing as a PNG for email, where SVG is not shown. The PNG is drawn with Pillow rather than
matplotlib (which DESIGN.md names): the map is a few filled polygons, hatching and labels, which
Pillow draws directly, while matplotlib would add about 40 MB of dependencies (and Pillow itself)
for no better picture.
"""
from __future__ import annotations

import io
import re
from html import escape

from PIL import Image, ImageChops, ImageDraw, ImageFont

from monitor.alerts.levels import LEVELS
from monitor.render.geometry import MapGeometry, Region, map_geometry
from monitor.render.links import safe_href
from monitor.render.style import LEVEL_STYLES, LevelStyle, style_of

FONT_FAMILY = "'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
MAP_TITLE = "Peta tingkat kewaspadaan kabupaten/kota Kalimantan Tengah"
LEGEND_TITLE = "Tingkat kewaspadaan"
BORDER = "#ffffff"
LABEL_INK = "#1f1f1f"
PATTERN_SIZE = 6  # pixels between dots or hatch lines
LEGEND_AT = (10, 10)  # the top-left corner (West Kalimantan's side) holds no part of the province
LABEL_WRAP = 14  # longer two-word names ("Kotawaringin Timur") are written on two lines
LINE_HEIGHT = 12
NARROW_SCREEN = 520  # CSS pixels: below this the inline map shows only raised kabupaten, in NARROW_LABEL_SIZE type
NARROW_LABEL_SIZE = 22


def _region_title(region: Region, style: LevelStyle) -> str:
    return f"{region.name}: {style.label}"


def _counts(levels: dict[str, str], regions) -> dict[str, int]:
    counts = {level: 0 for level in LEVELS}
    for region in regions:
        counts[style_of(levels.get(region.code, "normal")).level] += 1
    return counts


def _legend_rows(counts: dict[str, int]) -> list[tuple[LevelStyle, str]]:
    return [(LEVEL_STYLES[level], f"{LEVEL_STYLES[level].label} ({counts[level]})") for level in reversed(LEVELS)]


# --------------------------------------------------------------------------- SVG


def _number(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _path_data(region: Region) -> str:
    """Absolute start, then relative steps in tenths of a pixel (rounded once, so shared borders stay shared)."""
    parts = []
    for ring in region.rings:
        points = [(round(x * 10), round(y * 10)) for x, y in ring]
        (x0, y0), steps = points[0], []
        previous = points[0]
        for x, y in points[1:]:
            if (x, y) != previous:
                steps.append(f"{_number((x - previous[0]) / 10)},{_number((y - previous[1]) / 10)}")
                previous = (x, y)
        parts.append(f"M{_number(x0 / 10)},{_number(y0 / 10)}l{' '.join(steps)}z")
    return "".join(parts)


def _svg_patterns(prefix: str) -> str:
    defs = []
    for style in LEVEL_STYLES.values():
        if style.pattern == "none":
            continue
        s = PATTERN_SIZE
        if style.pattern == "titik":
            body = f'<circle cx="{s / 2}" cy="{s / 2}" r="1.1" fill="{style.text}" fill-opacity="0.55"/>'
            transform = ""
        else:
            body = (f'<line x1="0" y1="0" x2="0" y2="{s}" stroke="{style.text}" stroke-width="1.3" '
                    'stroke-opacity="0.5"/>')
            if style.pattern == "silang":
                body += (f'<line x1="0" y1="0" x2="{s}" y2="0" stroke="{style.text}" stroke-width="1.3" '
                         'stroke-opacity="0.5"/>')
            transform = ' patternTransform="rotate(45)"'
        defs.append(f'<pattern id="{prefix}-pola-{style.level}" width="{s}" height="{s}" '
                    f'patternUnits="userSpaceOnUse"{transform}>{body}</pattern>')
    return "".join(defs)


def _label_lines(region: Region, style: LevelStyle) -> list[tuple[str, bool]]:
    """The label's lines, (text, bold): the short name (two lines when long), then a raised level in capitals."""
    words = region.short_name.split(" ", 1)
    lines = [(w, False) for w in words] if len(region.short_name) > LABEL_WRAP and len(words) == 2 else \
        [(region.short_name, False)]
    if style.level != "normal":
        lines.append((style.label.upper(), True))
    return lines


def _svg_label(region: Region, style: LevelStyle, size: float = 11, lines=None) -> str:
    x, y = region.label_at
    halo = f'paint-order="stroke" stroke="#ffffff" stroke-width="{size * 0.28:.1f}" stroke-linejoin="round"'
    bold_attribute = ' font-weight="bold"'
    return "".join(
        f'<text x="{x:.1f}" y="{y + i * size * LINE_HEIGHT / 11:.1f}" text-anchor="middle" font-size="{size:g}"'
        f'{bold_attribute if bold else ""} fill="{LABEL_INK}" {halo}>{escape(text)}</text>'
        for i, (text, bold) in enumerate(lines or _label_lines(region, style)))


def _svg_labels(geometry: MapGeometry, levels: dict[str, str], prefix: str) -> str:
    """Every name for a wide map; on a narrow screen (a phone) only the raised kabupaten, in large type."""
    styles = [(region, style_of(levels.get(region.code, "normal"))) for region in geometry.regions]
    wide = "".join(_svg_label(region, style) for region, style in styles)
    narrow = "".join(_svg_label(region, style, NARROW_LABEL_SIZE, [(region.short_name, False),
                                                                   (style.label.upper(), True)])
                     for region, style in styles if style.level != "normal")
    return (f"<style>#{prefix} .label-sempit{{display:none}}"
            f"@media (max-width:{NARROW_SCREEN}px){{#{prefix} .label-lebar{{display:none}}"
            f"#{prefix} .label-sempit{{display:inline}}}}</style>"
            f'<g class="label-lebar" pointer-events="none">{wide}</g>'
            f'<g class="label-sempit" pointer-events="none">{narrow}</g>')


def _svg_legend(counts: dict[str, int], prefix: str) -> str:
    rows = _legend_rows(counts)
    row_height, box_width = 20, 150
    box_height = 26 + row_height * len(rows)
    left, top = LEGEND_AT
    parts = [f'<g class="legenda" transform="translate({left},{top:.1f})">',
             f'<rect width="{box_width}" height="{box_height}" rx="4" fill="#ffffff" fill-opacity="0.92" '
             'stroke="#9e9e9e"/>',
             f'<text x="8" y="17" font-size="12" font-weight="bold" fill="{LABEL_INK}">{escape(LEGEND_TITLE)}</text>']
    for i, (style, text) in enumerate(rows):
        y = 26 + i * row_height
        parts.append(f'<rect x="8" y="{y}" width="22" height="14" fill="{style.fill}" stroke="#616161" '
                     'stroke-width="0.8"/>')
        if style.pattern != "none":
            parts.append(f'<rect x="8" y="{y}" width="22" height="14" fill="url(#{prefix}-pola-{style.level})"/>')
        parts.append(f'<text x="38" y="{y + 11}" font-size="12" fill="{LABEL_INK}">{escape(text)}</text>')
    parts.append("</g>")
    return "".join(parts)


def kabupaten_map_svg(levels: dict[str, str], links: dict[str, str] | None = None, width: int = 600,
                      caption: str = MAP_TITLE, id_prefix: str = "waspada-peta") -> str:
    """An inline SVG map: each kabupaten/kota (by Kemendagri code) filled by its level, with labels and a legend.

    `levels` maps a code to normal|waspada|siaga|awas (missing codes are Normal); `links` maps a
    code to a link (http(s) or a same-site path; anything else is left unlinked). Each unit has its
    name and level as a hover <title>; raised levels also carry a pattern and a written label, so
    the map reads without telling colours apart. On a phone-sized screen the names of Normal units
    give way to the raised ones in large type. `id_prefix` is the SVG's id and keeps ids unique on a page.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", id_prefix):
        raise ValueError(f"id_prefix must be a plain identifier, not {id_prefix!r}")
    links = links or {}
    geometry = map_geometry(width)
    prefix = id_prefix
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{prefix}" '
             f'viewBox="0 0 {geometry.width:.0f} {geometry.height:.0f}" '
             f'width="{geometry.width:.0f}" height="{geometry.height:.0f}" role="img" '
             f'aria-labelledby="{prefix}-judul" style="max-width:100%;height:auto" '
             f'font-family="{escape(FONT_FAMILY)}">',
             f'<title id="{prefix}-judul">{escape(caption)}</title>',
             f"<defs>{_svg_patterns(prefix)}</defs>",
             '<rect width="100%" height="100%" fill="#f4f7fa"/>']
    for region in geometry.regions:
        style = style_of(levels.get(region.code, "normal"))
        data = _path_data(region)
        href = safe_href(links.get(region.code))
        opening = f'<a href="{escape(href)}">' if href else "<g>"
        parts.append(f'{opening}<title>{escape(_region_title(region, style))}</title>'
                     f'<path class="wilayah" data-kode="{escape(region.code)}" data-tingkat="{style.level}" '
                     f'fill="{style.fill}" fill-rule="evenodd" stroke="{BORDER}" stroke-width="1" '
                     f'stroke-linejoin="round" d="{data}"/>')
        if style.pattern != "none":
            parts.append(f'<path class="pola" fill="url(#{prefix}-pola-{style.level})" fill-rule="evenodd" '
                         f'pointer-events="none" d="{data}"/>')
        parts.append("</a>" if href else "</g>")
    parts.append(_svg_labels(geometry, levels, prefix))
    parts.append(_svg_legend(_counts(levels, geometry.regions), prefix))
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------- PNG

SUPERSAMPLE = 2  # drawn twice as large, then reduced: smooth edges without an anti-aliasing renderer
PNG_TEXT_SCALE = 1.25  # an email's 600-pixel image shrinks to about 340 on a phone: larger labels stay legible


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _region_mask(size: tuple[int, int], region: Region) -> Image.Image:
    """The region's pixels, with even-odd filling (a ring inside another is a hole)."""
    mask = Image.new("1", size, 0)
    for ring in region.rings:
        layer = Image.new("1", size, 0)
        ImageDraw.Draw(layer).polygon(ring, fill=1)
        mask = ImageChops.logical_xor(mask, layer)
    return mask.convert("L")


def _pattern_layer(size: tuple[int, int], pattern: str, scale: int) -> Image.Image:
    """A whole-canvas layer of the pattern's ink coverage (0-255)."""
    layer = Image.new("L", size, 0)
    draw = ImageDraw.Draw(layer)
    step = PATTERN_SIZE * scale
    width, height = size
    if pattern == "titik":
        radius = 1.1 * scale
        for y in range(step // 2, height, step):
            for x in range(step // 2, width, step):
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=140)
        return layer
    line = max(1, round(1.3 * scale))
    diagonal = step * 1.4142
    for offset in range(-height, width, round(diagonal)):
        draw.line((offset, height, offset + height, 0), fill=128, width=line)
        if pattern == "silang":
            draw.line((offset, 0, offset + height, height), fill=128, width=line)
    return layer


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's bundled font: the same picture on every machine, no system font needed
    return ImageFont.load_default(size=size)


def map_png(levels: dict[str, str], width: int = 600) -> bytes:
    """The same map as `kabupaten_map_svg`, as PNG bytes for email (legend and labels drawn in)."""
    s = SUPERSAMPLE
    geometry = map_geometry(width * s, margin=8.0 * s, tolerance=0.75 * s, min_area=1.0 * s * s)
    size = (round(geometry.width), round(geometry.height))
    image = Image.new("RGB", size, _rgb("#f4f7fa"))
    draw = ImageDraw.Draw(image)
    patterns: dict[str, Image.Image] = {}
    for region in geometry.regions:
        style = style_of(levels.get(region.code, "normal"))
        mask = _region_mask(size, region)
        image.paste(_rgb(style.fill), mask=mask)
        if style.pattern != "none":
            if style.pattern not in patterns:
                patterns[style.pattern] = _pattern_layer(size, style.pattern, s)
            image.paste(_rgb(style.text), mask=ImageChops.multiply(mask, patterns[style.pattern]))
    for region in geometry.regions:
        for ring in region.rings:
            draw.line([*ring, ring[0]], fill=_rgb(BORDER), width=s, joint="curve")
    u = s * PNG_TEXT_SCALE
    font = _font(round(11 * u))
    for region in geometry.regions:
        x, y = region.label_at
        for i, (text, _bold) in enumerate(_label_lines(region, style_of(levels.get(region.code, "normal")))):
            draw.text((x, y + i * LINE_HEIGHT * u), text, font=font, fill=_rgb(LABEL_INK), anchor="ms",
                      stroke_width=2 * s, stroke_fill=(255, 255, 255))
    _png_legend(image, _counts(levels, geometry.regions), u)
    image = image.resize((width, round(geometry.height / s)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    _to_palette(image).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _to_palette(image: Image.Image, adaptive: int = 48) -> Image.Image:
    """The image in 64 colours (a third of the full-colour PNG's size, no visible loss).

    An adaptive palette alone would merge a colour covering few pixels (a legend swatch whose
    level no kabupaten has) into its neighbour, so every level's colours are added exactly.
    """
    fixed = {_rgb(c) for s in LEVEL_STYLES.values() for c in (s.fill, s.text)} | {_rgb(LABEL_INK), _rgb(BORDER)}
    quantized = image.quantize(colors=adaptive, method=Image.Quantize.MEDIANCUT)
    adaptive_palette = (quantized.getpalette() or [])[:adaptive * 3]  # a quantized image always has a palette
    palette = Image.new("P", (1, 1))
    palette.putpalette(adaptive_palette + [v for colour in sorted(fixed) for v in colour])
    return image.quantize(palette=palette, dither=Image.Dither.NONE)


def _png_legend(image: Image.Image, counts: dict[str, int], u: float) -> None:
    """The legend in the top-left corner; `u` is the size of one SVG pixel in this image."""
    draw = ImageDraw.Draw(image)
    rows = _legend_rows(counts)
    row_height, box_width = 20 * u, 150 * u
    box_height = 26 * u + row_height * len(rows)
    left, top = LEGEND_AT[0] * u, LEGEND_AT[1] * u
    font = _font(round(12 * u))
    draw.rounded_rectangle((left, top, left + box_width, top + box_height), radius=4 * u, fill=(255, 255, 255),
                           outline=_rgb("#9e9e9e"), width=round(u / 1.25))
    draw.text((left + 8 * u, top + 17 * u), LEGEND_TITLE, font=font, fill=_rgb(LABEL_INK), anchor="ls")
    for i, (style, text) in enumerate(rows):
        y = top + 26 * u + i * row_height
        box = (round(left + 8 * u), round(y), round(left + 30 * u), round(y + 14 * u))
        swatch = Image.new("L", image.size, 0)
        ImageDraw.Draw(swatch).rectangle(box, fill=255)
        image.paste(_rgb(style.fill), mask=swatch)
        if style.pattern != "none":
            pattern = _pattern_layer(image.size, style.pattern, round(u))
            image.paste(_rgb(style.text), mask=ImageChops.multiply(swatch, pattern))
        draw.rectangle(box, outline=_rgb("#616161"), width=round(u / 1.25))
        draw.text((left + 38 * u, y + 11 * u), text, font=font, fill=_rgb(LABEL_INK), anchor="ls")


