"""Parameters of a generated world (sizes, rates, planted rings)."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class WorldParams:
    """How a world is drawn. Rates are shares of innocent people unless said otherwise."""

    #: innocent people (about; households are completed)
    people: int = 3000
    seed: int = 7
    #: share of people living in family households of 2 to ``max_household``
    household_rate: float = 0.4
    max_household: int = 6
    #: share of households whose members carry two surnames
    mixed_surname_rate: float = 0.3
    #: share of households whose adults hold a joint account / share a family phone number
    joint_account_rate: float = 0.6
    family_phone_rate: float = 0.4
    family_email_rate: float = 0.08
    #: share of people living with roommates (different surnames, one address and network)
    roommate_rate: float = 0.06
    #: applicant + employee records of one person; earlier records of re-hired people
    duplicate_rate: float = 0.05
    rehire_rate: float = 0.02
    #: equipment shipped to an office / to the coworking space (contractors)
    office_ship_rate: float = 0.3
    coworking_rate: float = 0.03
    #: logins from a mobile carrier's NAT pool (about ``cgnat_per_ip`` people per address)
    cgnat_rate: float = 0.25
    cgnat_per_ip: int = 30
    #: privacy-VPN users (logins through commercial exits, ``vpn_per_exit`` users per exit)
    vpn_rate: float = 0.03
    vpn_per_exit: float = 1.5
    #: paid by the staffing agency / through a payment platform handle
    agency_rate: float = 0.05
    platform_rate: float = 0.05
    #: rare innocent coincidences: a laptop reissued to another person, a recycled phone
    #: number, relatives living apart who share an account
    reissued_device_rate: float = 0.0005
    recycled_phone_rate: float = 0.0005
    relatives_apart_rate: float = 0.001
    #: share of people given one of a few very common names (namesakes)
    namesake_rate: float = 0.03
    #: planted rings, and a factor on their sizes
    rings: int = 8
    ring_scale: float = 1.0

    def with_overrides(self, **values) -> WorldParams:
        """A copy with the given fields replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


__all__ = ["WorldParams"]

