//! `/`: the landing page, with the way in (or on to the dashboard when signed in).

use crate::ui::{app_name, use_session};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    let info = use_session();
    view! {
        <Title text=""/>
        <section class="hero">
            <h1>"Your data, behind a proper front door."</h1>
            <p class="lead">
                {app_name()} " signs you in with your organisation's Amazon Cognito account and shows you the pages your groups allow. "
                "Your session stays on our servers; your browser only holds an opaque cookie."
            </p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let signed_in = info.await.ok().and_then(|i| i.user).is_some();
                    if signed_in {
                        view! { <a class="button" href="/dashboard">"Go to your dashboard"</a> }.into_any()
                    } else {
                        view! { <a class="button" href="/login">"Sign in"</a> }.into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}
