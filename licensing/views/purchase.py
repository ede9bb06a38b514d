"""The purchase flow of an MSP admin: cart → review → cost centers → confirm → statement, and
the list of purchases. The cart lives in the session (licensing.cart); the purchase is made by
one service call, all or nothing, once per request key."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from msp_portal.errors import parse_item_key
from msp_portal.exceptions import DomainError, apply_to_form, error_message
from msp_portal.money import sale_refusal
from msp_portal.numbers import whole_number
from msp_portal.tenancy.choices import OrganisationKind, Perm
from msp_portal.tenancy.views_base import TenantViewMixin

from .. import selectors, services
from ..cart import Cart, CartLine, CartSummary, parse_quantity, summarize
from ..choices import BillingType
from ..forms_purchase import (
    MODE_ONE,
    MODE_SPLIT,
    AddToCartForm,
    ConfirmForm,
    CostCenterCreateForm,
    allocation_mismatch,
    assignment_from_cart,
    assignment_from_post,
    field_name,
    split_rows_to_show,
)
from ..models import CostCenter, Purchase

# --- what the cart pages show ---------------------------------------------------------------------


def cart_summary(organisation, cart: Cart, cost_centers: dict[int, CostCenter] | None = None) -> CartSummary:
    """The cart as its pages show it. Products no longer in the distributor's catalog are
    taken out of ``cart`` (the caller saves it)."""
    products = selectors.products_by_id(organisation=organisation, product_ids=cart.items)
    return summarize(cart, products, cost_centers, billing_currency=organisation.currency)


def cost_center_map(organisation) -> dict[int, CostCenter]:
    return {cc.pk: cc for cc in selectors.cost_center_list(organisation=organisation)}


class CartMixin(TenantViewMixin):
    """Pages of the purchase flow: MSP admins only (an MSP's other roles get 403, a distributor
    404: the flow does not exist there)."""

    required_kind = OrganisationKind.MSP
    required_perm = Perm.MANAGE_LICENSING

    def get_cart(self) -> Cart:
        return Cart.load(self.request.session, self.tenant.organisation.pk)

    def save_cart(self, cart: Cart) -> None:
        cart.save(self.request.session, self.tenant.organisation.pk)

    def load_view(self, cart: Cart, *, with_cost_centers: bool = False) -> CartSummary:
        cost_centers = cost_center_map(self.tenant.organisation) if with_cost_centers else None
        view = cart_summary(self.tenant.organisation, cart, cost_centers)
        if view.dropped:
            self.save_cart(cart)
            messages.warning(
                self.request,
                ngettext(
                    "%(count)d product is no longer in the catalog and was taken out of the cart.",
                    "%(count)d products are no longer in the catalog and were taken out of the cart.",
                    view.dropped,
                )
                % {"count": view.dropped},
            )
        return view

    def to(self, name: str, query: str = ""):
        url = reverse(f"licensing_purchase:{name}", kwargs={"org_slug": self.tenant.organisation.slug})
        return redirect(url + (f"?{query}" if query else ""))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["step"] = getattr(self, "step", "")
        return context


# --- cart -------------------------------------------------------------------------------------------


class CartAddView(CartMixin, View):
    """The catalog's "Add to cart" (POST); back to the catalog page it came from."""

    def post(self, request, *args, **kwargs):
        form = AddToCartForm(request.POST)
        catalog = reverse("licensing_purchase:catalog", kwargs={"org_slug": self.tenant.organisation.slug})
        back = request.POST.get("next") or catalog
        if not (
            url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
            and back.startswith(catalog)
        ):
            back = catalog
        if not form.is_valid():
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
            return redirect(back)
        product = selectors.product_on_sale(
            organisation=self.tenant.organisation, product_id=form.cleaned_data["product_id"]
        )
        if product is None:
            messages.error(request, _("This product is not in your distributor's catalog."))
            return redirect(back)
        if product.billing_type != BillingType.LICENSE:
            messages.error(
                request,
                _("%(product)s is billed on usage: there are no licenses to buy.")
                % {"product": product.name},
            )
            return redirect(back)
        if refusal := sale_refusal(product=product, msp=self.tenant.organisation):
            messages.error(request, refusal)
            return redirect(back)
        cart = self.get_cart()
        try:
            total = cart.add(product.pk, form.cleaned_data["quantity"])
        except DomainError as exc:
            messages.error(request, f"{product.name}: {error_message(exc)}")
            return redirect(back)
        self.save_cart(cart)
        messages.success(
            request,
            ngettext(
                "%(count)d license of %(product)s added to the cart (%(total)d in the cart).",
                "%(count)d licenses of %(product)s added to the cart (%(total)d in the cart).",
                form.cleaned_data["quantity"],
            )
            % {"count": form.cleaned_data["quantity"], "product": product.name, "total": total},
        )
        return redirect(back)


class CartView(CartMixin, TemplateView):
    """Change quantities (0 or "Remove" takes a line out), empty the cart, or continue."""

    template_name = "licensing/cart_detail.html"
    step = "cart"

    def get(self, request, *args, **kwargs):
        cart = self.get_cart()
        return self.render_to_response(self.get_context_data(summary=self.load_view(cart)))

    def post(self, request, *args, **kwargs):
        cart = self.get_cart()
        action = request.POST.get("action", "update")
        product_id = whole_number(request.POST.get("remove"))
        if product_id is not None:
            view = cart_summary(self.tenant.organisation, cart)
            line = view.line(product_id)
            cart.remove(product_id)
            self.save_cart(cart)
            if line:
                messages.success(
                    request, _("%(product)s was removed from the cart.") % {"product": line.product.name}
                )
            return self.to("cart")
        if action == "clear":
            Cart.discard(request.session, self.tenant.organisation.pk)
            messages.success(request, _("The cart was emptied."))
            return self.to("cart")

        view = self.load_view(cart)
        errors: dict[int, tuple[str, str]] = {}
        reset: list[str] = []
        for line in view.lines:
            raw = request.POST.get(f"quantity-{line.product.pk}")
            if raw is None:
                continue
            quantity = parse_quantity(raw, allow_zero=True)
            if quantity is None:
                message = _("Enter a whole number from 0 to %(max)s.") % {"max": services.MAX_QUANTITY}
                errors[line.product.pk] = (message, raw)
                continue
            if cart.set_quantity(line.product.pk, quantity):
                reset.append(line.product.name)
        self.save_cart(cart)
        for name in reset:
            messages.warning(
                request,
                _("The quantity of %(product)s changed: its split over cost centers was reset.")
                % {"product": name},
            )
        if errors:
            view = cart_summary(self.tenant.organisation, cart)
            for line in view.lines:
                line.error, line.posted = errors.get(line.product.pk, ("", ""))
            return self.render_to_response(self.get_context_data(summary=view), status=422)
        if action == "continue" and not cart.is_empty:
            return self.to("cart-review")
        messages.success(request, _("The cart was updated."))
        return self.to("cart")


class CartReviewView(CartMixin, TemplateView):
    """Check the order: quantities, unit prices and the total."""

    template_name = "licensing/cart_review.html"
    step = "review"

    def get(self, request, *args, **kwargs):
        cart = self.get_cart()
        return self.render_to_response(self.get_context_data(summary=self.load_view(cart)))


# --- cost centers -------------------------------------------------------------------------------------


class CartCostCentersView(CartMixin, TemplateView):
    """Assign the licenses of each line to cost centers: every line to one ("assign to all"),
    the ticked lines to one ("assign to selection"), or per line all to one or split over
    several. A cost center can be created here without losing anything: the cart keeps the
    assignments as they are being prepared."""

    template_name = "licensing/cart_cost_centers.html"
    step = "cost_centers"

    def get(self, request, *args, **kwargs):
        cart = self.get_cart()
        cost_centers = cost_center_map(self.tenant.organisation)
        view = self.load_view(cart, with_cost_centers=True)
        for line in view.lines:
            line.assignment = assignment_from_cart(
                line.product.pk, line.quantity, cart.allocations_of(line.product.pk)
            )
            if cart.allocated(line.product.pk) != line.quantity:
                line.error = allocation_mismatch(
                    line.product.name, cart.allocated(line.product.pk), line.quantity
                )
        return self.page(view, cost_centers, target=request.GET.get("target", ""))

    def post(self, request, *args, **kwargs):
        """One form with four buttons: save, assign lines to a cost center, create a cost
        center, continue. Whatever the button, what was typed on each line is kept first (as a
        draft when it does not add up yet), so that no action loses it."""
        cart = self.get_cart()
        cost_centers = cost_center_map(self.tenant.organisation)
        view = self.load_view(cart, with_cost_centers=True)
        action = request.POST.get("action", "save")
        target = request.POST.get("target", "")
        failed = self.keep_typed(cart, view, cost_centers)
        new_cc_form = CostCenterCreateForm(request.POST if action == "create_cost_center" else None)
        if action in ("assign_selection", "assign_all"):
            failed = self.assign_chosen(cart, view, cost_centers, action=action, target=target)
        elif action == "create_cost_center":
            created = self.create_cost_center(new_cc_form)
            if created is None:
                failed = True
            else:
                target = str(created.pk)
                cost_centers[created.pk] = created
        self.save_cart(cart)
        if not failed and action == "continue" and self.ready_to_confirm(cart, view):
            return self.to("cart-confirm")
        if failed or action == "continue":
            return self.page(view, cost_centers, target=target, new_cc_form=new_cc_form, status=422)
        if action == "save":
            messages.success(request, _("Cost center assignments saved."))
        return self.to("cart-cost-centers", f"target={target}" if target else "")

    def keep_typed(self, cart: Cart, view: CartSummary, cost_centers: dict[int, CostCenter]) -> bool:
        """Keep in the cart what the form says of each line; True when a line does not add up
        (its reason is on the line)."""
        failed = False
        for line in view.lines:
            if field_name(line.product.pk, "mode") not in self.request.POST:
                # A line the form did not send (added in another tab meanwhile) stays as it is.
                line.assignment = assignment_from_cart(
                    line.product.pk, line.quantity, cart.allocations_of(line.product.pk)
                )
                continue
            assignment = assignment_from_post(
                self.request.POST,
                product_id=line.product.pk,
                quantity=line.quantity,
                product_name=line.product.name,
                cost_center_ids=set(cost_centers),
            )
            if assignment.pairs is not None:
                cart.set_allocations(line.product.pk, assignment.pairs)
            line.assignment, line.error = assignment, assignment.error
            failed = failed or bool(assignment.error)
        return failed

    def assign_chosen(
        self, cart: Cart, view: CartSummary, cost_centers: dict[int, CostCenter], *, action: str, target: str
    ) -> bool:
        """Every license of the chosen lines (all, or the ticked ones) to the toolbar's cost
        center; True when something is still wrong (no cost center or no line chosen, or another
        line that does not add up)."""
        chosen = self.chosen_lines(self.request, view, action)
        target_id = self.target_id(target, cost_centers)
        if target_id is False:
            messages.error(self.request, _("Choose the cost center to assign to."))
            return True
        if not chosen:
            messages.error(self.request, _("Tick the lines to assign first."))
            return True
        cart.assign([line.product.pk for line in chosen], target_id)
        for line in chosen:
            line.assignment = assignment_from_cart(
                line.product.pk, line.quantity, cart.allocations_of(line.product.pk)
            )
            line.error = ""
        name = cost_centers[target_id].code if target_id else _("no cost center")
        messages.success(
            self.request,
            ngettext(
                "Every license of %(count)d line now goes to %(cost_center)s.",
                "Every license of %(count)d lines now goes to %(cost_center)s.",
                len(chosen),
            )
            % {"count": len(chosen), "cost_center": name},
        )
        return any(line.error for line in view.lines)

    def ready_to_confirm(self, cart: Cart, view: CartSummary) -> bool:
        """Whether "Continue" may go on to the confirmation; says why not otherwise."""
        if view.is_empty or view.has_problems:
            messages.error(self.request, _("Fix the lines marked below before continuing."))
        elif cart.unbalanced():  # a line left unchanged that was already a broken draft
            messages.error(self.request, _("Some lines are not fully assigned yet."))
        else:
            return True
        return False

    def chosen_lines(self, request, view: CartSummary, action: str) -> list[CartLine]:
        if action == "assign_all":
            return view.lines
        selected = set(map(whole_number, request.POST.getlist("selected"))) - {None}
        return [line for line in view.lines if line.product.pk in selected]

    @staticmethod
    def target_id(raw: str, cost_centers: dict[int, CostCenter]):
        """The cost center chosen in the toolbar: an id, None for "no cost center", or False."""
        if raw == "none":
            return None
        cost_center_id = whole_number(raw)
        return cost_center_id if cost_center_id in cost_centers else False

    def create_cost_center(self, form: CostCenterCreateForm) -> CostCenter | None:
        if not form.is_valid():
            return None
        try:
            created = services.cost_center_save(
                tenant=self.tenant, code=form.cleaned_data["code"], name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            apply_to_form(form, exc)
            return None
        messages.success(
            self.request,
            _("Cost center %(cost_center)s created: it is selected below, ready to assign.")
            % {"cost_center": created},
        )
        return created

    def page(self, view: CartSummary, cost_centers, *, target="", new_cc_form=None, status=200):
        for line in view.lines:
            line.split_rows = split_rows_to_show(line.assignment)
        return self.render_to_response(
            self.get_context_data(
                summary=view,
                cost_centers=list(cost_centers.values()),
                target=target,
                new_cc_form=new_cc_form or CostCenterCreateForm(),
                mode_one=MODE_ONE,
                mode_split=MODE_SPLIT,
                can_continue=not view.is_empty and not view.has_problems,
            ),
            status=status,
        )


# --- confirm -----------------------------------------------------------------------------------------


class CartConfirmView(CartMixin, TemplateView):
    """The order as it will be made, and the acknowledgement. The form carries the request key
    generated when the page is shown: a double click, a retry or a second tab confirm once."""

    template_name = "licensing/cart_confirm.html"
    step = "confirm"

    def get(self, request, *args, **kwargs):
        cart = self.get_cart()
        view = self.load_view(cart, with_cost_centers=True)
        if view.is_empty:
            return self.to("cart")
        unbalanced = [line.product.name for line in view.lines if line.product.pk in cart.unbalanced()]
        if unbalanced:
            messages.error(
                request,
                _("Finish assigning the licenses of %(products)s to cost centers first.")
                % {"products": ", ".join(unbalanced)},
            )
            return self.to("cart-cost-centers")
        key = cart.ensure_checkout_key()
        self.save_cart(cart)
        return self.render_to_response(
            self.get_context_data(summary=view, form=ConfirmForm(initial={"key": key}))
        )

    def post(self, request, *args, **kwargs):
        organisation = self.tenant.organisation
        cart = self.get_cart()
        form = ConfirmForm(request.POST)
        if not form.is_valid():
            messages.error(
                request, _("This confirmation page has expired. Check the order and confirm again.")
            )
            return self.to("cart-confirm")
        key = form.cleaned_data["key"]
        if not cart.is_empty and key != cart.checkout_key:
            existing = selectors.purchase_by_key(organisation=organisation, key=key)
            if existing is not None:
                return self.done(existing, created=False)
            messages.error(
                request, _("The cart changed since this page was shown. Check the order and confirm again.")
            )
            return self.to("cart-confirm")
        view = cart_summary(organisation, cart, cost_center_map(organisation))
        try:
            purchase, created = services.purchase_confirm(
                tenant=self.tenant,
                acting_user=request.user,
                lines=cart.request_lines(),
                acknowledged=form.cleaned_data["acknowledged"],
                idempotency_key=key,
            )
        except DomainError as exc:
            self.place_errors(form, view, exc)
            return self.render_to_response(self.get_context_data(summary=view, form=form), status=422)
        return self.done(purchase, created=created)

    def done(self, purchase: Purchase, *, created: bool):
        cart = self.get_cart()
        if cart.checkout_key == purchase.idempotency_key:
            Cart.discard(self.request.session, self.tenant.organisation.pk)
        if created:
            messages.success(
                self.request,
                _("Purchase %(number)s confirmed. Your licenses are ready.") % {"number": purchase.number},
            )
        else:
            messages.info(
                self.request,
                _("Purchase %(number)s was already confirmed: nothing was bought twice.")
                % {"number": purchase.number},
            )
        return redirect(
            "licensing_purchase:purchase-detail",
            org_slug=self.tenant.organisation.slug,
            purchase_id=purchase.pk,
        )

    @staticmethod
    def place_errors(form: ConfirmForm, view: CartSummary, exc: DomainError) -> None:
        """The service keys a line's refusal ``lines.<n>.<field>``, n counting the lines in the
        order it was given (the cart's): each reason goes under its line; the acknowledgement
        under its box; the rest above the form."""
        by_number = {line.number: line for line in view.lines}
        others = []
        for key, reasons in (exc.field_errors or {}).items():
            text = " ".join(str(reason) for reason in reasons)
            item = parse_item_key(key)
            if item and item[0] == "lines" and item[1] in by_number:
                by_number[item[1]].error = text
            elif key in form.fields:
                form.add_error(key, text)
            else:
                others.append(text)
        if others or not exc.field_errors:
            form.add_error(None, " ".join(others) or error_message(exc))


# --- purchases ------------------------------------------------------------------------------------
