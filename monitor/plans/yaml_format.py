"""RAD-PKS plans in YAML: reading into raw records with line numbers, and writing.

Reading walks the node tree of ``classifiers.safe_yaml.compose`` (not ``safe_load``) so every value
keeps its line, and scalar fields keep the text as written (``region: 62.10`` stays "62.10", not
62.1); the file size, nesting and alias expansion are bounded there. The layout is described in
README.md of this folder.
"""
from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml

from classifiers import safe_yaml
from monitor.plans.fields import suggest
from monitor.plans.schema import PERIODS, ActionData, Cell, Loc, PlanData, Problem, RawAction, RawPlan, RawRecord

_Record = TypeVar("_Record", bound=RawRecord)

PLAN_KEYS = ("year", "region", "title", "status", "document_ref", "example", "actions")
ACTION_KEYS = ("code", "bidang", "program", "kegiatan", "sasaran", "indikator", "target", "penanggung_jawab",
               "instansi_terkait", "anggaran", "sumber_anggaran", "categories", "places", "keywords", "realisasi")
REALISATION_KEYS = ("realisasi", "capaian_persen", "kendala", "evidence")

# PyYAML's most common complaints, said in Indonesian (the original is kept in brackets).
_YAML_PROBLEMS = {
    "mapping values are not allowed here": "tanda ':' di tempat yang tidak boleh (teks berisi ':' perlu diberi "
                                           "tanda kutip, atau indentasi salah)",
    "could not find expected ':'": "tanda ':' yang diharapkan tidak ada",
    "did not find expected key": "indentasi salah: isian berikutnya tidak ditemukan di tempat yang diharapkan",
    "did not find expected '-' indicator": "indentasi daftar salah (tanda '-' tidak di tempat yang diharapkan)",
    "found character '\\t' that cannot start any token":
        "karakter tab tidak boleh dipakai untuk indentasi; pakai spasi",
    "found unexpected end of stream": "berkas berakhir sebelum tanda kutip atau kurung ditutup",
    "but found another document": "berkas hanya boleh berisi satu dokumen YAML (hapus pemisah '---' kedua)",
    "found undefined alias": "alias (*nama) dipakai tanpa jangkar (&nama)",
}


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class _Reader:
    def __init__(self, label: str):
        self.label = label
        self.problems: list[Problem] = []

    def loc(self, node: yaml.Node, field: str | None = None) -> Loc:
        return Loc(self.label, _line(node), None, field)

    def problem(self, node: yaml.Node, message: str, field: str | None = None) -> None:
        self.problems.append(Problem(self.loc(node, field), message))

    def cell(self, node: yaml.Node, field: str) -> Cell:
        """A Cell for a value node; lists become lists of item Cells (each with its own line)."""
        if isinstance(node, yaml.SequenceNode):
            return Cell([self.cell(item, field) for item in node.value], self.loc(node, field))
        if isinstance(node, yaml.MappingNode):
            return Cell({}, self.loc(node, field))
        try:
            value = safe_yaml.construct(node)
        except yaml.YAMLError as exc:  # e.g. an invalid timestamp or a Python tag
            self.problem(node, f"nilai tidak dapat dibaca ({getattr(exc, 'problem', exc)})", field)
            value = None
        text = None if value is None else node.value
        return Cell(value, self.loc(node, field), text)

    def mapping(self, node: yaml.Node, allowed: tuple[str, ...], path: str,
                what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """Key -> (key node, value node) of a mapping node, reporting unknown and repeated keys."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} harus berupa pemetaan isian (kunci: nilai)", path or None)
            return {}
        items: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, "nama isian harus berupa teks", path or None)
                continue
            key = key_node.value
            field = f"{path}.{key}" if path else key
            if key in items:
                self.problem(key_node, f"isian ini ditulis dua kali (pertama di baris {_line(items[key][0])})", field)
                continue
            if allowed and key not in allowed:
                self.problem(key_node, f"isian tidak dikenal{suggest(key, allowed)}; isian yang dikenal di sini: "
                                       f"{', '.join(allowed)}", field)
                continue
            items[key] = (key_node, value_node)
        return items

    def record(self, node: yaml.Node, items: dict, path: str, cls: type[_Record], skip=()) -> _Record:
        record = cls(loc=self.loc(node))
        for key, (key_node, value_node) in items.items():
            if key in skip:
                continue
            field = f"{path}.{key}" if path else key
            cell = self.cell(value_node, field)
            # report a field at the line of its key (where "bidang:" is written), list items at their own
            cell.loc = cell.loc.on_line(_line(key_node))
            record.fields[key] = cell
        return record

    def read(self, text: str) -> list[RawPlan]:
        try:
            root = safe_yaml.compose(text)
        except safe_yaml.YamlLimitError as exc:
            self.problems.append(Problem(Loc(self.label, exc.line), str(exc)))
            return []
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = str(exc.problem or exc.context or exc)
            said = next((v for k, v in _YAML_PROBLEMS.items() if problem.startswith(k)), None)
            message = f"bukan YAML yang sah: {said} [{problem}]" if said else f"bukan YAML yang sah [{problem}]"
            self.problems.append(Problem(Loc(self.label, mark.line + 1 if mark else None), message))
            return []
        except yaml.YAMLError as exc:
            self.problems.append(Problem(Loc(self.label), f"bukan YAML yang sah [{exc}]"))
            return []
        if root is None:
            self.problems.append(Problem(Loc(self.label), "berkas kosong (harus berisi daftar 'plans')"))
            return []
        top = self.mapping(root, ("plans",), "", "isi berkas")
        if not isinstance(root, yaml.MappingNode):
            return []
        if "plans" not in top:
            self.problem(root, "daftar 'plans' tidak ada (berkas rencana dimulai dengan 'plans:')")
            return []
        key_node, plans_node = top["plans"]
        if not isinstance(plans_node, yaml.SequenceNode):
            self.problem(key_node, "'plans' harus berupa daftar rencana (setiap rencana diawali '-')", "plans")
            return []
        return [plan for plan in (self.plan(node) for node in plans_node.value) if plan is not None]

    def plan(self, node: yaml.Node) -> RawPlan | None:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, "setiap rencana harus berupa pemetaan isian (year, region, title, actions, ...)")
            return None
        items = self.mapping(node, PLAN_KEYS, "", "rencana")
        plan = self.record(node, items, "", RawPlan, skip=("actions",))
        if "actions" in items:
            key_node, actions_node = items["actions"]
            if isinstance(actions_node, yaml.SequenceNode):
                plan.actions = [a for a in (self.action(n) for n in actions_node.value) if a is not None]
            elif not (isinstance(actions_node, yaml.ScalarNode) and actions_node.value in ("", "~", "null")):
                self.problem(key_node, "'actions' harus berupa daftar rencana aksi (setiap aksi diawali '-')",
                             "actions")
        return plan

    def action(self, node: yaml.Node) -> RawAction | None:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, "setiap rencana aksi harus berupa pemetaan isian (code, bidang, program, ...)")
            return None
        items = self.mapping(node, ACTION_KEYS, "", "rencana aksi")
        action = self.record(node, items, "", RawAction, skip=("target", "realisasi"))
        if "target" in items:
            _, target_node = items["target"]
            if not self._is_null(target_node):
                for period, (p_key, p_value) in self.mapping(target_node, (), "target", "'target'").items():
                    period_cell = Cell(period, self.loc(p_key, f"target.{period}"), period)
                    value_cell = self.cell(p_value, f"target.{period}")
                    value_cell.loc = value_cell.loc.on_line(_line(p_key))
                    action.targets.append((period_cell, value_cell))
        if "realisasi" in items:
            _, real_node = items["realisasi"]
            if not self._is_null(real_node):
                for period, (p_key, p_value) in self.mapping(real_node, (), "realisasi", "'realisasi'").items():
                    period_cell = Cell(period, self.loc(p_key, f"realisasi.{period}"), period)
                    if self._is_null(p_value):
                        continue
                    path = f"realisasi.{period}"
                    sub = self.mapping(p_value, REALISATION_KEYS, path, f"realisasi {period}")
                    record = self.record(p_value, sub, path, RawRecord)
                    record.loc = self.loc(p_key)
                    action.realisations.append((period_cell, record))
        return action

    @staticmethod
    def _is_null(node: yaml.Node) -> bool:
        return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")


def read_yaml(path: Path, label: str | None = None) -> tuple[list[RawPlan], list[Problem]]:
    """Raw plans of a YAML file and the problems of its structure (values are checked later)."""
    path = Path(path)
    reader = _Reader(label or path.name)
    try:
        text = safe_yaml.read_bytes(path).decode("utf-8-sig")
    except safe_yaml.YamlLimitError as exc:
        return [], [Problem(Loc(reader.label), str(exc))]
    except UnicodeDecodeError as exc:
        return [], [Problem(Loc(reader.label),
                            f"bukan teks UTF-8 (bita ke-{exc.start + 1}); simpan ulang sebagai UTF-8")]
    except OSError as exc:
        return [], [Problem(Loc(reader.label), f"berkas tidak dapat dibaca ({exc.strerror or exc})")]
    plans = reader.read(text)
    return plans, reader.problems


# --------------------------------------------------------------------------- writing


class _FlowList(list):
    """A short list of words written on one line: [a, b, c]."""


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_flow(dumper: yaml.SafeDumper, value: _FlowList):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_FlowList, _represent_flow)


def _number(value: float | None):
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _list(values: list[str]) -> list:
    """Flow style for short lists of short words, block style otherwise."""
    if sum(len(v) + 2 for v in values) <= 80 and all("\n" not in v for v in values):
        return _FlowList(values)
    return list(values)


def action_to_dict(action: ActionData) -> dict:
    data = {
        "code": action.code,
        "bidang": action.bidang,
        "program": action.program,
        "kegiatan": action.kegiatan,
        "sasaran": action.sasaran,
        "indikator": action.indikator,
        "target": {p: action.target.get(p, "") for p in PERIODS},
        "penanggung_jawab": action.penanggung_jawab,
        "instansi_terkait": _list(action.instansi_terkait),
        "anggaran": _number(action.anggaran),
        "sumber_anggaran": action.sumber_anggaran,
        "categories": _list(action.categories),
        "places": _list(action.places),
        "keywords": _list(action.keywords),
    }
    if action.realisasi:
        data["realisasi"] = {
            period: {
                "realisasi": r.realisasi,
                "capaian_persen": _number(r.capaian_persen),
                "kendala": r.kendala,
                "evidence": list(r.evidence),
            }
            for period, r in action.realisasi.items()
        }
    return data


def plan_to_dict(plan: PlanData) -> dict:
    return {
        "year": plan.year,
        "region": plan.region,
        "title": plan.title,
        "status": plan.status,
        "document_ref": plan.document_ref,
        "example": plan.example,
        "actions": [action_to_dict(a) for a in plan.actions],
    }


def dump_yaml(plans: list[PlanData], header: str = "") -> str:
    """The YAML text of `plans`, optionally after a comment block (`header`, lines without '#')."""
    body = yaml.dump({"plans": [plan_to_dict(p) for p in plans]}, Dumper=_Dumper, allow_unicode=True,
                     sort_keys=False, width=4096, indent=2)
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines()) if header else ""
    return comment + body


def write_yaml(plans: list[PlanData], path: Path, header: str = "") -> None:
    Path(path).write_text(dump_yaml(plans, header), encoding="utf-8")
