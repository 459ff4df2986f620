"""The TS 28.541 Release 17 shape the 5G core templates and simulators are to take (issue 13), as
instance data that validates against the upstream 3GPP modules plus the project's augment module
`yang/rom-5g-slice-ext.yang` (DNNs per S-NSSAI on the UPF and SMF, the UPF's session capacity).
Hand-written references of the shape the simulators now hold and the templates render (those are
checked by test_templates_yang.py and tests/integration/test_yang_running.py); these check the
augment module's teeth."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.yanglint import validate

TARGET = Path(__file__).parent / "yang_target"


@pytest.mark.parametrize("name", ["upf-rel17.xml", "smf-rel17.xml"])
def test_target_tree_validates_with_the_project_augment(name: str) -> None:
    assert validate((TARGET / name).read_text(), "xml", "3gpp", "config") == []


def test_a_dnn_in_the_3gpp_namespace_is_refused() -> None:
    """Release 17 has no DNN on the UPF: it lives in the augment's namespace, not 3GPP's."""
    text = (TARGET / "upf-rel17.xml").read_text()
    text = text.replace('<dnnList xmlns="urn:rom:yang:rom-5g-slice-ext">', "<dnnList>")
    assert any("dnnList" in e for e in validate(text, "xml", "3gpp", "config"))


def test_priority_label_is_mandatory() -> None:
    text = (TARGET / "upf-rel17.xml").read_text().replace("      <priorityLabel>1</priorityLabel>\n", "", 1)
    text = text.replace("<attributes><priorityLabel>1</priorityLabel></attributes>", "<attributes/>")
    assert validate(text, "xml", "3gpp", "config") != []
