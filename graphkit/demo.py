"""Seeded demo data: a mid-size company's hiring and payroll files with planted DPRK rings.

``generate_demo(out_dir)`` writes the five native files plus ``truth.csv``. The innocent
population has the sharing real life has (spouses at one address and home IP, duplicate
applicant/employee records, a coworking space, the corporate office receiving laptops, the
office's public IP); the rings are modelled on public advisories about DPRK IT workers:

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

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

from graphkit.schema import NATIVE_COLUMNS, TRUTH_COLUMNS, Layout

FIRST = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy "
    "Anthony Betty Mark Sandra Steven Ashley Andrew Emily Joshua Michelle Kevin Amanda Brian "
    "Melissa Priya Rahul Anjali Vikram Wei Jing Li Hao Mei Carlos Maria Jose Sofia Luis "
    "Ana Minji Jisoo Hyunwoo Seojun Olga Dmitri Ivan Natalia Fatima Omar Aisha Kwame Ama "
    "Chen Yuki Hiroshi Grace Daniel Ethan Olivia Noah Emma Liam Ava Lucas Mia"
).split()
LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
    "Kim Park Choi Chen Wang Zhang Liu Patel Shah Singh Kumar Ivanov Petrov Novak Kowalski "
    "Okafor Mensah Tanaka Sato Cohen Murphy O'Brien Schmidt Muller Rossi"
).split()
STREETS = (
    "Oak Street|Maple Avenue|Cedar Lane|Pine Road|Elm Drive|Washington Boulevard|Lakeview Court|"
    "Hillcrest Drive|Sunset Boulevard|Park Place|River Road|Highland Avenue|Meadow Lane|"
    "Forest Drive|Church Street|Willow Way|Spring Street|Ridge Road|Valley View Drive"
).split("|")
CITIES = (
    ("Austin", "TX", "787"), ("Denver", "CO", "802"), ("Seattle", "WA", "981"),
    ("Portland", "OR", "972"), ("Chicago", "IL", "606"), ("Atlanta", "GA", "303"),
    ("Phoenix", "AZ", "850"), ("Columbus", "OH", "432"), ("Raleigh", "NC", "276"),
    ("Boston", "MA", "021"), ("Minneapolis", "MN", "554"), ("Tampa", "FL", "336"),
    ("San Diego", "CA", "921"), ("Pittsburgh", "PA", "152"), ("Salt Lake City", "UT", "841"),
)
DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "proton.me")
ROUTING = ("021000021", "026009593", "121000248", "111000025", "322271627", "071000013")

EMPLOYER = ("C0001", "Northwind Analytics Inc.", "DE-5521907", "US", "500 Market Street Suite 1200",
            "San Francisco", "94105")
OFFICE = ("500 Market Street, Suite 1200", "San Francisco", "CA", "94105", "US")
OFFICE_IP = "198.51.100.7"
COWORKING = ("1 Union Square West, Floor 3", "New York", "NY", "10003", "US")
FARM = ("1428 Maple Ridge Dr", "Nashville", "TN", "37211", "US")
FRONT_NAME = "Yanbian Silver Star Network Tech Co Ltd"  # SDN 24977 variant
SDN_PERSON_VARIANT = ("Jeong-cheol", "Rhee", "1970-04-12")  # SDN 18668 'RI, Chong Chol'


@dataclass
class _Files:
    rows: dict[Layout, list[dict]] = field(default_factory=lambda: {lay: [] for lay in Layout})
    truth: list[dict] = field(default_factory=list)

    def add(self, layout: Layout, row: dict, person_id: str, ring_id: str = "") -> None:
        self.rows[layout].append(row)
        self.truth.append({"record_id": row["record_id"], "layout": layout.value,
                           "person_id": person_id, "ring_id": ring_id})


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.files = _Files()
        self.counters: dict[str, int] = {}

    def next_id(self, prefix: str) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}{self.counters[prefix]:06d}"

    # --- building blocks ------------------------------------------------------------
    def address(self) -> tuple[str, str, str, str, str]:
        city, state, zip3 = self.rng.choice(CITIES)
        street = f"{self.rng.randint(10, 9999)} {self.rng.choice(STREETS)}"
        if self.rng.random() < 0.2:
            street += f" Apt {self.rng.randint(1, 40)}"
        return street, city, state, f"{zip3}{self.rng.randint(0, 99):02d}", "US"

    def phone(self) -> str:
        area, mid, end = self.rng.randint(201, 989), self.rng.randint(200, 999), \
            self.rng.randint(0, 9999)
        style = self.rng.choice(("({a}) {m}-{e:04d}", "{a}-{m}-{e:04d}", "+1 {a} {m} {e:04d}"))
        return style.format(a=area, m=mid, e=end)

    def ip(self) -> str:
        return ".".join(str(self.rng.randint(1, 223) if i == 0 else self.rng.randint(0, 255))
                        for i in range(4))

    def device(self) -> str:
        return "C02" + "".join(self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
                               for _ in range(8))

    def dob(self, lo: int = 1962, hi: int = 2002) -> str:
        return f"{self.rng.randint(lo, hi)}-{self.rng.randint(1, 12):02d}-" \
               f"{self.rng.randint(1, 28):02d}"

    def person_row(self, first: str, last: str, dob: str, addr, *, role: str = "employee",
                   email: str | None = None, phone: str | None = None, ip: str | None = None,
                   device: str | None = None, national_id: str | None = None,
                   source: str = "hris", full_name: bool = False) -> dict:
        rid = self.next_id("P")
        row = dict.fromkeys(NATIVE_COLUMNS[Layout.PEOPLE], "")
        row.update(record_id=rid, role=role, dob=dob, source=source,
                   email=email or f"{first}.{last}{self.rng.randint(1, 999)}@"
                                  f"{self.rng.choice(DOMAINS)}".lower().replace("'", ""),
                   phone=phone or self.phone(), ip=ip or self.ip(),
                   device_id=device or self.device(),
                   national_id=national_id or f"{self.rng.randint(100, 899)}-"
                                              f"{self.rng.randint(10, 99)}-"
                                              f"{self.rng.randint(1000, 9999)}")
        if full_name:
            row["full_name"] = f"{first} {last}"
        else:
            row.update(first_name=first, last_name=last)
        row.update(zip(("street", "city", "region", "postcode", "country"), addr))
        return row

    def pay(self, person: dict, person_id: str, ring: str, *, account=None, routing=None,
            handle: str = "", payee: str | None = None, months: int = 3) -> None:
        if account is None and not handle:
            account = str(self.rng.randint(10**7, 10**10))
        for month in range(1, months + 1):
            row = dict.fromkeys(NATIVE_COLUMNS[Layout.PAYROLL], "")
            row.update(record_id=self.next_id("PAY"), person_record_id=person["record_id"],
                       payer=EMPLOYER[1], payee_name=payee or _display(person),
                       bank_name="" if handle else "Chase",
                       routing_number="" if handle else (
                           self.rng.choice(ROUTING) if routing is None else routing),
                       account_number=account or "", payment_handle=handle,
                       amount=f"{self.rng.randint(5200, 11800)}.00", currency="USD",
                       paid_at=f"2026-{month:02d}-28")
            self.files.add(Layout.PAYROLL, row, person_id, ring)

    def ship(self, person: dict, person_id: str, ring: str, addr) -> None:
        row = dict.fromkeys(NATIVE_COLUMNS[Layout.SHIPMENTS], "")
        row.update(record_id=self.next_id("S"), person_record_id=person["record_id"],
                   asset_tag=f"NW-LT-{self.rng.randint(10000, 99999)}",
                   shipped_at=f"2025-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}")
        row.update(zip(("street", "city", "region", "postcode", "country"), addr))
        self.files.add(Layout.SHIPMENTS, row, person_id, ring)

    def login(self, person: dict, person_id: str, ring: str, ip: str, device: str,
              vpn: bool = False) -> None:
        row = dict.fromkeys(NATIVE_COLUMNS[Layout.LOGINS], "")
        row.update(record_id=self.next_id("L"), person_record_id=person["record_id"], ip=ip,
                   device_id=device, vpn="true" if vpn else "false",
                   user_agent="Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5)",
                   at=f"2026-02-{self.rng.randint(1, 28):02d}T{self.rng.randint(0, 23):02d}:"
                      f"{self.rng.randint(0, 59):02d}:00")
        self.files.add(Layout.LOGINS, row, person_id, ring)

    def employee(self, person_id: str, ring: str = "", **kwargs) -> dict:
        first = kwargs.pop("first", None) or self.rng.choice(FIRST)
        last = kwargs.pop("last", None) or self.rng.choice(LAST)
        addr = kwargs.pop("addr", None) or self.address()
        dob = kwargs.pop("dob", None) or self.dob()
        row = self.person_row(first, last, dob, addr, **kwargs)
        self.files.add(Layout.PEOPLE, row, person_id, ring)
        return row


def _display(row: dict) -> str:
    return row["full_name"] or f"{row['first_name']} {row['last_name']}"


def _innocents(gen: _Generator, n_people: int) -> None:
    rng = gen.rng
    n_couples = max(10, n_people // 40)
    n_cowork = 30
    made = 0
    while made < n_people:
        pid = f"H{made:06d}"
        if made < 2 * n_couples:  # spouses: one address, one home IP, often one landline
            addr, home_ip, landline = gen.address(), gen.ip(), gen.phone()
            last = rng.choice(LAST)
            for k in range(2):
                pid = f"H{made:06d}"
                row = gen.employee(pid, last=last, addr=addr, ip=home_ip,
                                   phone=landline if k == 1 and rng.random() < 0.5 else None)
                _employment(gen, row, pid, ship_to=addr if rng.random() < 0.7 else OFFICE,
                            home_ip=home_ip)
                made += 1
            continue
        if made < 2 * n_couples + n_cowork:  # contractors using a coworking space address
            row = gen.employee(pid, addr=COWORKING, role="contractor")
            _employment(gen, row, pid, ship_to=COWORKING, home_ip=row["ip"],
                        handle=f"{row['first_name']}.{row['last_name']}.{made}@payoneer.example")
            made += 1
            continue
        row = gen.employee(pid, full_name=rng.random() < 0.3)
        ship_to = OFFICE if rng.random() < 0.3 else (row["street"], row["city"], row["region"],
                                                     row["postcode"], row["country"])
        _employment(gen, row, pid, ship_to=ship_to, home_ip=row["ip"])
        if rng.random() < 0.05:  # the same person applied earlier: a second, messier record
            twin = dict(row, record_id=gen.next_id("P"), role="applicant", source="ats",
                        phone=row["phone"].replace("(", "").replace(")", ""),
                        email=row["email"].upper())
            if rng.random() < 0.5 and twin["last_name"]:
                twin["last_name"] = twin["last_name"][:-1] + "e"
            gen.files.add(Layout.PEOPLE, twin, pid)
        made += 1


def _employment(gen: _Generator, row: dict, pid: str, *, ship_to, home_ip: str,
                handle: str = "") -> None:
    gen.pay(row, pid, "", handle=handle)
    gen.ship(row, pid, "", ship_to)
    gen.login(row, pid, "", home_ip, row["device_id"])
    if gen.rng.random() < 0.6:
        gen.login(row, pid, "", OFFICE_IP, row["device_id"])


def _rings(gen: _Generator) -> None:
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


def _companies(gen: _Generator) -> None:
    vendors = [
        EMPLOYER,
        ("C0002", "Gusto Payroll Services LLC", "CA-3345120", "US", "525 20th Street",
         "San Francisco", "94107"),
        ("C0003", "Regus Management Group LLC", "TX-0801331", "US", "3000 Kellway Drive",
         "Carrollton", "75006"),
        ("C0004", "Acme Cloud Hosting Inc.", "WA-6021781", "US", "410 Terry Avenue North",
         "Seattle", "98109"),
        ("C0005", "Bright Staffing Partners", "IL-2290175", "US", "233 South Wacker Drive",
         "Chicago", "60606"),
    ]
    for rid, name, reg, country, street, city, postcode in vendors:
        row = dict.fromkeys(NATIVE_COLUMNS[Layout.COMPANIES], "")
        row.update(record_id=rid, name=name, registration_number=reg, country=country,
                   street=street, city=city, postcode=postcode,
                   email=f"contact@{name.split()[0].lower()}.example", phone=gen.phone(),
                   website=f"{name.split()[0].lower()}.example",
                   account_number=str(gen.rng.randint(10**8, 10**10)))
        gen.files.add(Layout.COMPANIES, row, f"company-{rid}")


def generate_demo(out_dir: str | Path, seed: int = 7, n_people: int = 3000) -> dict[str, int]:
    """Write people, payroll, shipments, logins, companies and truth CSVs to ``out_dir``.

    Returns the number of rows written per file. The same seed gives the same files.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    gen = _Generator(seed)
    _companies(gen)
    _innocents(gen, n_people)
    _rings(gen)
    counts = {}
    for layout, rows in gen.files.rows.items():
        gen.rng.shuffle(rows)
        _write(out / f"{layout.value}.csv", NATIVE_COLUMNS[layout], rows)
        counts[f"{layout.value}.csv"] = len(rows)
    _write(out / "truth.csv", TRUTH_COLUMNS, gen.files.truth)
    counts["truth.csv"] = len(gen.files.truth)
    return counts


def _write(path: Path, columns, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)


def demo_ring_ids() -> list[str]:
    """Ids of the rings planted by :func:`generate_demo`."""
    return ["R1", "R2", "R3", "R4", "R5", "R6"]
