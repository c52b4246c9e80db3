use super::Gate;
use crate::access::Area;
use crate::model::UserView;
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
    view! {
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
        </section>
    }
}
