"""Hostile inputs shared by several test files."""
from __future__ import annotations


def alias_bomb(indent: str, levels: int = 9, width: int = 9) -> str:
    """YAML list items at `indent` whose nested aliases make about 1 KB of text stand for
    width**levels values (387,420,489 by default): the "billion laughs" of YAML."""
    lines = [f"{indent}- &b0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"{indent}- &b{level} [" + ", ".join([f"*b{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def deep_yaml_list(depth: int = 100_000) -> str:
    """A flow list nested `depth` times: [[[...]]]."""
    return "[" * depth + "]" * depth
