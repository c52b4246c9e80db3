//! The HTML shell, the router with every page (one `<Route>` per feature page), the session
//! every page reads, and the header shared by all pages.

use crate::access::{is_sign_in_page, Area};
use crate::features::{
    account::{mfa::MfaPage, password::ChangePasswordPage, AccountPage},
    admin::AdminPage,
    admin_mfa::ResetMfaPage,
    audit::AuditPage,
    challenge::{MfaChallengePage, NewPasswordPage},
    dashboard::DashboardPage,
    home::HomePage,
    lockouts::LockoutsPage,
    recovery::{ForgotPage, ResetPage},
    reports::ReportsPage,
    session::{get_session_info, SignOut},
    signin::LoginPage,
    signup::{ConfirmPage, SignupPage},
    stepup::StepUpPage,
};
use crate::model::{SessionInfo, UserView};
use crate::ui::arrival::Arrival;
use crate::ui::status::{Forbidden, NotFound};
use crate::ui::{
    app_name, use_session, PictureVersion, RouteAnnouncer, SessionResource, SubmitButton,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    hooks::use_location,
    path, SsrMode,
};

/// The document around the app, rendered on the server only. `head` names the build's files
/// (see `server::assets::HeadTags`), with this page's nonce.
#[cfg(feature = "ssr")]
pub fn shell(
    options: LeptosOptions,
    head: std::sync::Arc<crate::server::assets::HeadTags>,
) -> impl IntoView {
    use leptos_meta::MetaTags;
    crate::server::request::set_content_security_policy();
    // Leptos provides every page's nonce (leptos_axum); without one the tags keep an empty one.
    let nonce = leptos::nonce::use_nonce();
    let files = leptos::tachys::html::InertElement::new(
        head.for_page(nonce.as_deref().unwrap_or_default()),
    );
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <meta name="application-name" content=app_name()/>
                <link rel="icon" href="/favicon.ico" sizes="32x32"/>
                // `make dev` only (cargo leptos watch sets LEPTOS_WATCH): reload on rebuild.
                <AutoReload options/>
                // The build's hashed names (hash.txt beside the binary; checked at start-up).
                {files}
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let name = app_name();
    let (title_name, brand, footer) = (name.clone(), name.clone(), name);
    view! {
        <Title formatter=move |page: String| if page.is_empty() { title_name.clone() } else { format!("{page} · {title_name}") }/>
        <Router>
            <SessionScope>
                <a class="skip-link" href="#main">"Skip to content"</a>
                <RouteAnnouncer/>
                <Header brand/>
                <main id="main" tabindex="-1">
                    // Every page renders completely on the server before it is sent (no streamed
                    // fallbacks that only JavaScript could replace): forms must work without it.
                    <Routes fallback=NotFound>
                        <Route path=path!("") view=HomePage ssr=SsrMode::Async/>
                        <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                        <Route path=path!("/login/mfa") view=MfaChallengePage ssr=SsrMode::Async/>
                        <Route path=path!("/login/new-password") view=NewPasswordPage ssr=SsrMode::Async/>
                        <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async/>
                        <Route path=path!("/confirm") view=ConfirmPage ssr=SsrMode::Async/>
                        <Route path=path!("/forgot") view=ForgotPage ssr=SsrMode::Async/>
                        <Route path=path!("/reset") view=ResetPage ssr=SsrMode::Async/>
                        <Route path=path!("/dashboard") view=DashboardPage ssr=SsrMode::Async/>
                        <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                        <Route path=path!("/account/password") view=ChangePasswordPage ssr=SsrMode::Async/>
                        <Route path=path!("/account/mfa") view=MfaPage ssr=SsrMode::Async/>
                        <Route path=path!("/reports") view=ReportsPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin") view=AdminPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/lockouts") view=LockoutsPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/reset-mfa") view=ResetMfaPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/audit") view=AuditPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/confirm") view=StepUpPage ssr=SsrMode::Async/>
                        <Route path=path!("/forbidden") view=|| view! { <Forbidden/> } ssr=SsrMode::Async/>
                    </Routes>
                </main>
                <footer class="site-footer">
                    <p>{footer}" — sign-in by Amazon Cognito, sessions kept on the server."</p>
                </footer>
            </SessionScope>
        </Router>
    }
}

/// Provides the session resource to everything inside the router.
#[component]
fn SessionScope(children: Children) -> impl IntoView {
    let location = use_location();
    // Keyed on the path so that a navigation to another page re-reads it. Not on the query:
    // a page's own filters (a report's dates) keep the page, its form and the form's busy
    // state while only its data reloads. A sign-in that lands in the page hands its new
    // session over instead ([`Arrival`]); sign-out and every server-function redirect are
    // full navigations (see `hydrate` in lib.rs).
    let arrival = Arrival::provide();
    let info: SessionResource = Resource::new_blocking(
        move || location.pathname.get(),
        move |path| async move {
            match arrival.take_session() {
                Some(info) => Ok(info),
                // The sign-in page is the one that shows why a session ended.
                None => get_session_info(is_sign_in_page(&path)).await,
            }
        },
    );
    provide_context(info);
    provide_context(PictureVersion::default());
    children()
}

#[component]
fn Header(brand: String) -> impl IntoView {
    let info = use_session();
    view! {
        <header class="site-header">
            <a class="brand" href="/">{brand}</a>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match info.await {
                        Ok(SessionInfo { user: Some(user), csrf, pictures, .. }) => {
                            view! { <SignedInNav user csrf pictures/> }.into_any()
                        }
                        _ => view! {
                            <nav aria-label="Main">
                                <A href="/login">"Sign in"</A>
                            </nav>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </header>
    }
}

#[component]
fn SignedInNav(user: UserView, csrf: String, pictures: bool) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let picture = use_context::<PictureVersion>().unwrap_or_default();
    let reports = Area::Reports.allows(&user.groups);
    let admin = Area::Admin.allows(&user.groups);
    view! {
        <nav aria-label="Main">
            <A href="/dashboard">"Dashboard"</A>
            {reports.then(|| view! { <A href="/reports">"Reports"</A> })}
            {admin.then(|| view! { <A href="/admin">"Admin"</A> })}
            <A href="/account" attr:class="who" attr:title="Your account">
                {pictures.then(|| view! {
                    <img class="avatar" src=move || picture.src() alt="" width="28" height="28"
                        data-testid="header-picture"/>
                })}
                {user.email}
            </A>
            <ActionForm action=sign_out attr:class="inline">
                <input type="hidden" name="csrf" value=csrf/>
                <SubmitButton label="Sign out" busy="Signing out…" pending=sign_out.pending() class="link-button"/>
            </ActionForm>
        </nav>
    }
}
