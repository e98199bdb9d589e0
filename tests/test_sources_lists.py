"""OFAC XML, UN consolidated XML and FollowTheMoney JSON parsers on samples in the
published layouts (real entries; the OFAC ones cross-checked against the real CSV)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphkit.ingest.project import load_project
from graphkit.issues import IssueLog
from graphkit.lists import (
    DPRK_NEXUS,
    ListFormatError,
    detect_format,
    dprk_nexus,
    read_ftm_json,
    read_list,
    read_ofac_xml,
    read_sdn,
    read_un_xml,
    select_dprk,
    select_programs,
)
from graphkit.schema import SANCTION_COLUMNS

DATA = Path(__file__).parent / "data"
OFAC_XML = DATA / "ofac_sdn_sample.xml"
UN_XML = DATA / "un_consolidated_sample.xml"
FTM = DATA / "opensanctions_sample.ftm.json"


def _by_id(frame):
    return {row["list_id"]: row for row in frame.to_dict("records")}


def test_formats_are_detected_from_content():
    assert detect_format(OFAC_XML) == "ofac-sdn-xml"
    assert detect_format(UN_XML) == "un-sc-xml"
    assert detect_format(FTM) == "ftm-json"


def test_ofac_xml_agrees_with_the_real_csv(shared_sdn):
    xml = _by_id(read_ofac_xml(OFAC_XML))
    csv = _by_id(read_sdn(shared_sdn))
    assert list(read_ofac_xml(OFAC_XML).columns) == list(SANCTION_COLUMNS)
    assert set(xml) == {"17616", "20157", "24977", "24978", "48260"}
    for list_id, entry in xml.items():
        assert entry["name"] == csv[list_id]["name"]
        assert entry["kind"] == csv[list_id]["kind"]
        assert entry["programs"] == csv[list_id]["programs"]
        # the CSV's Remarks a.k.a.s are weak; the names are the XML's a.k.a.s
        assert sorted(entry["aliases"] + entry["weak_aliases"]) == sorted(
            csv[list_id]["aliases"] + csv[list_id]["weak_aliases"])
        assert entry["dobs"] == csv[list_id]["dobs"]
        assert entry["passports"] == csv[list_id]["passports"]
    ryu = xml["17616"]
    assert ryu["nationalities"] == ["Korea, North"]
    assert ryu["other_ids"] == []  # "Secondary sanctions risk:" is an advisory, not an id
    assert xml["24977"]["other_ids"] == [
        "Unified Social Credit Code (USCC): 91222401MA0Y31E659 (China)"]
    assert xml["24977"]["addresses"] == ["Yanji, Jilin, China"]


def test_ofac_xml_weak_aliases_and_any_namespace(tmp_path):
    text = OFAC_XML.read_text(encoding="utf-8")
    text = text.replace(
        "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML",
        "http://tempuri.org/sdnList.xsd")  # the older publications' namespace
    text = text.replace("<category>strong</category>\n        <lastName>ALIS LLC",
                        "<category>weak</category>\n        <lastName>ALIS LLC")
    path = tmp_path / "sdn.xml"
    path.write_text(text, encoding="utf-8")
    alis = _by_id(read_list(path))["48260"]
    assert alis["aliases"] == ["ALIAS LLC"]
    assert alis["weak_aliases"] == ["ALIS LLC"]


def test_un_xml_individuals_and_entities():
    un = _by_id(read_un_xml(UN_XML))
    yun = un["KPi.001"]
    assert (yun["name"], yun["kind"], yun["programs"]) == ("YUN HO-JIN", "person", ["DPRK"])
    assert yun["aliases"] == ["Yun Ho-chin"] and yun["dobs"] == ["1944-10-13"]
    pak = un["KPi.041"]
    assert pak["weak_aliases"] == ["Ambassador Pak"]  # QUALITY Low
    assert pak["passports"] == ["563410091"]
    assert pak["title"] == "DPRK Ambassador to Egypt"
    komid = un["KPe.001"]
    assert komid["kind"] == "company" and len(komid["aliases"]) == 3
    assert komid["addresses"] == [
        "Pyongyang, Central District, Democratic People's Republic of Korea"]


def test_ftm_json_entities_sanctions_and_documents():
    ftm = _by_id(read_ftm_json(FTM))
    assert set(ftm) == {"NK-kim-jong-un", "NK-ryu-jin", "NK-yanbian-silverstar"}  # no Address
    kim = ftm["NK-kim-jong-un"]
    assert kim["aliases"] == ["Kim Jong-un", "김정은"]
    assert kim["programs"] == ["DPRK3"]  # from the separate Sanction entity
    assert kim["dobs"] == ["1984-01-08"] and kim["nationalities"] == ["kp"]
    assert ftm["NK-ryu-jin"]["passports"] == ["563410081"]  # from the Passport entity
    assert ftm["NK-ryu-jin"]["weak_aliases"] == ["Comrade Ryu"]
    assert ftm["NK-yanbian-silverstar"]["programs"] == ["DPRK3", "DPRK4"]  # nested Sanction
    assert len(select_dprk(read_ftm_json(FTM))) == 2


def test_ftm_bad_line_is_reported_and_the_rest_kept(tmp_path):
    lines = FTM.read_text(encoding="utf-8").splitlines()
    lines.insert(2, '{"id": "broken", "schema": ')
    path = tmp_path / "entities.ftm.json"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ListFormatError, match=r"entities.ftm.json line 3: not a FollowTheMoney"):
        read_ftm_json(path)
    log = IssueLog()
    frame = read_ftm_json(path, issues=log)
    assert len(frame) == 3
    assert [(i.file, i.line) for i in log.issues] == [("entities.ftm.json", 3)]


def test_truncated_xml_names_file_and_line(tmp_path):
    path = tmp_path / "sdn.xml"
    text = OFAC_XML.read_text(encoding="utf-8")
    path.write_text(text[: text.index("<uid>24977")], encoding="utf-8")
    with pytest.raises(ListFormatError, match=r"sdn.xml line \d+, column \d+: not well-formed"):
        read_ofac_xml(path)


def test_unknown_file_is_refused(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(ListFormatError, match="unknown sanctions-list format"):
        read_list(path)
    (tmp_path / "x.json").write_text(json.dumps({"a": 1}), encoding="utf-8")
    with pytest.raises(ListFormatError):
        read_list(tmp_path / "x.json")


def test_project_lists_any_format(tmp_path):
    project = tmp_path / "project.yml"
    project.write_text(
        "sources:\n  - file: people.csv\n    loader: people\n"
        f"sanctions:\n  - file: {UN_XML}\n  - file: {FTM}\n    format: ftm-json\n",
        encoding="utf-8")
    loaded = load_project(project)
    assert [fmt for _, fmt in loaded.sanctions] == [None, "ftm-json"]
    project.write_text(project.read_text().replace("ftm-json", "ftm-xml"), encoding="utf-8")
    with pytest.raises(Exception, match="unknown format 'ftm-xml'"):
        load_project(project)


CONSOLIDATED = DATA / "ofac_consolidated_non_sdn_sample.xml"
SHARED_CONSOLIDATED = (Path(__file__).resolve().parents[2] / "shared" / "data" / "ofac"
                       / "consolidated_non_sdn_2024-05-06.xml")


def test_ofac_consolidated_entries_are_labelled_by_their_own_list():
    assert detect_format(CONSOLIDATED) == "ofac-cons-xml"
    cons = _by_id(read_list(CONSOLIDATED))
    assert {i: e["list"] for i, e in cons.items()} == {
        "17014": "OFAC-SSI", "9639": "OFAC-NS-PLC", "30882": "OFAC-NS-CMIC",
        "31693": "OFAC-NS-MBS", "26182": "OFAC-FSE", "15268": "OFAC-CAPTA"}
    assert cons["9639"]["aliases"] == ["HANIYA, Ismail", "HANIYYA, Ismaeel"]
    # read as the SDN layout it shares, the same file is still not the SDN list
    assert set(read_list(CONSOLIDATED, "ofac-cons-xml")["list"]) & {"OFAC-SDN"} == set()


@pytest.mark.skipif(not SHARED_CONSOLIDATED.exists(), reason="shared data folder absent")
def test_whole_ofac_consolidated_list_has_no_sdn_label():
    cons = read_list(SHARED_CONSOLIDATED)
    assert len(cons) == 443 and "OFAC-SDN" not in set(cons["list"])
    assert cons["list"].value_counts().to_dict()["OFAC-SSI"] > 200


def test_dprk_nexus_scope_reaches_beyond_the_dprk_programs(shared_sdn):
    sdn = read_sdn(shared_sdn)
    nexus = select_programs(sdn, [DPRK_NEXUS])
    programs = select_dprk(sdn)
    assert set(programs["list_id"]) < set(nexus["list_id"])
    assert "19531" in set(nexus["list_id"])  # KIM Song Chol: NPWMD only, North Korean
    extra = nexus[~nexus["list_id"].isin(programs["list_id"])]
    assert all(dprk_nexus(extra))
    assert not dprk_nexus(sdn[sdn["list_id"] == "40122"]).any()  # a Russian, no nexus
    assert len(select_programs(sdn, ["all"])) == len(sdn)
    un = read_un_xml(UN_XML)
    assert dprk_nexus(un).all()


def test_project_default_scope_is_the_dprk_nexus(tmp_path):
    project = tmp_path / "project.yml"
    project.write_text("sources:\n  - file: people.csv\n    loader: people\n", encoding="utf-8")
    assert load_project(project).programs == (DPRK_NEXUS,)
