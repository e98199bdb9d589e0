"""Building blocks of generated worlds: names, addresses, phones, and a row writer that
keeps the truth (which person and which planted ring each record belongs to).

The demo (``graphkit.demo``) and the
parameterised worlds (``graphkit.world``) are made of these.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

from graphkit.schema import NATIVE_COLUMNS, Layout

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
class Files:
    rows: dict[Layout, list[dict]] = field(default_factory=lambda: {lay: [] for lay in Layout})
    truth: list[dict] = field(default_factory=list)

    def add(self, layout: Layout, row: dict, person_id: str, ring_id: str = "") -> None:
        self.rows[layout].append(row)
        self.truth.append({"record_id": row["record_id"], "layout": layout.value,
                           "person_id": person_id, "ring_id": ring_id})


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.files = Files()
        self.counters: dict[str, int] = {}
        #: person id → household id (families and roommates), for the truth file
        self.household_of: dict[str, str] = {}

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
                   email=email or f"{first}.{last}{int(rid[1:]) % 100_000}@"
                                  f"{self.rng.choice(DOMAINS)}".lower().replace("'", ""),
                   phone=phone or self.phone(), ip=ip or self.ip(),
                   device_id=device or self.device(),
                   national_id=national_id or _unique_ssn(int(rid[1:])))
        if full_name:
            row["full_name"] = f"{first} {last}"
        else:
            row.update(first_name=first, last_name=last)
        row.update(zip(("street", "city", "region", "postcode", "country"), addr))
        return row

    def pay(self, person: dict, person_id: str, ring: str, *, account=None, routing=None,
            handle: str = "", payee: str | None = None, months: int = 3,
            payer: str = EMPLOYER[1]) -> None:
        if account is None and not handle:
            account = str(self.rng.randint(10**7, 10**10))
        for month in range(1, months + 1):
            row = dict.fromkeys(NATIVE_COLUMNS[Layout.PAYROLL], "")
            row.update(record_id=self.next_id("PAY"), person_record_id=person["record_id"],
                       payer=payer, payee_name=payee or display(person),
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


def _unique_ssn(number: int) -> str:
    """An SSN-like number unique per record number (a bijection mod 9·10^8), so two people
    never hold one by chance."""
    value = number * 2654435761 % 900_000_000 + 100_000_000
    return f"{value // 10**6:03d}-{value // 10**4 % 100:02d}-{value % 10**4:04d}"


def display(row: dict) -> str:
    return row["full_name"] or f"{row['first_name']} {row['last_name']}"


def companies(gen: Generator) -> None:
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


def write_csv(path: Path, columns, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
