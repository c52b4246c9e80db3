//! Test harness: starts gatehouse on a random port against the local stack (the emulators
//! started by `scripts/stack.sh up`, configured by `.local/stack.env`), zero2prod-style.
#![allow(dead_code)]

use aws_sdk_cognitoidentityprovider as cip;
use gatehouse::config::Config;
use gatehouse::server::state::{aws_sdk_config, cognito_config};
use gatehouse::server::AppState;
use gatehouse::startup::serve;
use gatehouse::support::clock::Clock;
use hmac::{Hmac, Mac};
use reqwest::cookie::{CookieStore, Jar};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tokio::sync::oneshot;

pub const PASSWORD: &str = "Demo-Passw0rd!";
pub const ADMIN: &str = "admin@example.com";
/// The demo admin's authenticator key (seeded; CONTRACTS.md): its sign-in asks for a code.
pub const ADMIN_TOTP_KEY: &str = "GATEHOUSEDEMOADMINKEYTOTPLOCAL23";

/// Seconds since the epoch, real time (the authenticator codes' clock: Cognito's, not the app's).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// The demo admin's current authenticator code.
pub fn admin_code() -> String {
    totp(ADMIN_TOTP_KEY, unix_now())
}
pub const ANALYST: &str = "analyst@example.com";
pub const USER: &str = "user@example.com";

/// `.local/stack.env` (written by the seed step), under the process environment.
pub fn stack_env() -> HashMap<String, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/.local/stack.env");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("{path}: {e}. Start the local stack first: scripts/stack.sh up (make test does)")
    });
    let mut vars: HashMap<String, String> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    // Tests must not pick up a developer's shell overrides for these.
    vars.remove("BIND_ADDR");
    vars.remove("PUBLIC_URL");
    vars
}

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct TestClock(pub Arc<AtomicI64>);

impl TestClock {
    pub fn now_real() -> Self {
        TestClock(Arc::new(AtomicI64::new(
            time::OffsetDateTime::now_utc().unix_timestamp(),
        )))
    }
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
    pub fn clock(&self) -> Clock {
        let inner = self.0.clone();
        Arc::new(move || inner.load(Ordering::SeqCst))
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    pub clock: TestClock,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

#[derive(Clone)]
pub struct Spawn {
    overrides: Vec<(String, String)>,
    jar: Option<Arc<Jar>>,
    clock: Option<TestClock>,
    aws_defaults: bool,
    site: Option<(String, String)>,
}

pub fn spawn() -> Spawn {
    Spawn {
        overrides: Vec::new(),
        jar: None,
        clock: None,
        aws_defaults: false,
        site: None,
    }
}

/// AWS call timeouts for apps under test: a hundred tests at once make the single-threaded
/// stand-ins slow, which must not read as an outage. The shipped defaults (a person waiting:
/// about 3 s) are tested by the outage test, which asks for them with `aws_defaults()`.
const TEST_AWS_TIMEOUTS: [(&str, &str); 2] = [
    ("AWS_ATTEMPT_TIMEOUT_MS", "5000"),
    ("AWS_OPERATION_TIMEOUT_MS", "10000"),
];

/// The stack's settings with the suite's generous AWS call timeouts, for a test that builds
/// its own clients: under the whole suite, a burst of 30 concurrent calls can take longer than
/// the shipped 1 s per attempt, and a timed-out lockout call fails closed.
pub fn test_env() -> HashMap<String, String> {
    let mut vars = stack_env();
    for (k, v) in TEST_AWS_TIMEOUTS {
        vars.insert(k.into(), v.into());
    }
    vars
}

impl Spawn {
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.overrides.push((key.into(), value.into()));
        self
    }
    /// Share a browser-like cookie jar with another app (same host, other port).
    pub fn jar(mut self, jar: Arc<Jar>) -> Self {
        self.jar = Some(jar);
        self
    }
    pub fn clock(mut self, clock: TestClock) -> Self {
        self.clock = Some(clock);
        self
    }
    /// Serve this built site (`site_root`, with `pkg/` inside) and its hash file (an absolute
    /// path) with hashed names on. Without it the tests' apps render the plain names: the
    /// site `cargo leptos build` makes is not there yet when the Rust tests run.
    pub fn site(mut self, site_root: &std::path::Path, hash_file: &std::path::Path) -> Self {
        self.site = Some((
            site_root.to_string_lossy().into_owned(),
            hash_file.to_string_lossy().into_owned(),
        ));
        self
    }
    /// The shipped AWS call timeouts instead of the test suite's generous ones.
    pub fn aws_defaults(mut self) -> Self {
        self.aws_defaults = true;
        self
    }

    /// Two instances with these settings on the same tables, behind one browser (a shared
    /// cookie jar): two servers behind a load balancer.
    pub async fn start_two(self) -> (TestApp, TestApp) {
        let jar = self.jar.clone().unwrap_or_default();
        let this = self.jar(jar);
        let first = this.clone().start().await;
        (first, this.start().await)
    }

    pub async fn start(self) -> TestApp {
        // `TEST_LOG=1 cargo test …` shows the server's logs.
        if std::env::var_os("TEST_LOG").is_some() {
            gatehouse::server::telemetry::init();
        }
        let mut vars = if self.aws_defaults {
            stack_env()
        } else {
            test_env()
        };
        for (k, v) in self.overrides {
            vars.insert(k, v);
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a random port");
        let port = listener.local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        vars.insert("BIND_ADDR".into(), format!("127.0.0.1:{port}"));
        let public_url = vars
            .get("PUBLIC_URL")
            .cloned()
            .unwrap_or_else(|| base.clone());
        vars.insert("PUBLIC_URL".into(), public_url);
        let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("test config");
        let mut leptos = leptos::config::get_configuration(Some(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/Leptos.toml"
        )))
        .expect("Leptos.toml")
        .leptos_options;
        match self.site {
            Some((root, hash_file)) => {
                leptos.site_root = root.into();
                leptos.hash_file = hash_file.into();
                leptos.hash_files = true;
            }
            None => leptos.hash_files = false,
        }
        let clock = self.clock.unwrap_or_else(TestClock::now_real);
        let state = AppState::build_with_clock(config, leptos, clock.clock()).await;
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn({
            let state = state.clone();
            async move {
                let _ = serve(listener, state, async {
                    let _ = stopped.await;
                })
                .await;
            }
        });
        let jar = self.jar.unwrap_or_default();
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .user_agent("gatehouse-tests/1.0")
            .redirect(reqwest::redirect::Policy::none())
            // A stalled server fails the test here instead of hanging the whole run.
            .timeout(std::time::Duration::from_secs(45))
            .build()
            .unwrap();
        TestApp {
            base,
            client,
            jar,
            clock,
            state,
            stop: Some(stop),
            handle: Some(handle),
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Stops the server and waits until it has stopped.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        let url: reqwest::Url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .expect("GET")
    }

    /// A page as the browser gets it: its status and its body.
    pub async fn page(&self, path: &str) -> (reqwest::StatusCode, String) {
        let res = self.get(path).await;
        let status = res.status();
        (status, res.text().await.expect("page body"))
    }

    /// The body of a page (whatever its status).
    pub async fn html(&self, path: &str) -> String {
        self.page(path).await.1
    }

    /// The CSRF token from the login page's form (and the cookie it belongs to, in the jar).
    pub async fn csrf(&self) -> String {
        let html = self.html("/login").await;
        extract_input(&html, "csrf").expect("login form has a csrf field")
    }

    /// A plain HTML form post (no JavaScript) to a server function.
    pub async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        referer: &str,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("accept", "text/html,application/xhtml+xml")
            .header("referer", self.url(referer))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// Signs in through the plain form and returns the response (a redirect when it worked).
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        next: Option<&str>,
    ) -> reqwest::Response {
        let csrf = self.csrf().await;
        let mut form = vec![
            ("email", email),
            ("password", password),
            ("csrf", csrf.as_str()),
        ];
        if let Some(n) = next {
            form.push(("next", n));
        }
        let res = self.post_form("/api/sign_in", &form, "/login").await;
        // The demo admin has two-step verification on: answer the code step too.
        if email == ADMIN && location(&res).as_deref() == Some("/login/mfa") {
            return self.answer_code(&admin_code()).await;
        }
        res
    }

    /// Answers the code step of a sign-in (`/login/mfa`) through the plain form.
    pub async fn answer_code(&self, code: &str) -> reqwest::Response {
        let csrf = page_csrf(self, "/login/mfa").await;
        self.post_form(
            "/api/answer_mfa",
            &[("code", code), ("csrf", &csrf)],
            "/login/mfa",
        )
        .await
    }
}

impl TestApp {
    /// Signs out with the CSRF token of the signed-in page; returns the response.
    pub async fn sign_out(&self) -> reqwest::Response {
        let page = self.html("/dashboard").await;
        let csrf = extract_input(&page, "csrf").expect("signed-in pages carry a csrf field");
        self.post_form("/logout", &[("csrf", &csrf)], "/dashboard")
            .await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// The `value` of `<input name=NAME …>` in server-rendered HTML.
pub fn extract_input(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let v = tag.find("value=\"")? + 7;
    let end = tag[v..].find('"')?;
    Some(tag[v..v + end].replace("&amp;", "&"))
}

pub fn location(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The text of the element with `data-testid=ID`.
pub fn testid_text(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("data-testid=\"{id}\""))?;
    let start = at + html[at..].find('>')? + 1;
    let end = start + html[start..].find('<')?;
    Some(html[start..end].to_string())
}

/// The CSRF token of the form on the page at `path` (fetched with this app's cookies).
pub async fn page_csrf(app: &TestApp, path: &str) -> String {
    let html = app.html(path).await;
    extract_input(&html, "csrf").unwrap_or_else(|| panic!("{path} has a csrf field"))
}

/// Now, in epoch milliseconds.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// A username that no other test (or earlier run) has used: lockout state stays separate.
pub fn unique_name(prefix: &str) -> String {
    use rand::Rng;
    format!(
        "{prefix}-{:08x}@example.com",
        rand::thread_rng().gen::<u32>()
    )
}

/// The latest confirmation or reset code the Cognito stand-in "emailed" to `email` (it keeps
/// it in its data file, `.local/cognito/.cognito/db/<pool>.json`).
pub fn emulator_code(email: &str) -> Option<String> {
    let pool = stack_env().get("COGNITO_USER_POOL_ID")?.clone();
    let path = format!(
        "{}/.local/cognito/.cognito/db/{pool}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    // cognito-local rewrites the file in place: a read during a write of another test may see
    // half a file, so read until it parses (a few tries).
    let db: serde_json::Value = (0..50).find_map(|_| {
        let parsed = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        if parsed.is_none() {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        parsed
    })?;
    db["Users"].as_object()?.values().find_map(|user| {
        let is_them = user["Username"].as_str() == Some(email)
            || user["Attributes"].as_array().is_some_and(|attrs| {
                attrs
                    .iter()
                    .any(|a| a["Name"] == "email" && a["Value"].as_str() == Some(email))
            });
        if is_them {
            user["ConfirmationCode"].as_str().map(str::to_string)
        } else {
            None
        }
    })
}

/// The emulator's admin API, to create the users these tests need (never the demo users).
pub async fn admin(app: &TestApp) -> (cip::Client, String) {
    admin_for(&app.state.svc.config).await
}

/// The same, for a configuration without a running app.
pub async fn admin_for(cfg: &Config) -> (cip::Client, String) {
    let shared = aws_sdk_config(cfg).await;
    (
        cip::Client::from_conf(cognito_config(&shared, cfg).build()),
        cfg.user_pool_id.clone(),
    )
}

/// A confirmed user with a permanent password (or, with `temporary`, one that must choose
/// a new password at first sign-in).
pub async fn create_user(app: &TestApp, email: &str, password: &str, temporary: bool) -> String {
    create_pool_user(&app.state.svc.config, email, password, temporary).await
}

/// The tokens the Cognito stand-in issues for a password sign-in with app client `client_id`
/// (what a program calling the API would hold).
pub struct PoolTokens {
    pub access: String,
    pub id: String,
}

pub async fn pool_tokens(cfg: &Config, client_id: &str, email: &str, password: &str) -> PoolTokens {
    let (idp, _) = admin_for(cfg).await;
    let signed_in = idp
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(cip::types::AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", email)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .expect("InitiateAuth");
    let result = signed_in
        .authentication_result()
        .expect("tokens, no challenge");
    PoolTokens {
        access: result.access_token().expect("an access token").to_string(),
        id: result.id_token().expect("an ID token").to_string(),
    }
}

/// Turns on two-step verification for a user through Cognito's own API (as `/account/mfa`
/// does); returns the authenticator key.
pub async fn turn_on_mfa(cfg: &Config, email: &str, password: &str) -> String {
    let (idp, _) = admin_for(cfg).await;
    let token = pool_tokens(cfg, &cfg.client_id, email, password)
        .await
        .access;
    let key = idp
        .associate_software_token()
        .access_token(&token)
        .send()
        .await
        .expect("AssociateSoftwareToken")
        .secret_code()
        .expect("a key")
        .to_string();
    idp.verify_software_token()
        .access_token(&token)
        .user_code(totp(&key, unix_now()))
        .send()
        .await
        .expect("VerifySoftwareToken");
    idp.set_user_mfa_preference()
        .access_token(&token)
        .software_token_mfa_settings(
            cip::types::SoftwareTokenMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .expect("SetUserMFAPreference");
    key
}

/// Adds a user to a group at the pool.
pub async fn add_to_group(app: &TestApp, username: &str, group: &str) {
    let (idp, pool) = admin_for(&app.state.svc.config).await;
    idp.admin_add_user_to_group()
        .user_pool_id(&pool)
        .username(username)
        .group_name(group)
        .send()
        .await
        .expect("AdminAddUserToGroup");
}

/// Changes a user's e-mail at the pool (as the user or an admin elsewhere would).
pub async fn set_email(app: &TestApp, username: &str, email: &str) {
    let (idp, pool) = admin_for(&app.state.svc.config).await;
    idp.admin_update_user_attributes()
        .user_pool_id(&pool)
        .username(username)
        .user_attributes(
            cip::types::AttributeType::builder()
                .name("email")
                .value(email)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("AdminUpdateUserAttributes");
}

/// [`create_user`] for a configuration without a running app.
pub async fn create_pool_user(
    cfg: &Config,
    email: &str,
    password: &str,
    temporary: bool,
) -> String {
    let (idp, pool) = admin_for(cfg).await;
    let attr = |n: &str, v: &str| {
        cip::types::AttributeType::builder()
            .name(n)
            .value(v)
            .build()
            .unwrap()
    };
    let created = idp
        .admin_create_user()
        .user_pool_id(&pool)
        .username(email)
        .user_attributes(attr("email", email))
        .user_attributes(attr("email_verified", "true"))
        .temporary_password(password)
        .message_action(cip::types::MessageActionType::Suppress)
        .send()
        .await
        .expect("AdminCreateUser");
    if !temporary {
        idp.admin_set_user_password()
            .user_pool_id(&pool)
            .username(email)
            .password(password)
            .permanent(true)
            .send()
            .await
            .expect("AdminSetUserPassword");
    }
    created
        .user
        .and_then(|u| u.username)
        .expect("AdminCreateUser returns the username")
}

/// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) from a base32 secret, as an authenticator app does.
pub fn totp(secret_b32: &str, unix: u64) -> String {
    let mut bits = 0u64;
    let mut n = 0;
    let mut key = Vec::new();
    for c in secret_b32.trim_end_matches('=').chars() {
        let v = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
            .find(c.to_ascii_uppercase())
            .expect("base32") as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            key.push((bits >> (n - 8)) as u8);
            n -= 8;
        }
    }
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(&key).unwrap();
    mac.update(&(unix / 30).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = (h[19] & 0x0f) as usize;
    let bin = (u32::from_be_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]) & 0x7fff_ffff) % 1_000_000;
    format!("{bin:06}")
}

/// A TCP relay in front of a stand-in that can stop passing bytes, as the stand-in's own
/// process does under SIGSTOP: connections are still accepted, nothing is answered, and what
/// was sent meanwhile goes through once it resumes. (Stopping the shared stand-in itself
/// would stall every other test of this binary.)
pub struct Relay {
    pub url: String,
    paused: tokio::sync::watch::Sender<bool>,
}

impl Relay {
    pub async fn start(upstream_url: &str) -> Relay {
        use tokio::net::{TcpListener, TcpStream};
        let upstream = upstream_url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (paused, watch) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (watch, upstream) = (watch.clone(), upstream.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::join!(
                        pump(client_read, server_write, watch.clone()),
                        pump(server_read, client_write, watch),
                    );
                });
            }
        });
        Relay { url, paused }
    }

    pub fn pause(&self) {
        self.paused.send_replace(true);
    }

    pub fn resume(&self) {
        self.paused.send_replace(false);
    }
}

/// Copies bytes one way, holding each chunk while the relay is paused.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut paused: tokio::sync::watch::Receiver<bool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if paused.wait_for(|p| !*p).await.is_err() || to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// A server function called as the hydrated page calls it (JSON answer).
pub async fn call(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> (reqwest::StatusCode, String) {
    let res = app
        .client
        .post(app.url(path))
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .expect("POST");
    let status = res.status();
    (status, res.text().await.unwrap_or_default())
}

/// A sign-in as the hydrated login page sends it (`POST /api/sign_in`, JSON answer) with the
/// form token `csrf`: the answer's status must be 200; its JSON is returned.
pub async fn sign_in_with_javascript(
    app: &TestApp,
    csrf: &str,
    email: &str,
    password: &str,
) -> serde_json::Value {
    let form = [("email", email), ("password", password), ("csrf", csrf)];
    let (status, body) = call(app, "/api/sign_in", &form).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}
