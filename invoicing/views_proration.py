"""The proration calculator (docs/invoicing.md, "Proration"): any member of the organisation,
MSP or distributor, types a mid-cycle change and reads the daily rate, the days, the refund, the
charge and the month's total, computed by the same rule as the invoice's proration lines."""

from django.shortcuts import render
from django.views import View

from msp_portal.errors import Invalid
from msp_portal.exceptions import apply_to_form
from msp_portal.tenancy.views_base import TenantViewMixin

from .forms_proration import ProrationForm
from .proration import proration_quote


class ProrationCalculatorView(TenantViewMixin, View):
    """A GET form: the figures are a calculation, nothing is stored, and the address of a result
    can be shared. Without any field sent, the empty form; with fields, the result or the form
    again with each refusal on its field (400)."""

    template_name = "invoicing/proration.html"

    def get(self, request, *args, **kwargs):
        if not any(name in request.GET for name in ProrationForm.base_fields):
            return self.page(ProrationForm(), result=None, status=200)
        form = ProrationForm(request.GET)
        if form.is_valid():
            try:
                result = proration_quote(**form.cleaned_data)
            except Invalid as exc:
                apply_to_form(form, exc)
            else:
                return self.page(form, result=result, status=200)
        return self.page(form, result=None, status=400)

    def page(self, form, *, result, status: int):
        context = {
            "tenant": self.tenant,
            "organisation": self.tenant.organisation,
            "form": form,
            "result": result,
            "old_quantity": form.cleaned_data.get("old_quantity") if result else None,
            "new_quantity": form.cleaned_data.get("new_quantity") if result else None,
        }
        return render(self.request, self.template_name, context, status=status)
