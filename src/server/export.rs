//! CSV downloads: `/reports/events.csv` (analysts, admins) and `/admin/audit.csv` (admins).
//! Plain GET links (no state changes), checked here as well as by the page guard: the guard
//! only redirects anonymous visitors, the handler refuses anyone outside the groups.

use super::error::error_page;
use super::request::{handler_user, step_up_needed};
use super::state::AppState;
use crate::access::Area;
use crate::auth::session::keys::TypedSession;
use crate::events::report;
use crate::events::store::Order;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    from: Option<String>,
    to: Option<String>,
    user: Option<String>,
    kind: Option<String>,
}

fn csv_response(name: String, body: String, capped: bool) -> Response {
    (
        [
            // Set when the range held more events than one read returns.
            (
                header::HeaderName::from_static("x-gatehouse-capped"),
                capped.to_string(),
            ),
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

fn bad_range(message: String) -> Response {
    error_page(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Check the dates",
        &message,
    )
}

fn store_down(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "export failed: events table unavailable");
    error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "The events table is temporarily unavailable. Please try again in a moment.",
    )
}

/// Every event in the report's date range, oldest first. Analysts get when, what and how;
/// admins the full rows (the same as the audit log).
pub async fn reports_csv(
    State(state): State<AppState>,
    session: TypedSession,
    Query(f): Query<Filters>,
) -> Response {
    let groups = match handler_user(&state, &session, Area::Reports).await {
        Ok(user) => user.groups,
        Err(refused) => return refused,
    };
    let today = report::today((state.svc.clock)());
    let (range, error) = report::parse_range(
        f.from.as_deref(),
        f.to.as_deref(),
        today,
        report::DEFAULT_RANGE_DAYS,
    );
    if let Some(message) = error {
        return bad_range(message);
    }
    let (start, end) = range.bounds_ms();
    match state
        .svc
        .event_store
        .in_range(start, end, Order::OldestFirst, None)
        .await
    {
        Ok(read) => {
            let body = if Area::Admin.allows(&groups) {
                report::csv(&read.events)
            } else {
                report::csv_anonymous(&read.events)
            };
            csv_response(
                format!(
                    "gatehouse-events-{}-to-{}.csv",
                    report::format_day(range.from),
                    report::format_day(range.to)
                ),
                body,
                read.capped,
            )
        }
        Err(e) => store_down(e),
    }
}

/// The audit log with the page's filters, newest first.
/// An admin action: without a recent step-up, the admin confirms first and comes back to
/// the audit page with the same filters.
pub async fn audit_csv(
    State(state): State<AppState>,
    session: TypedSession,
    Query(f): Query<Filters>,
    uri: Uri,
) -> Response {
    let admin = match handler_user(&state, &session, Area::Admin).await {
        Ok(admin) => admin,
        Err(refused) => return refused,
    };
    let page = match uri.query() {
        Some(q) => format!("/admin/audit?{q}"),
        None => "/admin/audit".to_string(),
    };
    if let Some(to) = step_up_needed(&state, &admin, &page) {
        return Redirect::to(&to).into_response();
    }
    let admin = admin.email;
    let (range, error, user, kind) = report::audit_filters(
        (state.svc.clock)(),
        f.user.as_deref(),
        f.kind.as_deref(),
        f.from.as_deref(),
        f.to.as_deref(),
    );
    if let Some(message) = error {
        return bad_range(message);
    }
    let owner = super::record::audit_owner(&state, &user).await;
    match state
        .svc
        .event_store
        .audit(range.bounds_ms(), owner.as_ref(), kind)
        .await
    {
        Ok(read) => {
            tracing::info!(admin = %admin, rows = read.events.len(), capped = read.capped, "audit log exported");
            csv_response(
                format!(
                    "gatehouse-audit-{}-to-{}.csv",
                    report::format_day(range.from),
                    report::format_day(range.to)
                ),
                report::csv(&read.events),
                read.capped,
            )
        }
        Err(e) => store_down(e),
    }
}
