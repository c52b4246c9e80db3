//! `/admin/audit` (group `admins`): authentication events filtered by account, kind and date
//! range, newest first, with the CSV of everything that matches.

use crate::access::Area;
use crate::model::{ApiError, EventRow};
use crate::support::urlencode;
use crate::ui::events::EventTable;
use crate::ui::shown::{shown, Shown};
use crate::ui::{Gate, SubmitButton};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// `/admin/audit`: events matching the filters, newest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditData {
    pub from: String,
    pub to: String,
    pub user: String,
    pub kind: String,
    pub range_error: Option<String>,
    /// (kind id, label) for the filter's options.
    pub kinds: Vec<(String, String)>,
    pub rows: Vec<EventRow>,
    /// More events matched than the page shows (the CSV has more).
    pub truncated: bool,
    /// More events matched than one read returns: the newest are shown and exported.
    pub capped: bool,
    /// Events this server could not queue since it started: sign-in attempts and sign-outs,
    /// and admin or security events (their own queue: this should stay 0).
    pub dropped: (u64, u64),
    /// The export is an admin action: `None` when the admin confirmed password and code
    /// recently enough, else the step-up page to go through first.
    pub step_up: Option<String>,
}

/// Rows the audit page shows (the CSV export has every matching event).
pub const AUDIT_PAGE_ROWS: usize = 200;

/// `/admin/audit` (admins): events filtered by user, kind and date range.
#[server(endpoint = "audit_data")]
pub async fn load_audit(
    user: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<AuditData, ApiError> {
    use self::ssr::*;
    let admin = require(Area::Admin).await?;
    let state = app_state()?;
    let (range, range_error, user, kind_filter) = report::audit_filters(
        (state.svc.clock)(),
        user.as_deref(),
        kind.as_deref(),
        from.as_deref(),
        to.as_deref(),
    );
    let owner = record::audit_owner(&state, &user).await;
    let read = state
        .svc
        .event_store
        .audit(range.bounds_ms(), owner.as_ref(), kind_filter)
        .await
        .map_err(|e| unavailable("audit log", e))?;
    let events = read.events;
    let page = format!(
        "/admin/audit?user={}&kind={}&from={}&to={}",
        urlencode(&user),
        urlencode(kind.as_deref().unwrap_or_default()),
        urlencode(&report::format_day(range.from)),
        urlencode(&report::format_day(range.to))
    );
    Ok(AuditData {
        from: report::format_day(range.from),
        to: report::format_day(range.to),
        user,
        kind: kind_filter
            .map(|k| k.as_str().to_string())
            .unwrap_or_default(),
        range_error,
        kinds: EventKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), k.label().to_string()))
            .collect(),
        truncated: events.len() > AUDIT_PAGE_ROWS,
        capped: read.capped,
        step_up: step_up_needed(&state, &admin, &page),
        dropped: {
            let stats = state.svc.events.stats();
            (
                stats.dropped.load(Ordering::Relaxed),
                stats.dropped_priority.load(Ordering::Relaxed),
            )
        },
        rows: events
            .iter()
            .take(AUDIT_PAGE_ROWS)
            .map(report::row)
            .collect(),
    })
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::access::Area;
    pub use crate::events::report;
    pub use crate::events::EventKind;
    pub use crate::server::record;
    pub use crate::server::request::{app_state, require, step_up_needed, unavailable};
    pub use std::sync::atomic::Ordering;
}

/// The filter form's values (sent with the page: the form is live; `rows` left empty) and the
/// events (shown once: in the page's HTML only, see [`Shown`]).
type AuditResource = Resource<Result<(AuditData, Shown<AuditData>), ApiError>>;

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    // Made once for the page, not in the gate's view (see the dashboard).
    let data: AuditResource = Resource::new_blocking(
        move || query.with(|q| (q.get("user"), q.get("kind"), q.get("from"), q.get("to"))),
        |(user, kind, from, to)| async move {
            load_audit(user, kind, from, to).await.map(|mut d| {
                let rows = std::mem::take(&mut d.rows);
                let shown = AuditData { rows, ..d.clone() };
                (d, shown.into())
            })
        },
    );
    view! {
        <Title text="Audit log"/>
        <Gate area=Area::Admin children=move |_user| view! { <Audit data/> }/>
    }
}

#[component]
fn Audit(data: AuditResource) -> impl IntoView {
    let (loading, set_loading) = signal(false);
    // Made here, outlasting the views the Transition swaps (a conversion at the button would
    // belong to the old view, disposed while it is still shown); busy only in the browser (the
    // server renders while the data is pending, and must send the button at rest).
    let loading = Signal::derive(move || cfg!(feature = "hydrate") && loading.get());
    view! {
        <section class="card wide">
            <p class="breadcrumb"><a href="/admin">"Admin"</a> " / Audit log"</p>
            <h1>"Audit log"</h1>
            // A Transition: a new range keeps the page (and its form, whose button says it is
            // busy) until the new figures arrive.
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> } set_pending=set_loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <div class="alert" role="alert">{e.to_string()}</div> }.into_any(),
                        Ok((d, events)) => {
                            let csv = format!(
                                "/admin/audit.csv?user={}&kind={}&from={}&to={}",
                                urlencode(&d.user), urlencode(&d.kind), urlencode(&d.from), urlencode(&d.to)
                            );
                            let selected = d.kind.clone();
                            let (user, from, to, kinds) = (d.user.clone(), d.from.clone(), d.to.clone(), d.kinds.clone());
                            view! {
                                <div>
                                    <Form method="GET" action="/admin/audit" attr:class="filters">
                                        <div class="field">
                                            <label for="user">"Account (email)"</label>
                                            <input id="user" name="user" type="search" value=user.clone() autocomplete="off"/>
                                        </div>
                                        <div class="field">
                                            <label for="kind">"Event"</label>
                                            <select id="kind" name="kind">
                                                <option value="" selected=selected.is_empty()>"All events"</option>
                                                {kinds.iter().map(|(id, label)| view! {
                                                    <option value=id.clone() selected=*id == selected>{label.clone()}</option>
                                                }).collect_view()}
                                            </select>
                                        </div>
                                        <div class="field">
                                            <label for="from">"From"</label>
                                            <input id="from" name="from" type="date" value=from.clone() required/>
                                        </div>
                                        <div class="field">
                                            <label for="to">"To"</label>
                                            <input id="to" name="to" type="date" value=to.clone() required/>
                                        </div>
                                        <SubmitButton label="Filter" busy="Filtering…" pending=loading/>
                                        {match d.step_up.clone() {
                                            None => view! {
                                                // Not `download` but a plain navigation (rel=external: past the client-side
                                                // router) to an attachment: should the confirmation expire before the click,
                                                // the export's redirect to /admin/confirm is then a page, not a saved file.
                                                <a class="button secondary" href=csv rel="external" data-testid="audit-csv">"Download CSV"</a>
                                            }.into_any(),
                                            // An admin action: confirm first, then come back here.
                                            Some(confirm) => view! {
                                                <a class="button secondary" href=confirm data-testid="audit-csv">"Download CSV (confirm it is you first)"</a>
                                            }.into_any(),
                                        }}
                                    </Form>
                                    {d.range_error.clone().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                                    {shown(events, events_view)}
                                </div>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// The matching events: plain markup (see [`shown`]).
fn events_view(d: AuditData) -> impl IntoView {
    let summary = format!(
        "{} events, newest first ({} to {}, UTC).",
        d.rows.len(),
        d.from,
        d.to
    );
    view! {
        <p class="muted" data-testid="audit-count">
            {summary}
            {(d.truncated && !d.capped).then_some(" Only the newest are shown; the CSV has them all.")}
            {d.capped.then_some(" More events match than one read returns (20,000): the page and the CSV hold the newest of them. Narrow the filters to see the rest.")}
        </p>
        {(d.dropped != (0, 0)).then(|| view! {
            <p class="notice" role="status" data-testid="events-dropped">
                {format!(
                    "This server could not record {} sign-in or sign-out events and {} admin or security events since it started (its event queue was full).",
                    d.dropped.0, d.dropped.1
                )}
            </p>
        })}
        <EventTable rows=d.rows show_user=true testid="audit-table"/>
    }
}
