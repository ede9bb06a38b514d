"""The cart of the purchase flow, kept in the session per organisation: product id → quantity,
the cost center allocations being prepared for each line, and the request key of the confirm
page. Pure helpers over plain data (what a JSON session stores): no query, no request."""

import uuid
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from msp_portal.errors import Invalid
from msp_portal.money import round_money
from msp_portal.numbers import whole_number

from .choices import BillingType
from .services import MAX_QUANTITY, PurchaseRequestLine

if TYPE_CHECKING:
    from .forms_purchase import LineAssignment
    from .models import CostCenter, Product

SESSION_PREFIX = "licensing.cart."

Allocation = tuple[int | None, int]  # (cost center id or None, licenses)


def parse_quantity(raw, *, allow_zero: bool = False) -> int | None:
    """A whole number of licenses typed by a person, or None when it is not one."""
    value = whole_number(str(raw if raw is not None else ""))
    if value is None:
        return None
    low = 0 if allow_zero else 1
    return value if low <= value <= MAX_QUANTITY else None


def merge_allocations(pairs: Iterable[Allocation]) -> list[Allocation]:
    """One entry per cost center (quantities added up, in first-seen order), no empty entry."""
    merged: dict[int | None, int] = {}
    for cost_center_id, quantity in pairs:
        if quantity > 0:
            merged[cost_center_id] = merged.get(cost_center_id, 0) + quantity
    return list(merged.items())


def display_price(price: Decimal) -> Decimal:
    """A unit price as people read it: two decimals, more only when the price has them."""
    cents = Decimal(price).quantize(Decimal("0.01"))
    return cents if cents == price else Decimal(price).normalize()


def line_total(quantity: int, unit_price: Decimal) -> Decimal:
    """What a line costs, rounded to the cent as the purchase will be."""
    return round_money(quantity * Decimal(unit_price))


@dataclass
class Cart:
    """Lines in the order they were added; ``allocations`` only for lines whose licenses were
    assigned to cost centers (a line without any goes to no cost center)."""

    items: dict[int, int] = field(default_factory=dict)
    allocations: dict[int, list[Allocation]] = field(default_factory=dict)
    checkout_key: str = ""

    # --- session ---------------------------------------------------------------------------

    @staticmethod
    def session_key(organisation_id: int) -> str:
        return f"{SESSION_PREFIX}{organisation_id}"

    @classmethod
    def load(cls, session: MutableMapping, organisation_id: int) -> "Cart":
        """The organisation's cart from the session; anything malformed is dropped, not trusted."""
        raw = session.get(cls.session_key(organisation_id)) or {}
        cart = cls()
        for entry in raw.get("items", []):
            try:
                product_id, quantity = int(entry[0]), int(entry[1])
            except (TypeError, ValueError, IndexError):
                continue
            if 1 <= quantity <= MAX_QUANTITY:
                cart.items[product_id] = quantity
        for key, pairs in (raw.get("allocations") or {}).items():
            try:
                product_id = int(key)
                parsed = [(None if cc is None else int(cc), int(qty)) for cc, qty in pairs]
            except (TypeError, ValueError):
                continue
            if product_id in cart.items:
                cart.allocations[product_id] = merge_allocations(parsed)
        cart.checkout_key = str(raw.get("key") or "")
        return cart

    def save(self, session: MutableMapping, organisation_id: int) -> None:
        session[self.session_key(organisation_id)] = {
            "items": [[product_id, quantity] for product_id, quantity in self.items.items()],
            "allocations": {
                str(product_id): [[cc, qty] for cc, qty in pairs]
                for product_id, pairs in self.allocations.items()
                if product_id in self.items
            },
            "key": self.checkout_key,
        }

    @classmethod
    def discard(cls, session: MutableMapping, organisation_id: int) -> None:
        session.pop(cls.session_key(organisation_id), None)

    # --- reading ---------------------------------------------------------------------------

    @property
    def is_empty(self) -> bool:
        return not self.items

    @property
    def license_count(self) -> int:
        return sum(self.items.values())

    def allocations_of(self, product_id: int) -> list[Allocation]:
        """The line's allocations; a line never assigned goes whole to no cost center."""
        return self.allocations.get(product_id) or [(None, self.items[product_id])]

    def allocated(self, product_id: int) -> int:
        return sum(quantity for _cc, quantity in self.allocations_of(product_id))

    def unbalanced(self) -> list[int]:
        """Lines whose allocations do not add up to their quantity."""
        return [pid for pid, quantity in self.items.items() if self.allocated(pid) != quantity]

    def request_lines(self) -> list[PurchaseRequestLine]:
        """What the purchase service is asked for, in the cart's order."""
        return [
            PurchaseRequestLine(
                product_id=product_id, quantity=quantity, allocations=list(self.allocations_of(product_id))
            )
            for product_id, quantity in self.items.items()
        ]

    # --- changes (each one voids the confirm page's key: the order is no longer the same) ----

    def _changed(self) -> None:
        self.checkout_key = ""

    def add(self, product_id: int, quantity: int) -> int:
        """Add licenses of a product (to the line when it is there already); returns the line's
        new quantity. Refuses a line above the purchase limit."""
        new_quantity = self.items.get(product_id, 0) + quantity
        if quantity < 1 or new_quantity > MAX_QUANTITY:
            raise Invalid(
                _("A cart line holds from 1 to %(max)s licenses.") % {"max": MAX_QUANTITY},
                field_errors={"quantity": [_("From 1 to %(max)s.") % {"max": MAX_QUANTITY}]},
            )
        self.items[product_id] = new_quantity
        self._rescale(product_id)
        self._changed()
        return new_quantity

    def set_quantity(self, product_id: int, quantity: int) -> bool:
        """Change a line's quantity (0 removes it). Returns True when a split over several cost
        centers had to be reset because it no longer matches."""
        if product_id not in self.items:
            return False
        if quantity == 0:
            self.remove(product_id)
            return False
        if self.items[product_id] == quantity:
            return False
        self.items[product_id] = quantity
        self._changed()
        return self._rescale(product_id)

    def remove(self, product_id: int) -> None:
        self.items.pop(product_id, None)
        self.allocations.pop(product_id, None)
        self._changed()

    def set_allocations(self, product_id: int, pairs: Iterable[Allocation]) -> None:
        if product_id not in self.items:
            return
        merged = merge_allocations(pairs)
        if merged == [(None, self.items[product_id])] or not merged:
            self.allocations.pop(product_id, None)
        else:
            self.allocations[product_id] = merged
        self._changed()

    def assign(self, product_ids: Iterable[int], cost_center_id: int | None) -> int:
        """Every license of the given lines to one cost center; returns how many lines."""
        count = 0
        for product_id in product_ids:
            if product_id in self.items:
                self.set_allocations(product_id, [(cost_center_id, self.items[product_id])])
                count += 1
        return count

    def assign_all(self, cost_center_id: int | None) -> int:
        return self.assign(list(self.items), cost_center_id)

    def ensure_checkout_key(self) -> str:
        """The request key of the confirm page: the same while the cart does not change, so a
        reload, a second tab or a double click confirm one purchase."""
        if not self.checkout_key:
            self.checkout_key = uuid.uuid4().hex
        return self.checkout_key

    def _rescale(self, product_id: int) -> bool:
        """After a quantity change: a line wholly in one cost center stays there; a split is
        reset (it can't be guessed), and the caller says so."""
        pairs = self.allocations.get(product_id)
        if not pairs:
            return False
        if len(pairs) == 1:
            self.allocations[product_id] = [(pairs[0][0], self.items[product_id])]
            return False
        del self.allocations[product_id]
        return True


# --- what the cart pages show -------------------------------------------------------------------


@dataclass
class CartLine:
    number: int  # 1-based, as the purchase service keys lines ("lines.2.quantity")
    product: "Product"
    quantity: int
    total: Decimal
    allocations: list[tuple["CostCenter | None", int]]
    problem: str = ""  # the product can't be bought as it stands
    error: str = ""  # a refused entry or the service's reason, shown under the line
    assignment: "LineAssignment | None" = None  # the cost center page's fields
    split_rows: list = field(default_factory=list)  # (index, cost center, quantity) to show
    posted: str = ""  # a refused quantity, shown back as typed

    @property
    def unit_price(self) -> Decimal:
        return display_price(self.product.unit_price)


@dataclass
class CartSummary:
    lines: list[CartLine]
    totals: list[tuple[str, Decimal]]  # per currency, in order of appearance
    license_count: int
    dropped: int = 0  # products no longer in the catalog, taken out of the cart
    errors: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def mixed_currencies(self) -> bool:
        return len(self.totals) > 1

    @property
    def has_problems(self) -> bool:
        return self.mixed_currencies or any(line.problem for line in self.lines)

    def line(self, product_id: int) -> CartLine | None:
        return next((line for line in self.lines if line.product.pk == product_id), None)


def summarize(
    cart: Cart,
    products: Mapping[int, "Product"],
    cost_centers: Mapping[int, "CostCenter"] | None = None,
    *,
    billing_currency: str | None = None,
) -> CartSummary:
    """The cart's lines with their products (``products``: the catalog's, by id), money totals
    per currency, cost centers (when given) and what stands in the way of buying each line
    (among them a price in another currency than ``billing_currency``, the MSP's).
    Lines whose product is not in ``products`` are taken out of ``cart``."""
    dropped = [pid for pid in cart.items if pid not in products]
    for pid in dropped:
        cart.remove(pid)
    lines, totals = [], {}
    for number, (pid, quantity) in enumerate(cart.items.items(), start=1):
        product = products[pid]
        total = line_total(quantity, product.unit_price)
        totals[product.currency] = totals.get(product.currency, Decimal("0.00")) + total
        problem = ""
        if not product.is_active:
            problem = _("No longer on sale: remove it from the cart.")
        elif product.billing_type == BillingType.USAGE:
            problem = _("Billed on usage: there are no licenses to buy. Remove it from the cart.")
        elif billing_currency and product.currency != billing_currency:
            # The purchase service refuses it too (docs/currency.md); said here before checkout.
            problem = _(
                "Priced in %(currency)s, and your organisation is billed in %(billing)s: remove it from the cart."
            ) % {"currency": product.currency, "billing": billing_currency}
        pairs = cart.allocations_of(pid)
        if cost_centers is not None and any(cc is not None and cc not in cost_centers for cc, _q in pairs):
            problem = problem or _("One of its cost centers no longer exists: assign it again.")
        allocations = [(None if cc is None else (cost_centers or {}).get(cc), qty) for cc, qty in pairs]
        lines.append(
            CartLine(
                number=number,
                product=product,
                quantity=quantity,
                total=total,
                allocations=allocations,
                problem=problem,
            )
        )
    summary = CartSummary(
        lines=lines, totals=list(totals.items()), license_count=cart.license_count, dropped=len(dropped)
    )
    if summary.mixed_currencies:
        summary.errors.append(
            _("The cart holds products priced in different currencies: buy them in separate purchases.")
        )
    return summary
