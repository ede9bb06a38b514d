"""The demo MSPs' people: who works there, and who may hold which product (the planner picks
assignees from them)."""

import random
import unicodedata
from dataclasses import dataclass, field

from .. import services
from .specs import DemoMsp, Holding


@dataclass
class Person:
    key: int
    name: str
    email: str
    extension: str
    cost_center: str
    is_room: bool = False
    holds: set[str] = field(default_factory=set)  # product codes

    @property
    def team(self) -> str:
        return self.cost_center.split("-")[0]

    def assignee(self) -> services.Assignee:
        return services.Assignee(name=self.name, email=self.email, extension=self.extension)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch == "-")


class People:
    """The MSP's staff over time: hired when needed, some leaving each month."""

    def __init__(self, spec: DemoMsp, rng: random.Random):
        self.spec = spec
        self.rng = rng
        self.active: list[Person] = []
        self.emails: set[str] = set()
        self.extensions: set[str] = set()
        self.next_key = 0
        for name, extension in spec.rooms:
            self.active.append(self._new(name, "", extension, "HQ", is_room=True))

    def _new(self, name, email, extension, cost_center, *, is_room=False) -> Person:
        self.next_key += 1
        if extension:
            self.extensions.add(extension)
        return Person(self.next_key, name, email, extension, cost_center, is_room)

    def _extension(self) -> str:
        while True:
            extension = str(self.spec.extension_base + self.rng.randint(0, 899))
            if extension not in self.extensions:
                return extension

    def hire(self, *, teams: tuple[str, ...] = ()) -> Person:
        rng, spec = self.rng, self.spec
        departments = [
            (code, weight) for code, weight in spec.departments if not teams or code.split("-")[0] in teams
        ]
        cost_center = rng.choices([c for c, _w in departments], [w for _c, w in departments])[0]
        while True:
            first, last = rng.choice(spec.first_names), rng.choice(spec.last_names)
            email = f"{_ascii(first)}.{_ascii(last).replace('-', '')}@{spec.domain}"
            if email not in self.emails:
                break
            email = f"{_ascii(first)}.{_ascii(last).replace('-', '')}{rng.randint(2, 9)}@{spec.domain}"
            if email not in self.emails:
                break
        self.emails.add(email)
        extension = self._extension() if rng.random() < 0.55 else ""
        person = self._new(f"{first} {last}", email, extension, cost_center)
        self.active.append(person)
        return person

    def eligible(self, holding: Holding, suites: set[str], busy: set[int]) -> list[Person]:
        found = []
        for person in self.active:
            if person.key in busy or holding.code in person.holds:
                continue
            if person.is_room:
                if holding.phone:
                    found.append(person)
                continue
            if holding.teams and person.team not in holding.teams:
                continue
            if holding.phone and not person.extension:
                continue
            has_suite = bool(person.holds & suites)
            if holding.suite and has_suite:
                continue
            if not holding.suite and not has_suite:
                continue  # add-ons go to people who already have a suite
            found.append(person)
        return found
