//! Authentication events as a table, newest first (the dashboard's own activity, the audit log).

use super::TableWrap;
use crate::model::EventRow;
use leptos::prelude::*;

/// Events as a table (newest first).
#[component]
pub fn EventTable(rows: Vec<EventRow>, show_user: bool, testid: &'static str) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted" data-testid=format!("{testid}-empty")>"No activity recorded yet."</p> }.into_any();
    }
    let label = if show_user {
        "Events table"
    } else {
        "Activity table"
    };
    view! {
        <TableWrap label>
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
        </TableWrap>
    }.into_any()
}
