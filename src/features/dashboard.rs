//! `/dashboard` (any signed-in user): who they are, and their own recent sign-in activity.

use crate::access::Area;
use crate::model::{ApiError, BarChart, EventRow, UserView};
use crate::ui::arrival::use_arrival;
use crate::ui::charts::Chart;
use crate::ui::events::EventTable;
use crate::ui::shown::{shown, Shown};
use crate::ui::Gate;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// `/dashboard`: the signed-in user's account and their own recent sign-in activity.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DashboardData {
    pub user: UserView,
    /// Newest first.
    pub recent: Vec<EventRow>,
    /// Their sign-ins per day over the days they prefer (two weeks unless they chose).
    pub chart: BarChart,
    /// Set when the activity could not be read (the rest of the page still shows).
    pub activity_error: Option<String>,
}

/// `/dashboard`: the user's account and their own recent sign-in activity.
#[server(endpoint = "dashboard_data")]
pub async fn load_dashboard() -> Result<DashboardData, ApiError> {
    self::ssr::dashboard(None).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::DashboardData;
    use crate::access::Area;
    use crate::events::report::{self, DayRange};
    use crate::events::store::{EventStore, EventStoreError, Owner};
    use crate::events::{keys, AuthEvent};
    use crate::model::ApiError;
    use crate::server::aws_access::preferences_of;
    use crate::server::record::owner_of;
    use crate::server::request::{app_state, require_in, user_view};
    use crate::server::state::Activity;

    /// The rows the dashboard shows.
    const RECENT: usize = 10;

    /// The dashboard's data; with `own`, as it will be once that event of the signed-in user
    /// (not yet handed to the writer) is written: a sign-in's landing is read before its own
    /// event is queued, and shows it from here, so that it neither waits for the write nor
    /// counts it twice.
    ///
    /// The activity comes from a cache keyed on [`crate::events::sink::EventSink::written_about`]:
    /// once this instance has written events about the person, it is read again.
    pub async fn dashboard(own: Option<&AuthEvent>) -> Result<DashboardData, ApiError> {
        let (mut user, session) = require_in(Area::Dashboard).await?;
        let state = app_state()?;
        let days = preferences_of(&state, &session, &mut user)
            .await
            .dashboard_days;
        // Their account's events (by `sub`, whatever their address was) and the attempts on
        // the address they have now.
        let owner = owner_of(&user);
        let today = report::today((state.svc.clock)());
        let range = DayRange::last(days as i64, today);
        let store = &state.svc.event_store;
        let cache_key = format!(
            "{}|{}|{}|{days}|{}",
            user.sub,
            owner.address,
            report::format_day(today),
            state.svc.events.written_about(&owner)
        );
        let load = {
            let (store, owner) = (store.clone(), owner.clone());
            move || async move { read_activity(&store, &owner, range).await }
        };
        let activity = state.svc.activity.get_or_refresh(cache_key, load).await;
        let mut data = DashboardData {
            user: user_view(&user),
            ..Default::default()
        };
        match activity {
            Ok((mut recent, mut chart)) => {
                if let Some(event) =
                    own.filter(|e| owner.partitions().contains(&keys::partition_of(e)))
                {
                    report::with_event(&mut recent, &mut chart, event, range, RECENT);
                }
                data.recent = recent;
                data.chart = chart;
            }
            Err(e) => {
                // The account summary still shows; the activity says why it is missing.
                tracing::error!(error = %e, "dashboard activity unavailable");
                data.activity_error = Some(EVENTS_UNAVAILABLE.into());
                data.chart = report::daily_sign_ins(&[], range);
            }
        }
        Ok(data)
    }

    /// What the dashboard shows of a person's activity, read from the store: ten events and
    /// at most two count items per day of the range — the same cost for a person with ten
    /// events as for one with ten thousand.
    async fn read_activity(
        store: &EventStore,
        owner: &Owner,
        range: DayRange,
    ) -> Result<Activity, EventStoreError> {
        let (from, to) = (report::format_day(range.from), report::format_day(range.to));
        let (recent, counts) = tokio::join!(
            store.for_user(owner, RECENT as i32),
            store.counts_for(owner, (&from, &to))
        );
        Ok((
            recent?.iter().map(report::row).collect(),
            report::daily_sign_ins(&counts?, range),
        ))
    }

    const EVENTS_UNAVAILABLE: &str =
        "Activity data is temporarily unavailable. Please try again in a moment.";
}

/// The activity, shown once (in the page's HTML; see [`Shown`]).
type ActivityResource = Resource<Result<Shown<DashboardData>, ApiError>>;

#[component]
pub fn DashboardPage() -> impl IntoView {
    // Made once for the page, not in the gate's view (which the server may render more than
    // once, each time with a resource of its own, all serialized into the page), and fetched
    // beside the session instead of after it.
    // A sign-in that lands here has brought the data along (see `ui::arrival`).
    let arrival = use_arrival();
    let activity: ActivityResource = Resource::new_blocking(
        || (),
        move |_| async move {
            match arrival.and_then(|a| a.take_page::<DashboardData>()) {
                Some(data) => Ok(Shown::from(data)),
                None => load_dashboard().await.map(Shown::from),
            }
        },
    );
    view! {
        <Title text="Dashboard"/>
        <Gate area=Area::Dashboard children=move |user: UserView| view! { <Dashboard user activity/> }/>
    }
}

#[component]
fn Dashboard(user: UserView, activity: ActivityResource) -> impl IntoView {
    let groups = user.groups.clone();
    view! {
        <div class="stack">
            <section class="card">
                <h1>"Dashboard"</h1>
                <dl class="facts">
                    <dt>"Signed in as"</dt>
                    <dd data-testid="user-email">{user.email.clone()}</dd>
                    <dt>"Groups"</dt>
                    <dd data-testid="user-groups">
                        {if groups.is_empty() {
                            view! { <span class="muted">"No groups"</span> }.into_any()
                        } else {
                            view! {
                                <ul class="tags">
                                    {groups.into_iter().map(|g| view! { <li>{g}</li> }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    </dd>
                    <dt>"Signed in with"</dt>
                    <dd data-testid="sign-in-method">{user.method.clone()}</dd>
                    {user.provider.clone().map(|p| view! {
                        <dt>"Account from"</dt>
                        <dd data-testid="identity-provider">{p}</dd>
                    })}
                </dl>
                <p><a href="/account">"Account settings"</a></p>
            </section>
            <section class="card" aria-labelledby="activity-heading">
                <h2 id="activity-heading">"Your recent activity"</h2>
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match activity.await {
                            Err(e) => view! { <div class="alert" role="alert">{e.to_string()}</div> }.into_any(),
                            Ok(d) => shown(d, |d| match d.activity_error {
                                Some(message) => view! {
                                    <div class="alert" role="alert" data-testid="activity-error">{message}</div>
                                }.into_any(),
                                None => view! {
                                    <Chart chart=d.chart id="chart-mine"/>
                                    <EventTable rows=d.recent show_user=false testid="my-activity"/>
                                }.into_any(),
                            }).into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </div>
    }
}
