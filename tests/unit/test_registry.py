"""The check catalog is a contract: IDs, names, titles, docs and permissions are pinned here."""

from __future__ import annotations

import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

from qsdoctor.aws.allowlist import READ_ONLY, permission
from qsdoctor.checks.docs import (
    CHECKS_MD,
    PERMISSIONS_MD,
    PLANNED,
    REGENERATE,
    display_remediation,
    render_checks_md,
    render_permissions_md,
)
from qsdoctor.checks.registry import REMEDIATION_PLACEHOLDERS, CheckSpec, load_all

REPO = Path(__file__).resolve().parents[2]

#: design.md's catalog. A rename fails here; retired IDs stay listed and are never reused.
CATALOG: dict[str, str] = {
    "QS001": "caller-identity",
    "QS101": "intermediate-role-exists",
    "QS102": "intermediate-trust-principal",
    "QS103": "intermediate-external-id-condition",
    "QS104": "intermediate-external-id-match",
    "QS105": "external-id-strength",
    "QS106": "intermediate-assume-permission",
    "QS107": "intermediate-scope",
    "QS108": "intermediate-least-privilege",
    "QS109": "intermediate-session-requirements",
    "QS201": "destination-role-exists",
    "QS202": "destination-trust-principal",
    "QS203": "destination-external-id",
    "QS204": "destination-session-requirements",
    "QS301": "hop-vendor-to-intermediate",
    "QS302": "hop-intermediate-to-destination",
    "QS303": "external-id-enforced",
    "QS401": "cloudtrail-logging",
    "QS402": "cloudtrail-hop1-failures",
    "QS403": "cloudtrail-hop2-failures",
    "QS501": "template-parameters",
    "QS502": "template-resolves",
}

#: Checks with a per-destination subject, per design.md.
PER_DESTINATION = {"QS106", "QS201", "QS202", "QS203", "QS204", "QS302"}

#: Words that keep their capital in a sentence-case title.
PROPER_NOUNS = {"External", "ID", "IDs", "Quiverstone", "CloudTrail", "AWS", "STS", "IAM"}

REGISTRY = load_all()
SPECS = list(REGISTRY.values())
ALLOWED_ACTIONS = {permission(service, op) for service, op in READ_ONLY}


def _ids(spec: CheckSpec) -> str:
    return spec.id


def test_every_registered_check_is_in_the_catalog_under_its_name() -> None:
    assert {cid: s.name for cid, s in REGISTRY.items()} == {
        cid: CATALOG[cid] for cid in REGISTRY if cid in CATALOG
    }
    assert set(REGISTRY) <= set(CATALOG), "new checks need a new ID in CATALOG (and design.md)"


def test_unregistered_catalog_ids_are_listed_as_planned_with_the_same_name() -> None:
    for cid, name in CATALOG.items():
        if cid not in REGISTRY:
            assert cid in PLANNED, f"{cid} is neither registered nor planned"
            assert PLANNED[cid].name == name


def test_planned_table_only_holds_catalog_ids() -> None:
    assert set(PLANNED) <= set(CATALOG)


def test_the_intermediate_checks_are_all_registered() -> None:
    assert {f"QS10{i}" for i in range(1, 10)} <= set(REGISTRY)


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
def test_scope_matches_the_catalog(spec: CheckSpec) -> None:
    expected = "destination" if spec.id in PER_DESTINATION else "chain"
    assert spec.scope == expected


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
def test_title_is_sentence_case_and_not_an_instruction(spec: CheckSpec) -> None:
    assert re.fullmatch(r"QS\d{3}", spec.id)
    assert spec.title, "a title is required"
    assert len(spec.title) <= 80
    assert spec.title[0].isupper(), "titles start with a capital letter"
    assert spec.title.split()[0] not in {"Ensure", "Check", "Checks", "Verify"}
    assert not spec.title.endswith(".")
    # Sentence case: words after the first are lower case unless acronyms or AWS names.
    for word in spec.title.split()[1:]:
        if word[0].isupper():
            assert word.isupper() or word in PROPER_NOUNS or ":" in word, (
                f"{spec.id}: {word!r} breaks sentence case"
            )


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
def test_has_user_documentation(spec: CheckSpec) -> None:
    doc = spec.doc
    assert doc, f"{spec.id} needs a docstring: it is what `qsdoctor explain` prints"
    first = doc.splitlines()[0]
    assert first.endswith("."), "the first docstring line is a sentence"
    assert len(doc.split()) >= 20, "say why it matters and how it decides"


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
def test_remediation_uses_only_known_placeholders(spec: CheckSpec) -> None:
    assert spec.remediation.strip()
    fields = {f for _, f, _, _ in string.Formatter().parse(spec.remediation) if f is not None}
    assert fields <= REMEDIATION_PLACEHOLDERS


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
def test_needs_are_allowlisted_permissions(spec: CheckSpec) -> None:
    assert set(spec.needs) <= ALLOWED_ACTIONS, set(spec.needs) - ALLOWED_ACTIONS


@pytest.mark.parametrize(
    ("path", "render"),
    [(CHECKS_MD, "render_checks_md"), (PERMISSIONS_MD, "render_permissions_md")],
    ids=["checks.md", "permissions.md"],
)
def test_docs_match_the_generator(path: Path, render: str) -> None:
    # A fresh interpreter sees exactly the checks the catalog registers, whatever other
    # test modules have imported into this one.
    code = (
        "import sys; from qsdoctor.checks import docs; "
        f"sys.stdout.buffer.write(docs.{render}().encode('utf-8'))"
    )
    generated = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, check=True, cwd=REPO
    ).stdout.decode("utf-8")
    committed = (REPO / path).read_text(encoding="utf-8")
    assert committed == generated, f"{path} is stale: run `{REGENERATE}` and commit it"


def test_checks_md_documents_every_registered_check_and_maps_the_reference() -> None:
    text = render_checks_md()
    for cid, spec in REGISTRY.items():
        assert f"## {cid} {spec.name}" in text
        assert display_remediation(spec) in text
    for step in range(1, 9):
        assert re.search(rf"^\| {step}\. ", text, re.MULTILINE), f"Validation Step {step}"
    assert "| Intermediate role has sts:AssumeRole permission | [QS106]" in text
    for cid in PLANNED:
        if cid not in REGISTRY:
            assert f"{cid} (planned)" in text or f"| {cid} |" in text


def test_permissions_md_lists_every_need_of_every_check() -> None:
    text = render_permissions_md()
    for spec in SPECS:
        for action in spec.needs:
            assert f'"{action}"' in text
    for service, op in READ_ONLY:
        assert f"`{service}:{op}`" in text


def test_profiles_only_use_allowlisted_operations() -> None:
    from qsdoctor.checks.docs import PROFILES

    for profile in PROFILES:
        assert profile.operations <= READ_ONLY, profile.operations - READ_ONLY


def test_generator_main_writes_both_files(tmp_path: Path) -> None:
    from qsdoctor.checks import docs

    assert docs.main([str(tmp_path)]) == 0
    assert (tmp_path / CHECKS_MD).read_text(encoding="utf-8") == render_checks_md()
    assert (tmp_path / PERMISSIONS_MD).read_text(encoding="utf-8") == render_permissions_md()


#: Reserved IDs that are not checks: the run reports them itself. Never reused.
RESERVED: dict[str, str] = {"QS000": "qsdoctor-run"}


def test_reserved_ids_are_not_checks_and_are_documented() -> None:
    from qsdoctor.checks.docs import RUN_LEVEL

    assert set(RESERVED).isdisjoint(REGISTRY)
    assert set(RESERVED).isdisjoint(CATALOG)
    assert {RUN_LEVEL.id: RUN_LEVEL.name} == RESERVED
    checks_md = render_checks_md()
    assert f"## Run-level finding\n\n### QS000 qsdoctor-run\n\n**{RUN_LEVEL.title}**" in checks_md
    assert "(#qs000-qsdoctor-run)" in checks_md


def test_the_crash_finding_is_the_documented_qs000() -> None:
    from qsdoctor.checks.docs import RUN_LEVEL
    from qsdoctor.engine import crash_finding

    finding = crash_finding(RuntimeError("boom"))
    assert (finding.id, finding.name, finding.status) == ("QS000", "qsdoctor-run", "error")
    assert finding.title == RUN_LEVEL.title
    assert finding.remediation == RUN_LEVEL.remediation
