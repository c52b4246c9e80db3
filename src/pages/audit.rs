//! `/admin/audit` (group `admins`): authentication events filtered by account, kind and date
//! range, newest first, with the CSV of everything that matches.

use super::dashboard::EventTable;
use super::{urlencode, Gate};
use crate::access::Area;
use crate::api::load_audit;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <Title text="Audit log"/>
        <Gate area=Area::Admin children=|_user| view! { <Audit/> }/>
    }
}

#[component]
fn Audit() -> impl IntoView {
    let query = use_query_map();
    let data = Resource::new_blocking(
        move || query.with(|q| (q.get("user"), q.get("kind"), q.get("from"), q.get("to"))),
        |(user, kind, from, to)| load_audit(user, kind, from, to),
    );
    view! {
        <section class="card wide">
            <p class="breadcrumb"><a href="/admin">"Admin"</a> " / Audit log"</p>
            <h1>"Audit log"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <div class="alert" role="alert">{e.to_string()}</div> }.into_any(),
                        Ok(d) => {
                            let csv = format!(
                                "/admin/audit.csv?user={}&kind={}&from={}&to={}",
                                urlencode(&d.user), urlencode(&d.kind), urlencode(&d.from), urlencode(&d.to)
                            );
                            let selected = d.kind.clone();
                            let (user, from, to, kinds) = (d.user.clone(), d.from.clone(), d.to.clone(), d.kinds.clone());
                            let summary = format!("{} events, newest first ({} to {}, UTC).", d.rows.len(), d.from, d.to);
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
                                        <button type="submit" class="button">"Filter"</button>
                                        <a class="button secondary" href=csv download data-testid="audit-csv">"Download CSV"</a>
                                    </Form>
                                    {d.range_error.clone().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                                    <p class="muted" data-testid="audit-count">
                                        {summary}
                                        {(d.truncated && !d.capped).then_some(" Only the newest are shown; the CSV has them all.")}
                                        {d.capped.then_some(" More events match than one read returns (20,000): the page and the CSV hold the newest of them. Narrow the filters to see the rest.")}
                                    </p>
                                    <EventTable rows=d.rows show_user=true testid="audit-table"/>
                                </div>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}
