"""What happens when reports are approved, contributed by higher apps (invoicing builds the
MSP's invoice): reports may not import them (the layers, docs/architecture.md), so they register
a callback here from their AppConfig.ready().

Every approval path calls :func:`reports_approved` once, after the approved reports are saved,
inside the approval's transaction: a callback that raises undoes the approval, and what it writes
commits with it. A callback takes a list so the deadline sweep hands it a whole batch at once
(its cost can stay flat per batch)."""

from collections.abc import Callable, Sequence

from .models import UsageReport

ApprovalHook = Callable[[Sequence[UsageReport]], None]
_HOOKS: list[ApprovalHook] = []


def register_approval_hook(hook: ApprovalHook) -> ApprovalHook:
    """Call ``hook(reports)`` whenever reports are approved (idempotent: once per hook)."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)
    return hook


def reports_approved(reports: Sequence[UsageReport]) -> None:
    """Run every registered hook on ``reports``, just approved and saved (none: nothing runs)."""
    if not reports:
        return
    for hook in _HOOKS:
        hook(reports)
