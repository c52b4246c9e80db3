//! The data pages against the local stack: auth events (recorded without blocking, keyed for
//! Queries), the dashboard's own activity, reports and audit CSV, the admin directory's
//! actions, and group changes reaching open sessions without a sign-out.

use crate::helpers::*;
use gatehouse::events::sink::EventSink;
use gatehouse::events::store::{EventStore, Order, Owner};
use gatehouse::events::{AuthEvent, EventKind, RequestMeta};
use reqwest::StatusCode;

/// Two instances on one clock (as NTP gives servers): a new user signed in on `app`, the demo
/// admin on `admin`.
struct Pair {
    clock: TestClock,
    app: TestApp,
    admin: TestApp,
    email: String,
    username: String,
}

async fn user_and_admin(prefix: &str) -> Pair {
    let clock = TestClock::now_real();
    let app = spawn().clock(clock.clone()).start().await;
    let admin = spawn().clock(clock.clone()).start().await;
    let email = unique_name(prefix);
    let username = create_user(&app, &email, PASSWORD, false).await;
    app.sign_in(&email, PASSWORD, None).await;
    assert_eq!(app.get("/dashboard").await.status(), StatusCode::OK);
    admin.sign_in(ADMIN, PASSWORD, None).await;
    Pair {
        clock,
        app,
        admin,
        email,
        username,
    }
}

/// Whose events a signed-in user's pages read: their account's (by `sub`) and their address's.
async fn owner(app: &TestApp, email: &str) -> Owner {
    let person = app
        .state
        .svc
        .directory
        .who(email)
        .await
        .expect("AdminGetUser");
    Owner::account(&person.sub, email)
}

/// The audit CSV filtered by user and kind, as an admin downloads it: the whole text, and its
/// rows after the header.
async fn audit_rows(admin: &TestApp, user: &str, kind: &str) -> (String, Vec<String>) {
    let csv = admin
        .get(&format!("/admin/audit.csv?user={user}&kind={kind}"))
        .await
        .text()
        .await
        .unwrap();
    let rows = csv.lines().skip(1).map(str::to_string).collect();
    (csv, rows)
}

fn store(app: &TestApp) -> EventStore {
    let cfg = &app.state.svc.config;
    EventStore::new(
        app.state.svc.dynamo.clone(),
        cfg.events_table.clone(),
        cfg.events_retention,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn event_keys_answer_user_and_time_range_queries() {
    let app = spawn().start().await;
    let store = store(&app);
    let user = unique_name("keys");
    // Two UTC days in the past that no other test writes to.
    let day1 = 1_583_020_800_000i64; // 2020-03-01T00:00:00Z
    let day2 = day1 + 86_400_000;
    let at = [
        day1 + 10 * 3_600_000, // 2020-03-01 10:00
        day2 - 1,              // 2020-03-01 23:59:59.999
        day2,                  // 2020-03-02 00:00:00.000
        day2 + 12 * 3_600_000, // 2020-03-02 12:00
    ];
    // Through the queue, as the app writes them.
    let sink = EventSink::start(store.clone(), 100);
    for (i, t) in at.iter().enumerate() {
        let kind = if i % 2 == 0 {
            EventKind::SignIn
        } else {
            EventKind::SignInFailed
        };
        sink.record(AuthEvent::new(kind, &user, *t, &RequestMeta::default()));
    }
    sink.flush().await;
    assert_eq!(
        sink.stats()
            .written
            .load(std::sync::atomic::Ordering::SeqCst),
        4
    );

    // One user, newest first.
    let newest: Vec<i64> = store
        .for_user(&Owner::address(&user), 3)
        .await
        .unwrap()
        .iter()
        .map(|e| e.at_ms)
        .collect();
    assert_eq!(newest, vec![at[3], at[2], at[1]]);
    // One user, a time range (upper bound exclusive).
    let second_day: Vec<i64> = store
        .for_user_in_range(&Owner::address(&user), day2, day2 + 86_400_000, None)
        .await
        .unwrap()
        .events
        .iter()
        .map(|e| e.at_ms)
        .collect();
    assert_eq!(second_day, vec![at[3], at[2]]);
    // Everyone, a time range across the day boundary, oldest first.
    let across: Vec<i64> = store
        .in_range(day1 + 10 * 3_600_000, day2 + 1, Order::OldestFirst, None)
        .await
        .unwrap()
        .events
        .iter()
        .filter(|e| e.user == user)
        .map(|e| e.at_ms)
        .collect();
    assert_eq!(across, vec![at[0], at[1], at[2]]);
    // Newest first, and filtered by kind in the Query itself.
    let failures: Vec<i64> = store
        .in_range(
            day1,
            day2 + 86_400_000,
            Order::NewestFirst,
            Some(EventKind::SignInFailed),
        )
        .await
        .unwrap()
        .events
        .iter()
        .filter(|e| e.user == user)
        .map(|e| e.at_ms)
        .collect();
    assert_eq!(failures, vec![at[3], at[1]]);
    let mine = store
        .for_user_in_range(
            &Owner::address(&user),
            day1,
            day2 + 86_400_000,
            Some(EventKind::SignIn),
        )
        .await
        .unwrap();
    assert!(!mine.capped);
    assert_eq!(
        mine.events.iter().map(|e| e.at_ms).collect::<Vec<_>>(),
        vec![at[2], at[0]]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_ins_are_recorded_and_shown_on_the_dashboard() {
    let app = spawn().start().await;
    let email = unique_name("events");
    create_user(&app, &email, PASSWORD, false).await;
    let start = now_ms() - 1000;
    let res = app.sign_in(&email, "Wrong-Passw0rd!", None).await;
    assert!(res.status().is_redirection());
    let res = app.sign_in(&email, PASSWORD, None).await;
    assert_eq!(location(&res).as_deref(), Some("/dashboard"));
    app.state.svc.events.flush().await;

    let events = store(&app)
        .for_user_in_range(&owner(&app, &email).await, start, now_ms() + 1000, None)
        .await
        .unwrap()
        .events;
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EventKind::SignIn, EventKind::SignInFailed]);
    for e in &events {
        assert_eq!(e.method, Some(gatehouse::events::Method::Password));
        assert_eq!(e.ip.as_deref(), Some("127.0.0.0/24"));
        assert_eq!(e.user_agent.as_deref(), Some("gatehouse-tests/1.0"));
    }

    let html = app.html("/dashboard").await;
    assert!(
        html.contains("data-testid=\"my-activity\""),
        "activity table"
    );
    assert!(html.contains("Sign-in failed"));
    assert!(html.contains("data-testid=\"chart-mine\""), "chart");
    // Two bars today: one success, one failure.
    assert!(html.contains("data-series=\"Succeeded\" data-value=\"1\""));
    assert!(html.contains("data-series=\"Failed\" data-value=\"1\""));

    app.sign_out().await;
    app.state.svc.events.flush().await;
    let newest = store(&app)
        .for_user(&owner(&app, &email).await, 1)
        .await
        .unwrap();
    assert_eq!(newest[0].kind, EventKind::SignOut);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn data_server_functions_and_exports_check_groups_themselves() {
    // (endpoint, allowed for user@, analyst@, admin@)
    let functions: [(&str, [bool; 3]); 7] = [
        ("/api/dashboard_data", [true, true, true]),
        ("/api/account_data", [true, true, true]),
        ("/api/reports_data", [false, true, true]),
        ("/api/admin_data", [false, false, true]),
        ("/api/audit_data", [false, false, true]),
        ("/api/list_lockouts", [false, false, true]),
        ("/api/reset_mfa_target", [false, false, true]),
    ];
    let exports: [(&str, [bool; 3]); 2] = [
        ("/reports/events.csv", [false, true, true]),
        ("/admin/audit.csv", [false, false, true]),
    ];
    let anonymous = spawn().start().await;
    for (path, _) in functions {
        assert_eq!(
            call(&anonymous, path, &[]).await.0,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    for (path, _) in exports {
        let res = anonymous.get(path).await;
        assert!(res.status().is_redirection(), "{path}");
        assert!(
            location(&res).unwrap().starts_with("/login?next="),
            "{path}"
        );
    }
    let (status, _) = call(
        &anonymous,
        "/api/manage_user",
        &[("username", "x"), ("op", "disable"), ("csrf", "x")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    for (i, who) in [USER, ANALYST, ADMIN].into_iter().enumerate() {
        let app = spawn().start().await;
        app.sign_in(who, PASSWORD, None).await;
        for (path, allowed) in functions {
            let (status, body) = call(&app, path, &[]).await;
            let want = if allowed[i] {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(status, want, "{who} {path}: {body}");
        }
        for (path, allowed) in exports {
            let res = app.get(path).await;
            let want = if allowed[i] {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(res.status(), want, "{who} {path}");
            if allowed[i] {
                let ct = res.headers()["content-type"].to_str().unwrap().to_string();
                assert!(ct.starts_with("text/csv"), "{ct}");
                // Analysts get when, what and how; who and from where is the admins' audit log.
                let body = res.text().await.unwrap();
                let header = body.lines().next().unwrap_or("");
                let columns = if path.starts_with("/reports") && i < 2 {
                    "time_utc,event,method"
                } else {
                    "time_utc,event,user,method,client_network,user_agent,actor,detail"
                };
                // Every cell is quoted, the header too.
                let want: Vec<String> = columns.split(',').map(|c| format!("\"{c}\"")).collect();
                assert_eq!(header, want.join(","), "{who} {path}");
            }
        }
        // A valid form token: what refuses non-admins is the group check.
        let csrf = page_csrf(&app, "/dashboard").await;
        let (status, body) = call(
            &app,
            "/api/manage_user",
            &[("username", "nobody"), ("op", "disable"), ("csrf", &csrf)],
        )
        .await;
        if i < 2 {
            assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {body}");
        } else {
            // The admin gets as far as the directory: there is no such user.
            assert!(body.contains("no longer exists"), "{body}");
        }
        let (status, body) = call(
            &app,
            "/api/unlock_account",
            &[("username", "nobody@example.com"), ("csrf", &csrf)],
        )
        .await;
        let want = if i < 2 {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::OK
        };
        assert_eq!(status, want, "{who} unlock: {body}");
        let (status, body) = call(
            &app,
            "/api/reset_mfa",
            &[("username", "nobody@example.com"), ("csrf", &csrf)],
        )
        .await;
        if i < 2 {
            assert_eq!(status, StatusCode::FORBIDDEN, "{who} reset MFA: {body}");
        } else {
            assert!(body.contains("no longer exists"), "{body}");
            // Their own: refused, pointing to their account page (nothing asked of Cognito).
            let (_, body) = call(
                &app,
                "/api/reset_mfa",
                &[("username", ADMIN), ("csrf", &csrf)],
            )
            .await;
            assert!(body.contains("under Your account"), "{body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_changes_reach_open_sessions_without_signing_out() {
    let Pair {
        clock,
        app,
        admin,
        email,
        username,
    } = user_and_admin("groups").await;
    assert_eq!(app.get("/reports").await.status(), StatusCode::FORBIDDEN);
    let csrf = page_csrf(&admin, "/dashboard").await;
    let (status, body) = call(
        &admin,
        "/api/manage_user",
        &[
            ("username", &username),
            ("op", "add"),
            ("group", "analysts"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains(&format!("Added {email} to analysts.")),
        "{body}"
    );
    // The directory shows it.
    let (_, listing) = call(&admin, "/api/admin_data", &[("filter", &email)]).await;
    assert!(listing.contains("\"groups\":[\"analysts\"]"), "{listing}");

    // The user's session picks the change up at its next check (≤ 1 minute), still signed in.
    clock.advance(61);
    assert_eq!(app.get("/reports").await.status(), StatusCode::OK);
    let dashboard = app.html("/dashboard").await;
    assert!(dashboard.contains("analysts"));

    let (status, body) = call(
        &admin,
        "/api/manage_user",
        &[
            ("username", &username),
            ("op", "remove"),
            ("group", "analysts"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    clock.advance(61);
    assert_eq!(app.get("/reports").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/dashboard").await.status(), StatusCode::OK);

    // Both changes are in the audit trail with the acting admin.
    admin.state.svc.events.flush().await;
    let events = store(&admin)
        .for_user(&owner(&admin, &email).await, 10)
        .await
        .unwrap();
    let changes: Vec<(EventKind, Option<String>, Option<String>)> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::GroupAdded | EventKind::GroupRemoved))
        .map(|e| (e.kind, e.actor.clone(), e.detail.clone()))
        .collect();
    let by = Some(ADMIN.to_string());
    let group = Some("analysts".to_string());
    assert_eq!(
        changes,
        vec![
            (EventKind::GroupRemoved, by.clone(), group.clone()),
            (EventKind::GroupAdded, by, group)
        ]
    );
    // The audit log's CSV, filtered by that user and kind, has exactly the addition.
    let (csv, rows) = audit_rows(&admin, &email, "group_added").await;
    assert_eq!(rows.len(), 1, "{csv}");
    assert!(
        rows[0].contains(",\"group_added\",") && rows[0].contains(ADMIN),
        "{csv}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn groups_changed_elsewhere_are_reread_within_their_max_age() {
    let clock = TestClock::now_real();
    let app = spawn()
        .clock(clock.clone())
        .env("GROUPS_MAX_AGE_SECS", "300")
        .start()
        .await;
    let email = unique_name("maxage");
    let username = create_user(&app, &email, PASSWORD, false).await;
    app.sign_in(&email, PASSWORD, None).await;
    // Changed in the pool directly (no marker from gatehouse's console).
    app.state
        .svc
        .directory
        .add_to_group(&username, "analysts")
        .await
        .unwrap();
    clock.advance(200);
    assert_eq!(app.get("/reports").await.status(), StatusCode::FORBIDDEN);
    clock.advance(101);
    assert_eq!(app.get("/reports").await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_user_whose_email_changes_keeps_their_revocations() {
    let Pair {
        clock,
        app,
        admin,
        username,
        ..
    } = user_and_admin("renamed").await;
    // The address changes at the pool; this session still carries the old one.
    let new_email = unique_name("renamed-new");
    set_email(&app, &username, &new_email).await;
    let csrf = page_csrf(&admin, "/dashboard").await;
    let (_, body) = call(
        &admin,
        "/api/manage_user",
        &[("username", &username), ("op", "disable"), ("csrf", &csrf)],
    )
    .await;
    assert!(body.contains(&format!("Disabled {new_email}.")), "{body}");
    // The marker is the user's, whatever address each side knows them by.
    clock.advance(61);
    let res = app.get("/dashboard").await;
    assert!(
        res.status().is_redirection(),
        "still signed in after being disabled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_user_whose_email_changes_keeps_their_history() {
    let Pair {
        app,
        admin,
        email: old_email,
        username,
        ..
    } = user_and_admin("history").await;
    // A wrong password on the old address: an attempt on the address, not the account's.
    let stranger = spawn().start().await;
    stranger
        .sign_in(&old_email, "Not-the-Passw0rd!", None)
        .await;
    stranger.state.svc.events.flush().await;
    app.state.svc.events.flush().await;

    let new_email = unique_name("history-new");
    set_email(&app, &username, &new_email).await;
    let again = spawn().start().await;
    let res = again.sign_in(&new_email, PASSWORD, None).await;
    assert_eq!(location(&res).as_deref(), Some("/dashboard"));
    again.state.svc.events.flush().await;

    // Both sign-ins are theirs, under either address; the old address's failure is not.
    let html = again.html("/dashboard").await;
    assert!(
        html.contains("data-series=\"Succeeded\" data-value=\"2\""),
        "both sign-ins on the chart"
    );
    assert!(
        !html.contains("Sign-in failed"),
        "the old address's attempts"
    );
    // The admin's audit log, filtered by the new address, has both sign-ins.
    let (csv, rows) = audit_rows(&admin, &new_email, "sign_in").await;
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(
        rows[0].contains(&new_email) && rows[1].contains(&old_email),
        "{csv}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disabling_a_user_ends_their_sessions_and_admins_cannot_lock_themselves_out() {
    let Pair {
        clock,
        app,
        admin,
        email,
        username,
    } = user_and_admin("disable").await;
    let csrf = page_csrf(&admin, "/dashboard").await;
    let (_, body) = call(
        &admin,
        "/api/manage_user",
        &[("username", &username), ("op", "disable"), ("csrf", &csrf)],
    )
    .await;
    assert!(body.contains(&format!("Disabled {email}.")), "{body}");
    let (_, listing) = call(&admin, "/api/admin_data", &[("filter", &email)]).await;
    assert!(listing.contains("\"enabled\":false"), "{listing}");
    clock.advance(61);
    let res = app.get("/dashboard").await;
    assert!(res.status().is_redirection(), "signed out");

    let (_, body) = call(
        &admin,
        "/api/manage_user",
        &[("username", &username), ("op", "enable"), ("csrf", &csrf)],
    )
    .await;
    assert!(body.contains(&format!("Enabled {email}.")), "{body}");

    // Not yourself: no disabling, no leaving the admins group.
    let (_, listing) = call(&admin, "/api/admin_data", &[("filter", ADMIN)]).await;
    let me = listing
        .split("\"username\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the admin's username")
        .to_string();
    let (_, body) = call(
        &admin,
        "/api/manage_user",
        &[("username", &me), ("op", "disable"), ("csrf", &csrf)],
    )
    .await;
    assert!(
        body.contains("You cannot disable your own account."),
        "{body}"
    );
    let (_, body) = call(
        &admin,
        "/api/manage_user",
        &[
            ("username", &me),
            ("op", "remove"),
            ("group", "admins"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert!(
        body.contains("You cannot remove yourself from the admins group."),
        "{body}"
    );
    assert_eq!(admin.get("/admin").await.status(), StatusCode::OK);
}

/// `count` sign-in attempts for the person `sub`/`email` over the last 14 days, written as the
/// app writes them (`put_batch`, 25 at a time): every third fails (filed under the address),
/// the others succeed (under the account). Each day's batches run in order, the days at once.
/// Returns the (successes, failures) seeded.
async fn seed_attempts(app: &TestApp, sub: &str, email: &str, count: usize) -> (u32, u32) {
    use futures::StreamExt;
    let now = now_ms();
    let mut days: Vec<Vec<AuthEvent>> = vec![Vec::new(); 14];
    let (mut ok, mut failed) = (0, 0);
    for i in 0..count {
        let day = i % 14;
        // `day` days back, a few ms apart: today's before now, the others after (so that
        // near midnight every event still falls in the chart's 14 days).
        let spread = (i / 14) as i64;
        let at = now - day as i64 * 86_400_000 + if day == 0 { -spread } else { spread };
        let event = if i % 3 == 0 {
            failed += 1;
            AuthEvent::new(EventKind::SignInFailed, email, at, &RequestMeta::default())
        } else {
            ok += 1;
            AuthEvent::new(EventKind::SignIn, email, at, &RequestMeta::default())
                .of_account(sub)
                .method(gatehouse::events::Method::Password)
        };
        days[day].push(event);
    }
    let store = &app.state.svc.event_store;
    futures::stream::iter(days)
        .for_each_concurrent(None, |events| async move {
            for batch in events.chunks(25) {
                store.put_batch(batch).await.expect("BatchWriteItem");
            }
        })
        .await;
    (ok, failed)
}

/// Sums of the dashboard chart's series (Succeeded, Failed, Refused) from its data.
fn chart_sums(body: &str) -> Vec<u64> {
    let json: serde_json::Value = serde_json::from_str(body).expect("dashboard data");
    json["chart"]["series"]
        .as_array()
        .expect("series")
        .iter()
        .map(|s| {
            s["values"]
                .as_array()
                .expect("values")
                .iter()
                .filter_map(serde_json::Value::as_u64)
                .sum()
        })
        .collect()
}

/// Signing in again while the first sign-in's activity is still cached (here for ten
/// minutes): each landing counts its own sign-in exactly once (not missing, as a cached
/// activity would have it, nor twice), and is what the dashboard's data says once the event
/// is written, without waiting for the cache to expire.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_sign_in_lands_on_a_dashboard_that_counts_it_once() {
    let app = spawn().env("ACTIVITY_CACHE_SECS", "600").start().await;
    let email = unique_name("again");
    create_user(&app, &email, PASSWORD, false).await;
    for n in 1..=3u64 {
        let csrf = app.csrf().await;
        let json = sign_in_with_javascript(&app, &csrf, &email, PASSWORD).await;
        let landing = &json["landing"]["dashboard"];
        assert_eq!(
            chart_sums(&landing.to_string()),
            vec![n, 0, 0],
            "sign-in {n}: {json}"
        );
        assert_eq!(
            landing["recent"][0]["kind"], "sign_in",
            "sign-in {n}: {json}"
        );
        app.state.svc.events.flush().await;
        let (status, body) = call(&app, "/api/dashboard_data", &[]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let stored: serde_json::Value = serde_json::from_str(&body).expect("dashboard data");
        assert_eq!(
            landing, &stored,
            "sign-in {n}: the landing and the stored activity"
        );
        // (Its dashboard read is served from the cache; the sign-out's event is written
        // before the next sign-in.)
        app.sign_out().await;
        app.state.svc.events.flush().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cold_dashboard_reads_as_much_for_ten_thousand_events_as_for_ten() {
    // No cache in front of the reads: every view is a cold render. An events table of its
    // own, dropped at the end: the stand-in's index reads slow down as its table grows, and
    // 10,000 events would slow every other test's.
    let table = unique_name("events").replace(['@', '.'], "-");
    let app = spawn()
        .env("PAGE_CACHE_SECS", "0")
        .env("ACTIVITY_CACHE_SECS", "0")
        .env("EVENTS_TABLE", &table)
        .start()
        .await;
    let _dropped = EventsTable::create(&app.state.svc.dynamo, &table).await;
    let store = &app.state.svc.event_store;
    let mut read = Vec::new();
    for (prefix, count) in [("busy", 10_000), ("quiet", 10)] {
        let email = unique_name(prefix);
        create_user(&app, &email, PASSWORD, false).await;
        let sub = owner(&app, &email).await.sub.expect("sub");
        let (ok, failed) = seed_attempts(&app, &sub, &email, count).await;
        app.sign_in(&email, PASSWORD, None).await;
        app.state.svc.events.flush().await;

        let before = store.items_read();
        let (status, body) = call(&app, "/api/dashboard_data", &[]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        read.push(store.items_read() - before);
        // Every attempt of the two weeks is in the chart (and the sign-in just made).
        assert_eq!(
            chart_sums(&body),
            vec![u64::from(ok) + 1, u64::from(failed), 0],
            "{prefix} {body:.300}"
        );
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            json["recent"].as_array().map(Vec::len),
            Some(10),
            "{prefix}"
        );
        app.sign_out().await;
    }
    // Ten rows from each of the two partitions, one count item per partition and day.
    let bound = 2 * 10 + 2 * 14;
    assert!(
        read.iter().all(|n| *n <= bound),
        "items read for 10,000 and for 10 events: {read:?} (at most {bound})"
    );
}

/// An events table of a test's own, dropped with this value (pass or fail).
struct EventsTable {
    dynamo: aws_sdk_dynamodb::Client,
    name: String,
}

impl Drop for EventsTable {
    fn drop(&mut self) {
        let delete = self.dynamo.delete_table().table_name(&self.name).send();
        tokio::task::block_in_place(|| {
            let _ = tokio::runtime::Handle::current().block_on(delete);
        });
    }
}

impl EventsTable {
    /// As `scripts/seed.py` creates it (key pk/sk, index `by_day` on day/sk).
    async fn create(dynamo: &aws_sdk_dynamodb::Client, name: &str) -> EventsTable {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
            Projection, ProjectionType, ScalarAttributeType,
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .expect("key")
        };
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute")
        };
        dynamo
            .create_table()
            .table_name(name)
            .set_attribute_definitions(Some(vec![
                attribute("pk"),
                attribute("sk"),
                attribute("day"),
            ]))
            .key_schema(key("pk", KeyType::Hash))
            .key_schema(key("sk", KeyType::Range))
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(gatehouse::events::store::BY_DAY_INDEX)
                    .key_schema(key("day", KeyType::Hash))
                    .key_schema(key("sk", KeyType::Range))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .expect("index"),
            )
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .expect("CreateTable");
        EventsTable {
            dynamo: dynamo.clone(),
            name: name.to_string(),
        }
    }
}

/// A page split into its markup and the values of its resources serialized for hydration
/// (`__RESOLVED_RESOURCES[i] = "…"`, JSON inside a JavaScript string).
fn markup_and_state(html: &str) -> (&str, Vec<&str>) {
    let start = html
        .find("__RESOLVED_RESOURCES=[]")
        .expect("the page's hydration state");
    let (markup, state) = html.split_at(start);
    let values = state
        .split("__RESOLVED_RESOURCES[")
        .skip(1)
        .map(|entry| {
            let value = entry.split_once("] = \"").expect("a resource's value").1;
            value.split_once("\";").expect("its end").0
        })
        .collect();
    (markup, values)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn data_pages_send_what_they_show_once() {
    let pair = user_and_admin("once").await;
    pair.app.state.svc.events.flush().await;
    pair.admin.state.svc.events.flush().await;
    // What the tables show of each sign-in (the test client's browser), and what a chart's
    // data holds; the pages' own fields (a range, the session) may stay in the state.
    for (app, path, shown, data) in [
        (&pair.app, "/dashboard", "gatehouse-tests/1.0", "values"),
        (&pair.admin, "/dashboard", "gatehouse-tests/1.0", "values"),
        (
            &pair.admin,
            "/reports",
            "data-series=\"Succeeded\"",
            "values",
        ),
        (
            &pair.admin,
            "/admin/audit",
            "gatehouse-tests/1.0",
            "user_agent",
        ),
    ] {
        let (status, html) = app.page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let (markup, state) = markup_and_state(&html);
        assert!(markup.contains(shown), "{path} shows {shown}");
        for value in &state {
            assert!(
                !value.contains("gatehouse-tests/1.0") && !value.contains(data),
                "{path} sends again what it shows: {value}"
            );
        }
        let mut distinct = state.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            state.len(),
            "{path} sends a value twice: {state:?}"
        );
    }

    // The rows with live controls: the directory (filtered to the user, by a prefix that is
    // not their whole address) and the locked names (one locked here).
    let locked = unique_name("once-locked");
    for n in 1..=5 {
        pair.app
            .sign_in(&locked, &format!("Wrong-Passw0rd-{n}"), None)
            .await;
    }
    let prefix = &pair.email[..pair.email.len() - 4];
    let directory = format!("/admin?q={prefix}");
    for (path, attribute) in [
        (directory.as_str(), "data-email=\""),
        ("/admin/lockouts", "data-username=\""),
    ] {
        let (status, html) = pair.admin.page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let (markup, state) = markup_and_state(&html);
        let rows: Vec<&str> = markup
            .split(attribute)
            .skip(1)
            .filter_map(|rest| rest.split_once('"').map(|(name, _)| name))
            .collect();
        assert!(!rows.is_empty(), "{path} shows rows: {markup}");
        for name in rows {
            for value in &state {
                assert!(
                    !value.contains(name),
                    "{path} sends again the row of {name}: {value}"
                );
            }
        }
    }
    assert!(
        markup_and_state(&pair.admin.page(&directory).await.1)
            .0
            .contains(&format!("data-email=\"{}\"", pair.email)),
        "the directory shows the user"
    );
}
