"""An XLSX file is a zip: check it within fixed bounds before openpyxl reads any of it.

openpyxl trusts the zip. One shared string of 2 GiB (a few MB compressed) took 4.4 GB of memory
before failing. Here the file is read once into memory (at most `max_file_bytes`), its directory
is checked (number of members, each member's and the total uncompressed size, compression ratio,
compression method), and then every member is read once through zipfile in small chunks: zipfile
never yields more than the size the directory declares and checks each member's CRC at its end,
so a directory that lies about sizes is caught without holding more than a chunk. openpyxl then
reads exactly these bytes.
"""
from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

# XLSX (Open Packaging Conventions) allows only these; others (bzip2, LZMA) are decompressed by
# zipfile without an output bound, so they are refused before anything is read
_XLSX_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_CHUNK = 1024 * 1024
_MiB = 1024 * 1024


@dataclass(frozen=True)
class XlsxLimits:
    """Bounds for one plan workbook; real ones are far smaller (the example plan set of the province
    and 14 kabupaten/kota is 22 KB, 120 KB unpacked, compressed at most 8 times)."""

    max_file_bytes: int = 10 * _MiB
    max_members: int = 1000
    max_member_bytes: int = 32 * _MiB
    max_total_bytes: int = 100 * _MiB
    max_ratio: int = 100
    ratio_from_bytes: int = _MiB  # smaller members are not held to the ratio


DEFAULT_LIMITS = XlsxLimits()


class XlsxRefused(Exception):
    """The file is refused; the message is a complete Indonesian sentence for the user."""


def checked_workbook(path: Path, limits: XlsxLimits = DEFAULT_LIMITS) -> io.BytesIO:
    """The bytes of the workbook at `path`, once they passed every check; raise XlsxRefused otherwise.
    OSError (an unreadable file) is left to the caller."""
    with Path(path).open("rb") as handle:
        data = handle.read(limits.max_file_bytes + 1)
    if len(data) > limits.max_file_bytes:
        raise XlsxRefused(f"berkas terlalu besar untuk berkas rencana XLSX (lebih dari {_size(limits.max_file_bytes)})")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise XlsxRefused(f"tidak dapat dibaca sebagai berkas XLSX (bukan berkas zip yang utuh: {exc})") from exc
    with archive:
        members = archive.infolist()
        _check_directory(members, limits)
        for member in members:
            _read_through(archive, member)
    return io.BytesIO(data)


def _check_directory(members: list[zipfile.ZipInfo], limits: XlsxLimits) -> None:
    if len(members) > limits.max_members:
        raise XlsxRefused(f"berkas XLSX ditolak: berisi {len(members)} bagian (paling banyak {limits.max_members})")
    total = 0
    for member in members:
        name = member.filename
        if member.compress_type not in _XLSX_METHODS:
            raise XlsxRefused(f"berkas XLSX ditolak: bagian '{name}' memakai kompresi yang tidak dipakai XLSX "
                              f"(metode {member.compress_type}; hanya stored dan deflate)")
        if member.file_size > limits.max_member_bytes:
            raise XlsxRefused(f"berkas XLSX ditolak: bagian '{name}' berukuran {_size(member.file_size)} setelah "
                              f"dibuka (paling banyak {_size(limits.max_member_bytes)})")
        total += member.file_size
        if total > limits.max_total_bytes:
            raise XlsxRefused(f"berkas XLSX ditolak: isi seluruhnya lebih dari {_size(limits.max_total_bytes)} "
                              f"setelah dibuka")
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > limits.ratio_from_bytes and ratio > limits.max_ratio:
            raise XlsxRefused(f"berkas XLSX ditolak: bagian '{name}' dimampatkan {ratio:.0f} kali (paling banyak "
                              f"{limits.max_ratio} kali); kemungkinan bom zip")


def _read_through(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """Read a member to its end in chunks, so zipfile checks its declared size and CRC."""
    try:
        with archive.open(member) as stream:
            while stream.read(_CHUNK):
                pass
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError) as exc:  # RuntimeError: an encrypted member
        raise XlsxRefused(f"berkas XLSX ditolak: bagian '{member.filename}' tidak cocok dengan daftar isi zip "
                          f"atau rusak ({exc})") from exc


def _size(n: int) -> str:
    if n >= _MiB:
        return f"{n / _MiB:.1f} MiB"
    if n >= 10 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} bita"
