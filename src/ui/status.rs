//! The pages of an HTTP status: access denied (403) and not found (404).

use super::set_http_status;
use leptos::prelude::*;
use leptos_meta::Title;

/// Shown (with HTTP 403) when a signed-in user opens a page their groups do not allow — or
/// whose groups could not be confirmed just now (`unconfirmed`: never the old ones).
#[component]
pub fn Forbidden(#[prop(optional)] unconfirmed: bool) -> impl IntoView {
    let why = if unconfirmed {
        "We could not confirm your access just now: the sign-in service did not answer. Nothing is wrong with your account; please try again in a minute."
    } else {
        "Your account does not have access to this page. If you think it should, ask an administrator to add you to the right group."
    };
    view! {
        <Title text="Access denied"/>
        <section class="card">
            <h1>"Access denied"</h1>
            <p data-testid="forbidden-why">{why}</p>
            <p><a href="/dashboard">"Back to your dashboard"</a></p>
        </section>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_http_status(404);
    view! {
        <Title text="Page not found"/>
        <section class="card">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. Check the link, or start again from the home page."</p>
            <p><a href="/">"Go to the home page"</a></p>
        </section>
    }
}
