//! `/reports` (groups `analysts`, `admins`): sign-in charts over a date range, server-rendered
//! SVG, and the CSV of the underlying events.

use crate::access::Area;
use crate::model::{ApiError, BarChart};
use crate::support::urlencode;
use crate::ui::charts::Chart;
use crate::ui::shown::{shown, Shown};
use crate::ui::{Gate, SubmitButton};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// `/reports` (groups `analysts`, `admins`): charts over a date range.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportsData {
    /// The range shown, as `YYYY-MM-DD` (inclusive, UTC).
    pub from: String,
    pub to: String,
    /// A message about the requested range (bad date, too long), shown next to the form.
    pub range_error: Option<String>,
    pub hourly: BarChart,
    pub daily: BarChart,
    /// Successful sign-ins by method: (method, count).
    pub methods: Vec<(String, u32)>,
    pub total_events: u32,
}

/// `/reports` (groups `analysts` or `admins`): charts over a date range (`YYYY-MM-DD`).
#[server(endpoint = "reports_data")]
pub async fn load_reports(
    from: Option<String>,
    to: Option<String>,
) -> Result<ReportsData, ApiError> {
    use self::ssr::*;
    let (mut user, session) = require_in(Area::Reports).await?;
    let state = app_state()?;
    let today = report::today((state.svc.clock)());
    // With no range asked for, the user's preferred length.
    let asked = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    let default_days = if asked(&from) || asked(&to) {
        report::DEFAULT_RANGE_DAYS
    } else {
        preferences_of(&state, &session, &mut user)
            .await
            .reports_days as i64
    };
    let (range, range_error) =
        report::parse_range(from.as_deref(), to.as_deref(), today, default_days);
    let (from, to) = (report::format_day(range.from), report::format_day(range.to));
    let counts = state
        .svc
        .event_store
        .counts_all((&from, &to))
        .await
        .map_err(|e| unavailable("reports", e))?;
    let summary = report::sign_in_summary(&counts, range);
    Ok(ReportsData {
        from,
        to,
        range_error,
        hourly: summary.hourly,
        daily: summary.daily,
        methods: summary.methods,
        total_events: summary.total_events,
    })
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::access::Area;
    pub use crate::events::report;
    pub use crate::server::aws_access::preferences_of;
    pub use crate::server::request::{app_state, require_in, unavailable};
}

/// The range the page shows (the filter form's values, sent with the page: the form is live)
/// and its figures (shown once: in the page's HTML only, see [`Shown`]).
type ReportsResource = Resource<Result<(ReportRange, Shown<ReportsData>), ApiError>>;

/// The filter form's values: from, to, and why the range asked for was not taken.
type ReportRange = (String, String, Option<String>);

#[component]
pub fn ReportsPage() -> impl IntoView {
    let query = use_query_map();
    // Made once for the page, not in the gate's view (see the dashboard).
    let data: ReportsResource = Resource::new_blocking(
        move || query.with(|q| (q.get("from"), q.get("to"))),
        |(from, to)| async move {
            load_reports(from, to).await.map(|d| {
                (
                    (d.from.clone(), d.to.clone(), d.range_error.clone()),
                    d.into(),
                )
            })
        },
    );
    view! {
        <Title text="Reports"/>
        <Gate area=Area::Reports children=move |_user| view! { <Reports data/> }/>
    }
}

#[component]
fn Reports(data: ReportsResource) -> impl IntoView {
    let (loading, set_loading) = signal(false);
    // Made here, outlasting the views the Transition swaps (a conversion at the button would
    // belong to the old view, disposed while it is still shown); busy only in the browser (the
    // server renders while the data is pending, and must send the button at rest).
    let loading = Signal::derive(move || cfg!(feature = "hydrate") && loading.get());
    view! {
        <section class="card wide">
            <h1>"Reports"</h1>
            // A Transition: a new range keeps the page (and its form, whose button says it is
            // busy) until the new figures arrive.
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> } set_pending=set_loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <div class="alert" role="alert">{e.to_string()}</div> }.into_any(),
                        Ok(((from, to, range_error), figures)) => {
                            let csv = format!("/reports/events.csv?from={}&to={}", urlencode(&from), urlencode(&to));
                            let invalid = range_error.is_some().then_some("true");
                            let described = range_error.is_some().then_some("range-error");
                            view! {
                                <div>
                                    <Form method="GET" action="/reports" attr:class="filters">
                                        <div class="field">
                                            <label for="from">"From"</label>
                                            <input id="from" name="from" type="date" value=from required
                                                aria-invalid=invalid aria-describedby=described/>
                                        </div>
                                        <div class="field">
                                            <label for="to">"To"</label>
                                            <input id="to" name="to" type="date" value=to required/>
                                        </div>
                                        <SubmitButton label="Show" busy="Loading…" pending=loading/>
                                        <a class="button secondary" href=csv rel="external" data-testid="reports-csv">"Download CSV"</a>
                                    </Form>
                                    {range_error.map(|m| view! { <p class="field-error" id="range-error" role="alert">{m}</p> })}
                                    {shown(figures, figures_view)}
                                </div>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// The range's figures: plain markup (see [`shown`]).
fn figures_view(d: ReportsData) -> impl IntoView {
    let methods_total: u32 = d.methods.iter().map(|(_, n)| n).sum();
    view! {
        <p class="muted" data-testid="report-range">
            {format!("{} to {} (UTC): {} events.", d.from, d.to, d.total_events)}
        </p>
        <Chart chart=d.hourly id="chart-hourly"/>
        <Chart chart=d.daily id="chart-daily"/>
        <figure class="chart-figure">
            <figcaption><strong>"Successful sign-ins by method"</strong></figcaption>
            <ul class="hbars" data-testid="method-split">
                {d.methods.into_iter().map(|(name, n)| {
                    let pct = (n * 100).checked_div(methods_total).unwrap_or(0);
                    let key = name.clone();
                    view! {
                        <li data-method=key data-value=n>
                            <span class="hbar-label">{name}</span>
                            <span class="hbar-track"><span class="hbar-fill" style=format!("width: {pct}%")></span></span>
                            <span class="hbar-value">{format!("{n} ({pct}%)")}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </figure>
    }
}
