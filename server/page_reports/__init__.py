"""Page reports: anonymous page-shape reports from the extension when it cannot read a platform's page, and the
admins' views of them (the JSON route, /admin/page-reports, `fairfinder page-reports`); docs/page-reports.md."""
from __future__ import annotations

from server.feature import Feature, paths_of
from server.page_reports.pages import PAGE_REPORT_PAGE_ROUTES, PAGE_REPORTS_TEMPLATE_DIR
from server.page_reports.routes import PageReportAdminController, create_page_report
from server.web.static import WEB_TEMPLATE_DIR

# Anyone may report (an extension need not be signed in): a write, limited per address and per token by its own
# limit (FAIRFINDER_RATE_LIMIT_REPORTS, server/security.py). Not an open path: extensions' origins are allowed
# by CORS as for annotate, web pages' origins are not.
FEATURE = Feature("page_reports", [create_page_report, PageReportAdminController, *PAGE_REPORT_PAGE_ROUTES],
                  template_dirs=(PAGE_REPORTS_TEMPLATE_DIR, WEB_TEMPLATE_DIR), report_paths=paths_of(create_page_report))
