"""Complete-community audit: coverage per community and kind, verdicts and gaps."""

from wanzheng.audit.result import KIND_STATUSES, VERDICTS, AuditResult, KindStatus, Verdict

__all__ = ["KIND_STATUSES", "VERDICTS", "AuditResult", "KindStatus", "Verdict"]
