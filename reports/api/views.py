"""API of usage reports under /api/v1/orgs/<org_slug>/usage-reports/. An MSP sees its own
reports; a distributor those of the MSPs it serves. Views parse, call one service, answer."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from msp_portal.api.schema import error_responses
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.views_base import TenantAPIMixin

from .. import selectors, services
from ..filters import UsageReportFilter
from ..models import UsageReport, UsageReportLine
from .serializers import (
    ChangesSerializer,
    CommentCreateSerializer,
    CommentSerializer,
    EventSerializer,
    LineSerializer,
    LineUpdateSerializer,
    RejectSerializer,
    SubmitSerializer,
    UsageReportDetailSerializer,
    UsageReportSerializer,
)


class ReportAPIMixin(TenantAPIMixin):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not (self.tenant.can(Perm.VIEW_OWN_REPORTS) or self.tenant.can(Perm.VIEW_SERVED_REPORTS)):
            raise PermissionDenied

    def load_objects(self):
        # Another organisation's report or line: NotFound, answered 404 by the API's handler,
        # before the method or the role is checked.
        if "report_id" in self.kwargs:
            report = self.get_report()
            if "line_id" in self.kwargs:
                selectors.line_get(report=report, line_id=self.kwargs["line_id"])

    def get_report(self) -> UsageReport:
        return selectors.report_get(tenant=self.tenant, report_id=self.kwargs["report_id"])

    def get_line(self, report: UsageReport) -> UsageReportLine:
        return selectors.line_get(report=report, line_id=self.kwargs["line_id"])

    def detail_response(self, report_id: int, status_code=status.HTTP_200_OK) -> Response:
        report = selectors.report_get(tenant=self.tenant, report_id=report_id)
        page = selectors.report_page(tenant=self.tenant, report=report)
        report.line_count = len(page.lines)
        report.discrepancy_count = page.discrepancy_count
        report.amount = page.total_amount
        report.page_lines = page.lines
        report.page_penalties = page.penalties
        report.penalty_preview = (
            {"total": page.penalty.total, "line_ids": sorted(page.penalty.lines)}
            if page.time_left is not None
            else None
        )
        report.unexplained_line_ids = [row.line.pk for row in page.rows if row.needs_comment]
        return Response(UsageReportDetailSerializer(report).data, status=status_code)


class UsageReportListView(ReportAPIMixin, ListAPIView):
    """Reports, newest cycle first (a distributor's: oldest submission first). Filters: period
    (last12 by default, all, or a year), state (repeatable), cycle, msp, submission_kind."""

    serializer_class = UsageReportSerializer
    # The list page's filter set (reports.filters): the same parameters select the same reports.
    filterset_class = UsageReportFilter
    queryset = selectors.no_usage_reports()  # for the schema only

    def get_queryset(self):
        return selectors.usage_report_list_with_totals(tenant=self.tenant)

    @extend_schema(responses={200: UsageReportSerializer(many=True), **error_responses(400, 401, 403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class UsageReportDetailView(ReportAPIMixin, APIView):
    @extend_schema(responses={200: UsageReportDetailSerializer, **error_responses(401, 403, 404)})
    def get(self, request, org_slug, report_id):
        self.get_report()
        return self.detail_response(report_id)


class LineDetailView(ReportAPIMixin, GenericAPIView):
    """Read one line, or save its billable units (with the version you read: 409 with the
    current value when someone saved it in the meantime)."""

    serializer_class = LineUpdateSerializer

    @extend_schema(responses={200: LineSerializer, **error_responses(401, 403, 404)})
    def get(self, request, org_slug, report_id, line_id):
        return Response(LineSerializer(self.get_line(self.get_report())).data)

    @extend_schema(
        request=LineUpdateSerializer,
        responses={200: LineSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, org_slug, report_id, line_id):
        serializer = LineUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.usage_report_line_update(
            tenant=self.tenant,
            acting_user=request.user,
            report_id=report_id,
            line_id=line_id,
            billable_units=serializer.validated_data["billable_units"],
            version=serializer.validated_data["version"],
        )
        return Response(LineSerializer(self.get_line(self.get_report())).data)


class CommentListView(ReportAPIMixin, GenericAPIView):
    serializer_class = CommentCreateSerializer
    queryset = selectors.no_line_comments()  # for the schema only

    @extend_schema(responses={200: CommentSerializer(many=True), **error_responses(401, 403, 404)})
    def get(self, request, org_slug, report_id, line_id):
        line = self.get_line(self.get_report())
        return Response(CommentSerializer(line.comments.all(), many=True).data)

    @extend_schema(
        request=CommentCreateSerializer,
        responses={201: CommentSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, org_slug, report_id, line_id):
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.line_comment_add(
            tenant=self.tenant,
            acting_user=request.user,
            report_id=report_id,
            line_id=line_id,
            body=serializer.validated_data["body"],
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class SubmitView(ReportAPIMixin, GenericAPIView):
    """Submit to the distributor (MSP admins); 400 lists the discrepant lines still unexplained."""

    serializer_class = SubmitSerializer

    @extend_schema(
        request=SubmitSerializer,
        responses={200: UsageReportDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, org_slug, report_id):
        serializer = SubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.usage_report_submit(
            tenant=self.tenant, acting_user=request.user, report_id=report_id, **serializer.validated_data
        )
        return self.detail_response(report_id)


class ApproveView(ReportAPIMixin, APIView):
    @extend_schema(
        request=None, responses={200: UsageReportDetailSerializer, **error_responses(401, 403, 404, 409)}
    )
    def post(self, request, org_slug, report_id):
        services.usage_report_approve(tenant=self.tenant, acting_user=request.user, report_id=report_id)
        return self.detail_response(report_id)


class RejectView(ReportAPIMixin, GenericAPIView):
    serializer_class = RejectSerializer

    @extend_schema(
        request=RejectSerializer,
        responses={200: UsageReportDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, org_slug, report_id):
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.usage_report_reject(
            tenant=self.tenant, acting_user=request.user, report_id=report_id, **serializer.validated_data
        )
        return self.detail_response(report_id)


class HistoryView(ReportAPIMixin, APIView):
    @extend_schema(responses={200: EventSerializer(many=True), **error_responses(401, 403, 404)})
    def get(self, request, org_slug, report_id):
        return Response(EventSerializer(selectors.report_history(report=self.get_report()), many=True).data)


class ChangesView(ReportAPIMixin, APIView):
    """What the MSP changed since the last rejection (empty before any rejection)."""

    @extend_schema(responses={200: ChangesSerializer, **error_responses(401, 403, 404)})
    def get(self, request, org_slug, report_id):
        report = self.get_report()
        rejection, changes = selectors.changes_since_rejection(
            report=report, lines=selectors.report_lines(report=report)
        )
        return Response(
            ChangesSerializer(
                {
                    "rejected_at": rejection.created_at if rejection else None,
                    "rejection_reason": rejection.reason if rejection else "",
                    "changes": changes,
                }
            ).data
        )
