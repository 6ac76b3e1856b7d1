"""The report's confidentiality label in a Word document's custom properties.

Word shows them under File › Properties › Custom, and a labelling or DLP tool reads them
without opening the text: ``sitroom.classification``, ``sitroom.policy``,
``sitroom.policy_identifier``, ``sitroom.releasable_to``, ``sitroom.banner`` and the whole
label as JSON in ``sitroom.label``. Properties of an agency's template are kept; ours replace
any of the same name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from lxml import etree  # type: ignore[import-untyped]

from sitroom.package.marking import label_json, render_banner

NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the one fmtid of user-defined properties
PREFIX = "sitroom."


def label_properties(label: Mapping[str, Any]) -> dict[str, str]:
    """The custom properties a label becomes."""
    rel: list[str] = next(
        (c["values"] for c in label.get("categories", ()) if c.get("type") == "permissive"), []
    )
    return {
        "sitroom.classification": str(label.get("classification") or ""),
        "sitroom.policy": str(label.get("policy") or ""),
        "sitroom.policy_identifier": str(label.get("policy_identifier") or ""),
        "sitroom.releasable_to": ", ".join(rel),
        "sitroom.banner": render_banner(dict(label)),
        "sitroom.label": label_json(dict(label)),
    }


def set_label_properties(document: Any, label: Mapping[str, Any]) -> None:
    """Write ``label`` into ``document``'s (a python-docx Document) custom properties."""
    package = document.part.package
    existing = next(
        (
            r.target_part
            for r in package.rels.values()
            if r.reltype == RELATIONSHIP_TYPE.CUSTOM_PROPERTIES
        ),
        None,
    )
    if existing is not None:
        root = etree.fromstring(existing.blob)
        for old in list(root):
            if str(old.get("name", "")).startswith(PREFIX):
                root.remove(old)
    else:
        root = etree.Element(f"{{{NS}}}Properties", nsmap={None: NS, "vt": VT})
    pids = [int(p.get("pid", "1")) for p in root]
    pid = max([1, *pids])
    for name, value in label_properties(label).items():
        pid += 1
        prop = etree.SubElement(
            root, f"{{{NS}}}property", {"fmtid": FMTID, "pid": str(pid), "name": name}
        )
        etree.SubElement(prop, f"{{{VT}}}lpwstr").text = value
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    if existing is not None:
        existing._blob = blob
        return
    part = Part(PackURI("/docProps/custom.xml"), CONTENT_TYPE.OFC_CUSTOM_PROPERTIES, blob, package)
    package.relate_to(part, RELATIONSHIP_TYPE.CUSTOM_PROPERTIES)


def read_label_properties(document: Any) -> dict[str, str]:
    """The ``sitroom.*`` custom properties of a python-docx Document (for checks and tests)."""
    package = document.part.package
    for rel in package.rels.values():
        if rel.reltype == RELATIONSHIP_TYPE.CUSTOM_PROPERTIES:
            root = etree.fromstring(rel.target_part.blob)
            return {
                str(p.get("name")): "".join(p.itertext())
                for p in root
                if str(p.get("name", "")).startswith(PREFIX)
            }
    return {}
