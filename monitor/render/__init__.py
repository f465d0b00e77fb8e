"""Server-side pictures for the web app and the digest: the level map (SVG and PNG) and small SVG charts.

Everything is drawn on the server from packaged data, so pages and emails need no JavaScript map
library, tile server or CDN. Text drawn into SVG is always XML-escaped.
"""
