"""The in-app notification list of the signed-in person, in the current organisation."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from msp_portal.numbers import whole_number
from msp_portal.tenancy.views_base import TenantViewMixin

from . import selectors, services


class NotificationListView(TenantViewMixin, TemplateView):
    template_name = "notifications/notification_list.html"

    def get_context_data(self, **kwargs):
        rows = selectors.notification_list(organisation=self.tenant.organisation, user=self.request.user)
        page = Paginator(rows, 25).get_page(self.request.GET.get("page"))
        items = [(row, selectors.notification_link(notification=row, reader=self.tenant)) for row in page]
        return super().get_context_data(page_obj=page, items=items, **kwargs)


class NotificationMarkReadView(TenantViewMixin, View):
    def post(self, request, *args, **kwargs):
        ids = [pk for pk in map(whole_number, request.POST.getlist("id")) if pk is not None] or None
        count = services.notification_mark_read(
            organisation=self.tenant.organisation, user=request.user, notification_ids=ids
        )
        if count:
            messages.success(request, _("Marked as read."))
        return redirect("notifications:list", org_slug=self.tenant.organisation.slug)
