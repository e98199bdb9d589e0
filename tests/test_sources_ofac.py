"""The OFAC SDN legacy CSV parser on the real 2024-05-03 snapshot and on format edge cases."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from graphkit.lists import SdnFormatError, parse_remarks, read_sdn, select_dprk, select_programs
from graphkit.schema import SANCTION_COLUMNS


@pytest.fixture(scope="module")
def sdn(shared_sdn: Path):
    return read_sdn(shared_sdn)


def _entry(frame, ent_num: str) -> dict:
    rows = frame[frame["list_id"] == ent_num]
    assert len(rows) == 1
    return rows.iloc[0].to_dict()


def test_every_row_of_the_real_snapshot_loads(sdn, shared_sdn):
    with shared_sdn.open(encoding="utf-8", newline="") as handle:
        raw_rows = [r for r in csv.reader(handle) if len(r) == 12]
    assert len(raw_rows) == 14965
    assert len(sdn) == 14965
    assert list(sdn.columns) == list(SANCTION_COLUMNS)
    assert sdn["list_id"].is_unique
    assert (sdn["name"] != "").all()
    assert set(sdn["kind"]) == {"person", "company", "vessel", "aircraft"}


def test_bundled_snapshot_equals_the_shared_one(sdn):
    bundled = read_sdn()
    assert len(bundled) == len(sdn)
    assert bundled["list_id"].tolist() == sdn["list_id"].tolist()
    assert bundled["name"].tolist() == sdn["name"].tolist()


def test_yanbian_silverstar(sdn):
    entry = _entry(sdn, "24977")
    assert entry["name"] == "YANBIAN SILVERSTAR NETWORK TECHNOLOGY CO., LTD."
    assert entry["kind"] == "company"
    assert entry["programs"] == ["DPRK3", "DPRK4"]
    assert entry["other_ids"] == ["Unified Social Credit Code (USCC): 91222401MA0Y31E659 (China)"]


def test_real_dprk_people_facts(sdn):
    ryu = _entry(sdn, "17616")
    assert ryu["name"] == "RYU, Jin" and ryu["kind"] == "person"
    assert ryu["dobs"] == ["07 Aug 1965"]
    assert ryu["passports"] == ["563410081"]
    assert ryu["nationalities"] == ["Korea, North"]
    kim = _entry(sdn, "20157")
    assert kim["name"] == "KIM, Jong Un" and kim["dobs"] == ["08 Jan 1984"]
    assert kim["title"] == "Chairman of the Workers' Party of Korea"
    tian = _entry(sdn, "28263")
    assert tian["weak_aliases"] == ["tianyinyin0404"] and tian["dobs"] == ["12 Jul 1986"]
    kim_yong_chol = _entry(sdn, "12211")
    assert kim_yong_chol["dobs"] == ["circa 1947", "circa 1946"]
    assert kim_yong_chol["pobs"] == ["Pyongan-Pukto, North Korea"]


def test_real_dprk_organisation_facts(sdn):
    kogen = _entry(sdn, "19611")
    # a.k.a.s in the CSV's Remarks are the weak ones (OFAC FAQ 123)
    assert kogen["weak_aliases"] == ["KOGEN", "GENCO", "ZENKO"] and kogen["aliases"] == []
    lazarus = _entry(sdn, "27307")
    assert "HIDDEN COBRA" in lazarus["weak_aliases"]
    assert "ETH 0x098B716B8Aaf21512996dC57EB0615e2383E2f96" in lazarus["wallets"]
    bank = _entry(sdn, "12312")
    assert bank["emails"] == ["kdb@co.chesin.com"]


def test_dprk_programs_are_selectable(sdn):
    dprk = select_dprk(sdn)
    assert len(dprk) == 484
    assert all(any(p.startswith("DPRK") for p in progs) for progs in dprk["programs"])
    assert "24977" in set(dprk["list_id"]) and "20157" in set(dprk["list_id"])
    assert len(select_programs(sdn, ["DPRK*"])) == 484
    only_dprk4 = select_programs(sdn, ["DPRK4"])
    assert 0 < len(only_dprk4) < 484
    assert "24977" in set(only_dprk4["list_id"])


def test_remarks_parser_extracts_each_field():
    facts = parse_remarks(
        "DOB 14 Sep 1995; alt. DOB 14 Sep 1990; POB Pyongyang, North Korea; nationality Korea, "
        "North; Passport 381420754 issued 07 Dec 2011; National ID No. 12345678 (Russia); "
        "Email Address potekhinl4@bk.ru; Website http://www.example.kp; "
        "Digital Currency Address - XBT 1Q9UAQbcDezmyouFrzt94t4dSMxgsUfW1X; Gender Male; "
        "Tax ID No. 2543103179 (Russia); a.k.a. 'AL-RA'Y; TRADING'; f.k.a. 'OLD NAME LLC'; "
        "Linked To: CHINYONG INFORMATION TECHNOLOGY COOPERATION COMPANY."
    )
    assert facts.dobs == ["14 Sep 1995", "14 Sep 1990"]
    assert facts.pobs == ["Pyongyang, North Korea"]
    assert facts.nationalities == ["Korea, North"]
    assert facts.passports == ["381420754 issued 07 Dec 2011"]
    assert facts.national_ids == ["12345678 (Russia)"]
    assert facts.emails == ["potekhinl4@bk.ru"]
    assert facts.websites == ["http://www.example.kp"]
    assert facts.wallets == ["XBT 1Q9UAQbcDezmyouFrzt94t4dSMxgsUfW1X"]
    assert facts.gender == "Male"
    assert facts.other_ids == ["Tax ID No.: 2543103179 (Russia)"]
    assert facts.weak_aliases == ["AL-RA'Y; TRADING", "OLD NAME LLC"] and facts.aliases == []
    assert facts.linked_to == ["CHINYONG INFORMATION TECHNOLOGY COOPERATION COMPANY"]


def test_alt_and_add_files_beside_sdn(tmp_path):
    (tmp_path / "sdn.csv").write_bytes(
        b'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
        b'12211,"KIM, Yong Chol","individual","DPRK",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
        b'"DOB circa 1947."\r\n\x1a')
    (tmp_path / "alt.csv").write_bytes(
        b'36,12,"aka","AERO-CARIBBEAN",-0- \r\n12211,13,"aka","GIM, Yong Chol","weak"\r\n\x1a')
    (tmp_path / "add.csv").write_bytes(b'36,25,-0- ,"Havana","Cuba",-0- \r\n\x1a')
    frame = read_sdn(tmp_path / "sdn.csv")
    assert len(frame) == 2
    airline = frame.iloc[0].to_dict()
    assert airline["kind"] == "company" and airline["aliases"] == ["AERO-CARIBBEAN"]
    assert airline["addresses"] == ["Havana, Cuba"]
    kim = frame.iloc[1].to_dict()
    assert kim["weak_aliases"] == ["GIM, Yong Chol"] and kim["aliases"] == []


def test_malformed_sdn_row_names_file_and_line(tmp_path):
    path = tmp_path / "sdn.csv"
    path.write_text('36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA"\n', encoding="utf-8")
    with pytest.raises(SdnFormatError, match=r"sdn.csv line 1: expected 12 columns, got 4"):
        read_sdn(path)
