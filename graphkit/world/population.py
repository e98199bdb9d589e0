"""The innocent population of a generated world: the sharing real life has.

Families of 2–6 at one home (one surname or two) with joint accounts, a family phone
number and one home network; roommates; applicant + employee duplicates and re-hires of
one person; equipment shipped to offices and to a coworking space; logins from offices,
carrier NAT pools and a few privacy VPNs; a staffing agency and payment platforms paying
many people; namesakes; and a few rare coincidences (a reissued laptop, a recycled phone
number, relatives living apart with one account).
"""

from __future__ import annotations

from graphkit.schema import NATIVE_COLUMNS, Layout
from graphkit.world.base import (
    COWORKING,
    EMPLOYER,
    FIRST,
    LAST,
    OFFICE,
    OFFICE_IP,
    Generator,
)
from graphkit.world.params import WorldParams

#: Branch offices: (address, office IP, company record id, company name).
OFFICES = (
    (OFFICE, OFFICE_IP, "C0001", EMPLOYER[1]),
    (("2100 South Congress Avenue, Floor 4", "Austin", "TX", "78704", "US"), "198.51.100.23",
     "C0011", "Northwind Analytics Texas LLC"),
    (("180 North LaSalle Street, Suite 900", "Chicago", "IL", "60601", "US"), "198.51.100.41",
     "C0012", "Northwind Analytics Midwest LLC"),
)
COWORKING_COMPANY = ("C0013", "Union Square Workspaces LLC")
AGENCY = "Bright Staffing Partners"
COMMON_NAMES = (("James", "Smith"), ("Maria", "Garcia"), ("Michael", "Johnson"),
                ("Wei", "Chen"), ("David", "Lee"), ("Jennifer", "Brown"))
PLATFORMS = ("payoneer.example", "wise.example", "deel.example")


def site_companies(gen: Generator) -> None:
    """Company rows of the branch offices and the coworking space (known company sites)."""
    sites = [(rid, name, addr) for addr, _, rid, name in OFFICES[1:]]
    sites.append((*COWORKING_COMPANY, COWORKING))
    for rid, name, addr in sites:
        row = dict.fromkeys(NATIVE_COLUMNS[Layout.COMPANIES], "")
        row.update(record_id=rid, name=name, country="US", street=addr[0], city=addr[1],
                   postcode=addr[3], registration_number=f"US-{gen.rng.randint(10**6, 10**7)}",
                   phone=gen.phone(), email=f"office@{rid.lower()}.example")
        gen.files.add(Layout.COMPANIES, row, f"company-{rid}")


class Population:
    """Draws the innocents of one world."""

    def __init__(self, gen: Generator, params: WorldParams) -> None:
        self.gen, self.p, self.rng = gen, params, gen.rng
        n = max(params.people, 1)
        self.cgnat = [gen.ip() for _ in range(max(1, int(n * params.cgnat_rate
                                                         / params.cgnat_per_ip)))]
        self.vpn_exits = [gen.ip() for _ in range(max(2, int(n * params.vpn_rate
                                                             / params.vpn_per_exit)))]
        self.made = 0
        self.people: list[tuple[dict, str, tuple]] = []  # (row, person id, home)

    def pid(self) -> str:
        self.made += 1
        return f"H{self.made:07d}"

    def name(self, last: str | None = None) -> tuple[str, str]:
        if last is None and self.rng.random() < self.p.namesake_rate:
            return self.rng.choice(COMMON_NAMES)
        return self.rng.choice(FIRST), last or self.rng.choice(LAST)

    def run(self) -> None:
        """Households, roommates and single people until ``people`` are drawn."""
        while self.made < self.p.people:
            r = self.rng.random()
            if r < self.p.household_rate / 2.8:  # mean household size about 2.8
                self.household()
            elif r < (self.p.household_rate / 2.8 + self.p.roommate_rate / 2.4):
                self.roommates()
            else:
                self.single()
        self.coincidences()

    # --- units ------------------------------------------------------------------------
    def household(self) -> None:
        size = min(self.p.max_household, 2 + int(self.rng.expovariate(1.2)))
        home, home_ip = self.gen.address(), self.gen.ip()
        last = self.rng.choice(LAST)
        other = self.rng.choice(LAST) if self.rng.random() < self.p.mixed_surname_rate \
            else last
        account = str(self.rng.randint(10**7, 10**10)) \
            if self.rng.random() < self.p.joint_account_rate else None
        family_phone = self.gen.phone() if self.rng.random() < self.p.family_phone_rate \
            else None
        household = f"F{self.made + 1:07d}"
        family_email = f"the.{last.lower()}s.{household[1:]}@gmail.com" \
            if self.rng.random() < self.p.family_email_rate else None
        base_year = self.rng.randint(1958, 1990)
        for k in range(size):
            adult = k < 2
            year = base_year + self.rng.randint(-3, 3) if adult else \
                base_year + self.rng.randint(20, 32)
            first, _ = self.name()
            surname = last if k != 1 else other
            dob = f"{min(year, 2005)}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"
            phone = family_phone if family_phone and self.rng.random() < 0.7 else None
            email = family_email if family_email and k < 2 else None
            self.person(first, surname, dob, home, home_ip, phone=phone, email=email,
                        account=account if adult else None, household=household)

    def roommates(self) -> None:
        home, home_ip = self.gen.address(), self.gen.ip()
        home = (home[0] if "Apt" in home[0] else f"{home[0]} Apt {self.rng.randint(1, 40)}",
                *home[1:])
        household = f"M{self.made + 1:07d}"
        for _ in range(self.rng.choice((2, 2, 3))):
            first, last = self.name()
            self.person(first, last, self.gen.dob(1985, 2003), home, home_ip,
                        household=household)

    def single(self) -> None:
        first, last = self.name()
        self.person(first, last, self.gen.dob(), self.gen.address(), self.gen.ip(),
                    full_name=self.rng.random() < 0.3)

    # --- one person -------------------------------------------------------------------
    def person(self, first: str, last: str, dob: str, home, home_ip: str, *,
               phone: str | None = None, email: str | None = None, account: str | None = None,
               full_name: bool = False, household: str = "") -> None:
        gen, rng, p = self.gen, self.rng, self.p
        pid = self.pid()
        if household:
            gen.household_of[pid] = household
        contractor = rng.random() < 0.3
        row = gen.employee(pid, first=first, last=last, dob=dob, addr=home, ip=home_ip,
                           phone=phone, email=email, full_name=full_name,
                           role="contractor" if contractor else "employee")
        self.people.append((row, pid, home))
        office = rng.choice(OFFICES)
        r = rng.random()
        if contractor and r < p.coworking_rate / 0.3:
            ship_to = COWORKING
        elif r < p.office_ship_rate:
            ship_to = office[0]
        else:
            ship_to = home
        gen.ship(row, pid, "", ship_to)
        r = rng.random()
        if r < p.agency_rate:
            gen.pay(row, pid, "", account=account, payer=AGENCY)
        elif r < p.agency_rate + p.platform_rate:
            gen.pay(row, pid, "", handle=f"{first}.{last}.{pid[-5:]}@{rng.choice(PLATFORMS)}"
                    .lower().replace("'", "").replace(" ", ""))
        else:
            gen.pay(row, pid, "", account=account)
        device = row["device_id"]
        gen.login(row, pid, "", home_ip, device)
        if ship_to == office[0] or rng.random() < 0.3:
            gen.login(row, pid, "", office[1], device)
        if rng.random() < p.cgnat_rate:
            gen.login(row, pid, "", rng.choice(self.cgnat), device)
        if rng.random() < p.vpn_rate:
            for _ in range(rng.randint(1, 3)):
                gen.login(row, pid, "", rng.choice(self.vpn_exits), device, vpn=True)
        r = rng.random()
        if r < p.duplicate_rate:
            self.duplicate(row, pid, "applicant", "ats")
        elif r < p.duplicate_rate + p.rehire_rate:
            self.duplicate(row, pid, "employee", "hris-2019", moved=True)

    def duplicate(self, row: dict, pid: str, role: str, source: str,
                  moved: bool = False) -> None:
        """A second record of the same person, as another system entered it."""
        rng = self.rng
        twin = dict(row, record_id=self.gen.next_id("P"), role=role, source=source,
                    phone=row["phone"].replace("(", "").replace(")", ""),
                    email=row["email"].upper())
        if rng.random() < 0.4 and twin["last_name"] and len(twin["last_name"]) > 3:
            twin["last_name"] = twin["last_name"][:-1] + "e"
        if moved:
            addr = self.gen.address()
            twin.update(zip(("street", "city", "region", "postcode", "country"), addr))
            twin["phone"] = self.gen.phone() if rng.random() < 0.5 else twin["phone"]
        self.gen.files.add(Layout.PEOPLE, twin, pid)

    def coincidences(self) -> None:
        """Rare innocent sharing across households."""
        gen, rng, p = self.gen, self.rng, self.p
        n = len(self.people)
        if n < 4:
            return
        for _ in range(int(n * p.reissued_device_rate)):
            (a, _, _), (b, pid, _) = rng.sample(self.people, 2)
            gen.login(b, pid, "", b["ip"], a["device_id"])  # the laptop a returned
        for _ in range(int(n * p.recycled_phone_rate)):
            (a, _, _), (b, pid, _) = rng.sample(self.people, 2)
            twin = dict(b, record_id=gen.next_id("P"), phone=a["phone"], source="ats",
                        role="applicant")
            gen.files.add(Layout.PEOPLE, twin, pid)
        for _ in range(int(n * p.relatives_apart_rate)):
            (a, apid, _), = rng.sample(self.people, 1)
            last = a["last_name"] or a["full_name"].split()[-1]
            first, _ = self.name(last)
            account = str(rng.randint(10**7, 10**10))
            child = gen.employee(self.pid(), first=first, last=last, dob=gen.dob(1995, 2004))
            gen.pay(child, f"H{self.made:07d}", "", account=account)
            gen.pay(a, apid, "", account=account, months=1)


__all__ = ["AGENCY", "COMMON_NAMES", "OFFICES", "Population", "site_companies"]
