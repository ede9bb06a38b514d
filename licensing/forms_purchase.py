"""Forms of the catalog and the purchase flow. They parse what a person typed; the services
check the rules (the catalog, the cost centers, the totals)."""

from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from msp_portal.numbers import whole_number

from .cart import Allocation, merge_allocations, parse_quantity
from .models import Product
from .services import MAX_QUANTITY

# --- catalog ----------------------------------------------------------------------------------


class ProductForm(forms.ModelForm):
    """A product/SKU of the distributor's own catalog."""

    class Meta:
        model = Product
        fields = [
            "name",
            "publisher",
            "product_code",
            "sku_code",
            "unit_type",
            "unit_price",
            "currency",
            "billing_type",
            "program",
            "is_active",
        ]
        help_texts = {
            "unit_price": gettext_lazy("Per unit and month, before tax."),
            "currency": gettext_lazy("Three-letter code, such as EUR or USD."),
            "program": gettext_lazy(
                "Whether MSPs may assign more licenses than they own and settle at the yearly true-up."
            ),
            "is_active": gettext_lazy("Only products on sale appear in your MSPs' catalog."),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        if self.instance.pk is None:
            # As the API does: the distributor's own currency (not the model's default) unless
            # the admin names another.
            self.initial["currency"] = organisation.currency

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise forms.ValidationError(_("Use a three-letter currency code, such as EUR."))
        return currency


# --- cart ---------------------------------------------------------------------------------------


class AddToCartForm(forms.Form):
    product_id = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(
        label=gettext_lazy("Quantity"),
        min_value=1,
        max_value=MAX_QUANTITY,
        initial=1,
        error_messages={"required": gettext_lazy("Say how many licenses to add.")},
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class CostCenterCreateForm(forms.Form):
    """A new cost center, made on the way without leaving the purchase (no HTML ``required``:
    the fields share a form with the assignment buttons)."""

    use_required_attribute = False
    prefix = "new_cc"

    code = forms.CharField(label=gettext_lazy("Code"), max_length=32, required=False)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)


class ConfirmForm(forms.Form):
    acknowledged = forms.BooleanField(
        label=gettext_lazy(
            "I have read and understood the order, its prices and charges, and I confirm the purchase."
        ),
        required=False,
    )
    key = forms.RegexField(regex=r"^[0-9a-f]{32}$", max_length=32, widget=forms.HiddenInput)


# --- cost center assignment ---------------------------------------------------------------------

MODE_ONE = "one"
MODE_SPLIT = "split"


@dataclass
class LineAssignment:
    """One cart line on the cost center page: what to show in its fields (raw text, so that a
    refused entry comes back as typed), and what was understood of it."""

    product_id: int
    quantity: int
    mode: str = MODE_ONE
    cost_center: str = ""  # "all to one": a cost center id, or "" for none
    split_rows: list[tuple[str, str]] = field(default_factory=list)  # (cost center id, quantity)
    pairs: list[Allocation] | None = None  # None when the entry could not be read
    error: str = ""

    @property
    def allocated(self) -> int:
        return sum(quantity for _cc, quantity in self.pairs or [])

    @property
    def remaining(self) -> int:
        return self.quantity - self.allocated


def field_name(product_id: int, name: str) -> str:
    return f"line-{product_id}-{name}"


def split_field_name(product_id: int, index: int, name: str) -> str:
    return f"line-{product_id}-split-{index}-{name}"


def assignment_from_cart(product_id: int, quantity: int, pairs: list[Allocation]) -> LineAssignment:
    """A line as the cart holds it."""
    line = LineAssignment(product_id=product_id, quantity=quantity, pairs=list(pairs))
    if len(pairs) == 1:
        line.cost_center = "" if pairs[0][0] is None else str(pairs[0][0])
    else:
        line.mode = MODE_SPLIT
        line.split_rows = [("" if cc is None else str(cc), str(qty)) for cc, qty in pairs]
    return line


def assignment_from_post(
    data, *, product_id: int, quantity: int, product_name: str, cost_center_ids: set[int]
) -> LineAssignment:
    """Read a line's fields: all of its licenses to one cost center, or a split whose
    quantities must add up to the line's. ``pairs`` holds what was read even when it does not
    add up (the cart keeps it as a draft); ``error`` says what is wrong, naming the product."""
    line = LineAssignment(product_id=product_id, quantity=quantity)
    line.mode = MODE_SPLIT if data.get(field_name(product_id, "mode")) == MODE_SPLIT else MODE_ONE
    line.cost_center = (data.get(field_name(product_id, "cost_center")) or "").strip()
    index = 0
    while split_field_name(product_id, index, "quantity") in data:
        line.split_rows.append(
            (
                (data.get(split_field_name(product_id, index, "cost_center")) or "").strip(),
                (data.get(split_field_name(product_id, index, "quantity")) or "").strip(),
            )
        )
        index += 1

    def cost_center_of(raw: str) -> tuple[bool, int | None]:
        if raw == "":
            return True, None
        cost_center_id = whole_number(raw)
        if cost_center_id in cost_center_ids:
            return True, cost_center_id
        return False, None

    if line.mode == MODE_ONE:
        known, cost_center_id = cost_center_of(line.cost_center)
        if not known:
            line.error = _("%(product)s: choose one of your cost centers.") % {"product": product_name}
            return line
        line.pairs = [(cost_center_id, quantity)]
        return line

    pairs: list[Allocation] = []
    for raw_cc, raw_quantity in line.split_rows:
        if raw_quantity == "":
            continue
        split_quantity = parse_quantity(raw_quantity)
        known, cost_center_id = cost_center_of(raw_cc)
        if split_quantity is None:
            line.error = _(
                "%(product)s: each part of the split is a whole number of licenses, at least 1."
            ) % {"product": product_name}
            return line
        if not known:
            line.error = _("%(product)s: choose one of your cost centers.") % {"product": product_name}
            return line
        pairs.append((cost_center_id, split_quantity))
    line.pairs = merge_allocations(pairs)
    if not line.pairs:
        line.error = _("%(product)s: enter how many licenses go to each cost center.") % {
            "product": product_name
        }
    elif line.allocated != quantity:
        line.error = allocation_mismatch(product_name, line.allocated, quantity)
    return line


def allocation_mismatch(product_name: str, allocated: int, quantity: int) -> str:
    return _(
        "%(product)s: the split adds up to %(allocated)s licenses instead of %(quantity)s (%(difference)s)."
    ) % {
        "product": product_name,
        "allocated": allocated,
        "quantity": quantity,
        "difference": (
            _("%(count)s more to assign") % {"count": quantity - allocated}
            if allocated < quantity
            else _("%(count)s too many") % {"count": allocated - quantity}
        ),
    }


def split_rows_to_show(line: LineAssignment, *, extra: int = 2) -> list[tuple[int, str, str]]:
    """The split rows of a line with a few blank ones to fill in: (index, cost center, quantity)."""
    rows = list(line.split_rows) if line.mode == MODE_SPLIT else []
    filled = [row for row in rows if row[1] != ""] or []
    blanks = max(extra, 2 - len(filled))
    shown = filled + [("", "")] * blanks
    return [(index, cc, qty) for index, (cc, qty) in enumerate(shown)]
