//! Graceful shutdown of the real binary: on SIGTERM, requests in flight get their answers and
//! the auth events they queued are written before the process exits.

use crate::helpers::*;
use gatehouse::events::store::{EventStore, Owner};
use gatehouse::events::EventKind;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const REQUESTS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_requests_in_flight_and_flushes_events() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .envs(stack_env())
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("PUBLIC_URL", &base)
        .env("RUST_LOG", "warn")
        // No page is asked for, and `cargo leptos build` (the hashed site) runs after these
        // tests: the plain names need no hash file.
        .env("LEPTOS_HASH_FILES", "false")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the gatehouse binary");

    let ready = Instant::now();
    loop {
        let up = reqwest::get(format!("{base}/healthz"))
            .await
            .map(|r| r.status().is_success());
        if matches!(up, Ok(true)) {
            break;
        }
        assert!(
            ready.elapsed() < Duration::from_secs(30),
            "the binary never became healthy"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the binary exited early"
        );
        tokio::task::yield_now().await;
    }

    // One client (one kept-alive connection) per request, each with its form token.
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let mut clients = Vec::new();
    for i in 0..REQUESTS {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .timeout(Duration::from_secs(45))
            .build()
            .unwrap();
        let html = client
            .get(format!("{base}/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = extract_input(&html, "csrf").expect("csrf");
        clients.push((client, csrf, format!("shutdown-{stamp}-{i}@example.com")));
    }
    let first_done = Arc::new(tokio::sync::Notify::new());
    let mut tasks = Vec::new();
    for (client, csrf, email) in clients {
        let base = base.clone();
        let first_done = first_done.clone();
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(format!("{base}/api/sign_in"))
                .header("accept", "application/json")
                .form(&[
                    ("email", email.as_str()),
                    ("password", "Wrong-Passw0rd!"),
                    ("csrf", &csrf),
                ])
                .send()
                .await;
            let answer = match res {
                Ok(r) => r.text().await,
                Err(e) => Err(e),
            };
            first_done.notify_one();
            answer
        }));
    }
    // SIGTERM as soon as the first answer is back, while the others are still being served.
    first_done.notified().await;
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for task in tasks {
        let body = task
            .await
            .unwrap()
            .expect("every request in flight got its answer");
        assert!(body.contains("Incorrect email or password."), "{body}");
    }
    let exited = Instant::now();
    let code = loop {
        if let Some(code) = child.try_wait().unwrap() {
            break code;
        }
        assert!(
            exited.elapsed() < Duration::from_secs(20),
            "no exit after SIGTERM"
        );
        tokio::task::yield_now().await;
    };
    assert!(code.success(), "exit status {code}");

    // Every failure the process recorded reached the table before it exited.
    let app = spawn().start().await;
    let cfg = &app.state.svc.config;
    let store = EventStore::new(
        app.state.svc.dynamo.clone(),
        cfg.events_table.clone(),
        cfg.events_retention,
    );
    for i in 0..REQUESTS {
        let user = format!("shutdown-{stamp}-{i}@example.com");
        let events = store.for_user(&Owner::address(&user), 5).await.unwrap();
        assert_eq!(
            events.iter().map(|e| e.kind).collect::<Vec<_>>(),
            vec![EventKind::SignInFailed],
            "{user}"
        );
    }
}
