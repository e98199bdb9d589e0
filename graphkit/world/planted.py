"""Planted rings of varied size, strength and mix, modelled on public advisories about
DPRK IT workers. Each recipe draws one ring; ``plant`` draws ``n`` rings, cycling through
the recipes in a seeded order so every world has a different mix (a second pattern is
added to some rings)."""

from __future__ import annotations

from collections.abc import Callable

from graphkit.schema import NATIVE_COLUMNS, Layout
from graphkit.world.base import Generator

#: Variants of SDN-listed DPRK IT front companies (the screening must find them); a
#: world with more listed-payer rings than names reuses them (one network then).
FRONTS = ("Volasys Silver Star Ltd", "Chinyong Information Technology Cooperation Co",
          "Yanbian Silverstar Network Tech Co., Ltd", "Korea Computer Centre",
          "LLC Alis")


class Ring:
    """One planted ring being drawn: its id, members and the generator."""

    def __init__(self, gen: Generator, ring_id: str, size: int) -> None:
        self.gen, self.ring_id, self.size = gen, ring_id, size
        self.number = int(ring_id[1:])
        self.rng = gen.rng
        self.rows: list[tuple[dict, str]] = []
        self.exits = [gen.ip() for _ in range(self.rng.randint(1, 3))]
        self.vpn = self.rng.random() < 0.75

    def member(self, **kwargs) -> tuple[dict, str]:
        pid = f"{self.ring_id}-{len(self.rows)}"
        row = self.gen.employee(pid, self.ring_id, source="ats", role="contractor", **kwargs)
        self.rows.append((row, pid))
        return row, pid

    def login(self, row: dict, pid: str, ip: str | None = None, device: str | None = None
              ) -> None:
        vpn = self.vpn and ip is None
        self.gen.login(row, pid, self.ring_id, ip or (self.rng.choice(self.exits) if vpn
                                                      else row["ip"]),
                       device or row["device_id"], vpn=vpn)


def _home(row: dict) -> tuple:
    return tuple(row[c] for c in ("street", "city", "region", "postcode", "country"))


def laptop_farm(ring: Ring) -> None:
    """Equipment of workers who claim to live elsewhere shipped to one residence."""
    farm, farm_ip = ring.gen.address(), ring.gen.ip()
    for _ in range(max(3, ring.size)):
        row, pid = ring.member()
        ring.gen.pay(row, pid, ring.ring_id)
        ring.gen.ship(row, pid, ring.ring_id, farm)
        ring.login(row, pid, farm_ip if ring.rng.random() < 0.5 else None)


def pay_destination(ring: Ring) -> None:
    """Workers who live apart paid into one account or payment handle."""
    rng = ring.rng
    if rng.random() < 0.5:
        digits = str(rng.randint(10**9, 10**10))
        forms = (digits, f"{digits[:4]}-{digits[4:8]}-{digits[8:]}", f"{digits[:5]} {digits[5:]}")
        kwargs = [{"account": f, "routing": "322271627"} for f in forms]
    else:
        handle = f"{rng.choice(('dev', 'code', 'it'))}works.{rng.randint(10, 99)}"
        kwargs = [{"handle": h} for h in (f"@{handle}", handle.upper(), f"{handle} ")]
    for i in range(max(2, ring.size)):
        row, pid = ring.member()
        ring.gen.pay(row, pid, ring.ring_id, **kwargs[i % len(kwargs)])
        ring.gen.ship(row, pid, ring.ring_id, _home(row))
        ring.login(row, pid)


def shared_document(ring: Ring) -> None:
    """One national id used under several names."""
    nid = f"{ring.rng.randint(100, 899)}-{ring.rng.randint(10, 99)}-{ring.rng.randint(1000, 9999)}"
    for _ in range(max(2, min(ring.size, 4))):
        row, pid = ring.member(national_id=nid)
        ring.gen.pay(row, pid, ring.ring_id)
        ring.login(row, pid)


def one_name_many_ids(ring: Ring) -> None:
    """One name and date of birth applying with several national ids, sharing a phone or a
    laptop with the records before, plus an associate on the same laptop."""
    gen, rng = ring.gen, ring.rng
    names = (("Jong Chol", "Pak"), ("Myong Ho", "Kim"), ("Song Il", "Ri"), ("Chol Jin", "Han"),
             ("Kwang Hyok", "Choe"), ("Un Sil", "Jang"))
    first, last = names[ring.number % len(names)]
    dob, phone, device = gen.dob(1985, 1999), gen.phone(), gen.device()
    pid = f"{ring.ring_id}-0"
    for i in range(rng.randint(2, 3)):
        row = gen.employee(pid, ring.ring_id, first=first, last=last, dob=dob, source="ats",
                           role="applicant", phone=phone if i != 1 else None,
                           device=device if i != 2 else None)
        ring.rows.append((row, pid))
        gen.pay(row, pid, ring.ring_id, months=1)
        ring.login(row, pid, device=device)
    for _ in range(max(1, ring.size - 2)):
        row, apid = ring.member(device=device)
        gen.pay(row, apid, ring.ring_id)
        ring.login(row, apid, device=device)


def sanctioned_payer(ring: Ring) -> None:
    """Workers paid by a vendor named like an SDN-listed front company; they share nothing
    else (a star)."""
    used = ring.gen.counters["front"] = ring.gen.counters.get("front", -1) + 1
    front = FRONTS[used % len(FRONTS)]
    for _ in range(max(2, min(ring.size, 6))):
        row, pid = ring.member()
        ring.gen.pay(row, pid, ring.ring_id, payer=front)
        ring.gen.ship(row, pid, ring.ring_id, _home(row))
        ring.login(row, pid)


def voip_and_device(ring: Ring) -> None:
    """Workers of different homes sharing one VoIP number and one IP, some a laptop."""
    gen, rng = ring.gen, ring.rng
    voip = f"+1 (646) 555-{rng.randint(100, 9999):04d}"
    proxy, device = gen.ip(), gen.device()
    for i in range(max(2, min(ring.size, 5))):
        row, pid = ring.member(phone=voip if i < 3 else None)
        gen.pay(row, pid, ring.ring_id)
        ring.login(row, pid, proxy, device=device if i % 2 else None)
        ring.login(row, pid)


RECIPES: dict[str, Callable[[Ring], None]] = {
    "laptop_farm": laptop_farm, "pay_destination": pay_destination,
    "shared_document": shared_document, "one_name_many_ids": one_name_many_ids,
    "sanctioned_payer": sanctioned_payer, "voip_and_device": voip_and_device,
}


def plant(gen: Generator, n: int, scale: float = 1.0) -> dict[str, list[str]]:
    """Draw ``n`` rings (ids ``P01``…); returns ring id → the recipes it mixes."""
    rng = gen.rng
    order = list(RECIPES)
    rng.shuffle(order)
    out = {}
    for k in range(n):
        ring_id = f"P{k + 1:02d}"
        size = max(2, round(rng.choice((2, 3, 3, 4, 5, 6, 8)) * scale))
        recipes = [order[k % len(order)]]
        if rng.random() < 0.3:  # a ring that mixes two patterns
            recipes.append(rng.choice([r for r in order if r != recipes[0]]))
        ring = Ring(gen, ring_id, size)
        for name in recipes:
            before = len(ring.rows)
            RECIPES[name](ring)
            if before:  # the parts of a mixed ring meet: a laptop passed between them
                (first, _), (row, pid) = ring.rows[0], ring.rows[before]
                ring.login(row, pid, device=first["device_id"])
        out[ring_id] = recipes
    return out


def front_company(gen: Generator, name: str, ring_id: str) -> None:
    """A companies.csv row for a front company (when the data holds one)."""
    row = dict.fromkeys(NATIVE_COLUMNS[Layout.COMPANIES], "")
    row.update(record_id=gen.next_id("CF"), name=name, country="CN")
    gen.files.add(Layout.COMPANIES, row, f"{ring_id}-front", ring_id)


__all__ = ["FRONTS", "RECIPES", "plant"]
