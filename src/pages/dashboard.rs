//! `/dashboard` (any signed-in user): who they are, and their own recent sign-in activity.

use super::charts::Chart;
use super::Gate;
use crate::access::Area;
use crate::api::load_dashboard;
use crate::model::{EventRow, UserView};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Title text="Dashboard"/>
        <Gate area=Area::Dashboard children=|user: UserView| view! { <Dashboard user/> }/>
    }
}

#[component]
fn Dashboard(user: UserView) -> impl IntoView {
    let groups = user.groups.clone();
    let activity = Resource::new_blocking(|| (), |_| load_dashboard());
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
                            Ok(d) => match d.activity_error {
                                Some(message) => view! {
                                    <div class="alert" role="alert" data-testid="activity-error">{message}</div>
                                }.into_any(),
                                None => view! {
                                    <div>
                                        <Chart chart=d.chart id="chart-mine"/>
                                        <EventTable rows=d.recent show_user=false testid="my-activity"/>
                                    </div>
                                }.into_any(),
                            },
                        }
                    })}
                </Suspense>
            </section>
        </div>
    }
}

/// Events as a table (newest first).
#[component]
pub fn EventTable(rows: Vec<EventRow>, show_user: bool, testid: &'static str) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted" data-testid=format!("{testid}-empty")>"No activity recorded yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="data" data-testid=testid>
                <thead>
                    <tr>
                        <th scope="col">"When (UTC)"</th>
                        <th scope="col">"Event"</th>
                        {show_user.then(|| view! { <th scope="col">"Account"</th> })}
                        <th scope="col">"Method"</th>
                        <th scope="col">"Network"</th>
                        <th scope="col">"Browser"</th>
                        {show_user.then(|| view! { <th scope="col">"By admin"</th> })}
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|r| {
                        let label = match &r.detail {
                            Some(d) => format!("{} ({d})", r.label),
                            None => r.label.clone(),
                        };
                        view! {
                            <tr data-kind=r.kind.clone() data-user=r.user.clone()>
                                <td>{r.at.clone()}</td>
                                <td class=format!("event {}", r.kind)>{label}</td>
                                {show_user.then(|| view! { <td>{r.user.clone()}</td> })}
                                <td>{r.method.clone().unwrap_or_default()}</td>
                                <td>{r.ip.clone().unwrap_or_default()}</td>
                                <td class="ua">{r.user_agent.clone().unwrap_or_default()}</td>
                                {show_user.then(|| view! { <td>{r.actor.clone().unwrap_or_default()}</td> })}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}
