"""The parts of a zip package (OFD, OOXML) read as XML, with names matched in any case
(DOC_0 vs Doc_0) and parts that declare a DTD or entities refused (billion laughs)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

from ingest.textfile import Unreadable


class ZipParts:
    """A zip package whose parts are looked up case-insensitively and parsed as XML."""

    def __init__(self, data: bytes, label: str = "部件") -> None:
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.names = {n.lower(): n for n in self.zip.namelist()}
        self._label = label  # how a refused part is named in the reason

    def xml(self, name: str) -> ET.Element | None:
        real = self.names.get(name.lstrip("/").lower())
        if real is None:
            return None
        raw = self.zip.read(real)
        if b"<!DOCTYPE" in raw[:4096] or b"<!ENTITY" in raw[:65536]:
            raise Unreadable(f"{self._label} {name} 含有 DTD/实体声明，拒绝解析")
        return ET.fromstring(raw)

    def read(self, name: str) -> bytes | None:
        """A part's bytes (an image), or None when the package has no such part."""
        real = self.names.get(name.lstrip("/").lower())
        return None if real is None else self.zip.read(real)
