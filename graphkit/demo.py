"""Seeded demo data: a company's hiring and payroll files with planted DPRK rings.

``generate_demo(out_dir)`` writes the five native files plus ``truth.csv``: a generated
world (``graphkit.world``: families, roommates, duplicates and re-hires, offices and a
coworking space, carrier NAT, VPN users, a staffing agency, payment platforms, namesakes)
with six classic rings modelled on public advisories about DPRK IT workers:

- ``R1`` laptop farm: one residential address receives laptops of workers who claim to
  live elsewhere, who log in through VPNs;
- ``R2`` shared pay destination: workers paid into one bank account and one payment handle;
- ``R3`` shared devices and one VoIP number;
- ``R4`` one person applying as several identities in romanization variants, sharing a
  laptop with an associate;
- ``R5`` pay routed to a company whose name is a variant of an SDN-listed front company
  (YANBIAN SILVERSTAR NETWORK TECHNOLOGY CO., LTD.);
- ``R6`` a worker whose name is a romanization variant of an SDN-listed DPRK individual
  (RI, Chong Chol), sharing a VoIP number and a payment handle with two others.
"""

from __future__ import annotations

from pathlib import Path

from graphkit.schema import NATIVE_COLUMNS, Layout
from graphkit.world import WorldParams, write_world
from graphkit.world.base import FARM, FRONT_NAME, SDN_PERSON_VARIANT, Generator, companies
from graphkit.world.population import Population, site_companies


def generate_demo(out_dir: str | Path, seed: int = 7, n_people: int = 3000
                  ) -> dict[str, int]:
    """Write people, payroll, shipments, logins, companies and truth CSVs to ``out_dir``.

    Returns the number of rows written per file. The same seed gives the same files.
    """
    gen = Generator(seed)
    companies(gen)
    site_companies(gen)
    Population(gen, WorldParams(people=n_people, seed=seed, rings=0)).run()
    _rings(gen)
    return write_world(gen, out_dir)


def demo_ring_ids() -> list[str]:
    """Ids of the rings planted by :func:`generate_demo`."""
    return ["R1", "R2", "R3", "R4", "R5", "R6"]


def _rings(gen: Generator) -> None:
    rng = gen.rng
    ring_number = iter(range(1, 100))

    def vpn_exits() -> list[str]:  # each ring tunnels through its own exits
        k = next(ring_number)
        return [f"175.45.178.{10 * k + 1}", f"103.127.{k}.12", f"45.142.{k * 7}.77"]

    farm_ip = gen.ip()
    exits = vpn_exits()
    # R1: laptop farm
    for i in range(8):
        pid = f"R1-{i}"
        row = gen.employee(pid, "R1", source="ats", role="contractor")
        gen.pay(row, pid, "R1")
        gen.ship(row, pid, "R1", FARM)
        gen.login(row, pid, "R1", farm_ip, row["device_id"])
        gen.login(row, pid, "R1", rng.choice(exits), row["device_id"], vpn=True)
    exits = vpn_exits()
    # R2: several workers paid into one account and one payment handle
    shared_account = ("4417-0093-2281", "44170093 2281", "441700932281")
    for i in range(5):
        pid = f"R2-{i}"
        row = gen.employee(pid, "R2", source="ats", role="contractor")
        gen.pay(row, pid, "R2", account=shared_account[i % 3], routing="322271627",
                payee="Daniel Moore")
        gen.ship(row, pid, "R2", (row["street"], row["city"], row["region"], row["postcode"],
                                  "US"))
        gen.login(row, pid, "R2", rng.choice(exits), row["device_id"], vpn=True)
    handles = ("@jsmith.devworks", "JSmith.DevWorks", "jsmith.devworks ")
    for i in range(4):
        pid = f"R2-h{i}"
        row = gen.employee(pid, "R2", source="ats", role="contractor")
        gen.pay(row, pid, "R2", handle=handles[i % 3], payee="J Smith")
        gen.login(row, pid, "R2", rng.choice(exits), row["device_id"], vpn=True)
    exits = vpn_exits()
    # R3: shared devices and one VoIP number
    devices = ("C02XK9PLMD6R", "c02xk9plmd6r", "C02-XK9P-LMD6R", "C02ZN4QTWH3K")
    voip = ("+1 (646) 555-0199", "646.555.0199", "16465550199")
    for i in range(4):
        pid = f"R3-{i}"
        row = gen.employee(pid, "R3", source="ats", role="contractor", device=devices[i],
                           phone=voip[i % 3] if i < 3 else None)
        gen.pay(row, pid, "R3")
        gen.login(row, pid, "R3", rng.choice(exits), devices[(i + 1) % 4], vpn=True)
    exits = vpn_exits()
    # R4: one person, several identities in romanization variants
    r4_dob, r4_phone, r4_dev = "1991-06-17", "+1 929 555 0144", "C02QH7RT2P9L"
    for i, (first, last) in enumerate((("Jong Chol", "Pak"), ("Jeong-cheol", "Park"),
                                       ("Jongchol", "Bak"))):
        row = gen.employee("R4-0", "R4", first=first, last=last, dob=r4_dob, source="ats",
                           role="applicant", phone=r4_phone if i != 1 else None,
                           device=r4_dev if i != 2 else None)
        gen.pay(row, "R4-0", "R4", months=1)
        gen.login(row, "R4-0", "R4", rng.choice(exits), r4_dev, vpn=True)
    helper = gen.employee("R4-1", "R4", source="ats", role="contractor", device=r4_dev)
    gen.pay(helper, "R4-1", "R4")
    gen.login(helper, "R4-1", "R4", rng.choice(exits), r4_dev, vpn=True)
    exits = vpn_exits()
    # R5: pay routed to a front company (variant of an SDN-listed one)
    front = dict.fromkeys(NATIVE_COLUMNS[Layout.COMPANIES], "")
    front.update(record_id="C9001", name=FRONT_NAME, country="CN", street="No. 12 Yanji Road",
                 city="Yanji", postcode="133000", directors="Wang Lei",
                 email="hr@silverstar-network.example", phone="+86 433 555 0101",
                 website="silverstar-network.example", account_number="6217 0038 1000 4421 077")
    gen.files.add(Layout.COMPANIES, front, "R5-front", "R5")
    for i in range(3):
        pid = f"R5-{i}"
        row = gen.employee(pid, "R5", source="ats", role="contractor")
        gen.pay(row, pid, "R5", account="6217003810004421077", routing="", payee=FRONT_NAME)
        gen.login(row, pid, "R5", rng.choice(exits), row["device_id"], vpn=True)
    exits = vpn_exits()
    # R6: a worker named like an SDN-listed DPRK individual, with two associates
    r6_voip, r6_handle = "+1 (332) 555-0177", "@rc-devstudio"
    first, last, dob = SDN_PERSON_VARIANT
    for i in range(3):
        pid = f"R6-{i}"
        kwargs = {"first": first, "last": last, "dob": dob} if i == 0 else {}
        row = gen.employee(pid, "R6", source="ats", role="contractor", phone=r6_voip, **kwargs)
        gen.pay(row, pid, "R6", handle=r6_handle if i < 2 else "", months=2)
        gen.login(row, pid, "R6", rng.choice(exits), row["device_id"], vpn=True)


