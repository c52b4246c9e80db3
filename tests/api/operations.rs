//! Operations: the container's health check (`gatehouse healthcheck`, the runtime image has no
//! shell), request ids.
use crate::helpers::*;

fn healthcheck(bind: &str) -> std::process::ExitStatus {
    std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("healthcheck")
        .env("BIND_ADDR", bind)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run gatehouse healthcheck")
}

#[tokio::test]
async fn the_healthcheck_command_says_whether_the_server_answers() {
    let app = spawn().start().await;
    let port = reqwest::Url::parse(&app.base).unwrap().port().unwrap();
    // As the container runs it: the server bound to every address.
    let status = tokio::task::spawn_blocking(move || healthcheck(&format!("0.0.0.0:{port}")))
        .await
        .unwrap();
    assert!(status.success(), "{status}");
    app.stop().await;
    // A port held open by something that never answers HTTP.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let status =
        tokio::task::spawn_blocking(move || healthcheck(&format!("127.0.0.1:{silent_port}")))
            .await
            .unwrap();
    assert_eq!(status.code(), Some(1), "no answer to /healthz");
    drop(silent);
    let status = tokio::task::spawn_blocking(|| healthcheck("not-an-address"))
        .await
        .unwrap();
    assert_eq!(status.code(), Some(2));
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_reuses_the_load_balancers() {
    let app = spawn().start().await;
    let id_of = |res: &reqwest::Response| {
        res.headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_string())
    };
    let page = app.get("/login").await;
    let generated = id_of(&page).expect("an id on a page");
    assert!(generated.len() == 32 && generated.chars().all(|c| c.is_ascii_hexdigit()));
    let again = id_of(&app.get("/login").await).unwrap();
    assert_ne!(generated, again, "one id per request");
    let res = app
        .client
        .get(app.url("/login"))
        .header("x-request-id", "client-chosen")
        .send()
        .await
        .unwrap();
    let id = id_of(&res).unwrap();
    assert!(
        id.len() == 32 && id != "client-chosen",
        "a client does not name the request: {id}"
    );
    let trace = "Root=1-67891233-abcdef012345678912345678";
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header("x-amzn-trace-id", trace)
        .send()
        .await
        .unwrap();
    assert_eq!(
        id_of(&res).as_deref(),
        Some(trace),
        "the API too, with the ALB's id"
    );
    app.stop().await;
}

/// The value of the sample `name{labels}` in a Prometheus text exposition (0 if absent).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter(|(series, _)| series.starts_with(&format!("{name}{{")) || *series == name)
        .filter(|(series, _)| {
            labels
                .iter()
                .all(|(k, v)| series.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|(_, value)| value.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn metrics_count_requests_by_route_sign_ins_and_aws_calls_on_their_own_port() {
    let app = spawn().env("METRICS_ADDR", "127.0.0.1:0").start().await;
    let port = app.state.svc.metrics_addr.expect("metrics bound").port();
    let scrape = || async move {
        reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
            .await
            .expect("the metrics listener answers")
            .text()
            .await
            .unwrap()
    };
    let before = scrape().await;
    let login = [("method", "GET"), ("route", "/login"), ("status", "200")];
    let unmatched = [("route", "unmatched"), ("status", "404")];

    let email = unique_name("metrics");
    create_user(&app, &email, "Metrics-Passw0rd!", false).await;
    assert_eq!(app.get("/login").await.status(), 200);
    app.sign_in(&email, "Wrong-Passw0rd!", None).await;
    let signed_in = app.sign_in(&email, "Metrics-Passw0rd!", None).await;
    assert_eq!(location(&signed_in).as_deref(), Some("/dashboard"));
    let scan = format!("/wp-admin-{}.php", now_ms());
    assert_eq!(app.get(&scan).await.status(), 404);
    // Never on the public port.
    assert_eq!(app.get("/metrics").await.status(), 404);

    let after = scrape().await;
    let moved = |name: &str, labels: &[(&str, &str)]| {
        sample(&after, name, labels) - sample(&before, name, labels)
    };
    assert!(moved("http_requests_total", &login) >= 1.0, "{after}");
    assert!(
        moved("http_requests_total", &unmatched) >= 2.0,
        "the scan and /metrics: {after}"
    );
    assert!(!after.contains("wp-admin"), "a 404 scan creates no label");
    assert!(
        moved(
            "http_request_duration_seconds_count",
            &[("route", "/login")]
        ) >= 1.0,
        "latency histogram: {after}"
    );
    let sign_in = [("kind", "sign_in"), ("method", "password")];
    let failed = [("kind", "sign_in_failed"), ("method", "password")];
    assert!(
        moved("gatehouse_auth_events_total", &sign_in) >= 1.0,
        "{after}"
    );
    assert!(
        moved("gatehouse_auth_events_total", &failed) >= 1.0,
        "{after}"
    );
    let initiate_auth = [("operation", "InitiateAuth"), ("outcome", "ok")];
    assert!(
        moved("gatehouse_aws_calls_total", &initiate_auth) >= 1.0,
        "{after}"
    );
    assert!(
        moved(
            "gatehouse_aws_call_duration_seconds_count",
            &[("operation", "PutItem")]
        ) >= 1.0,
        "DynamoDB calls timed: {after}"
    );
    assert!(
        moved("gatehouse_session_cache_total", &[("result", "hit")])
            + moved("gatehouse_session_cache_total", &[("result", "miss")])
            >= 1.0,
        "{after}"
    );
    assert!(after.contains("gatehouse_event_queue_length"), "{after}");
    assert!(
        !after.contains(&email) && !after.contains("@"),
        "no user in any label"
    );
    app.stop().await;
}

/// The server binary with these Leptos settings (env overrides of Leptos.toml) on `bind`.
fn start_binary(bind: &str, leptos: &[(&str, &std::path::Path)]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .envs(stack_env())
        .env("BIND_ADDR", bind)
        .envs(leptos.iter().map(|(k, v)| (k, v.as_os_str())))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run gatehouse")
}

#[tokio::test]
async fn a_binary_without_its_hash_file_refuses_to_start() {
    use std::io::Read;
    use std::path::Path;
    let missing = std::env::temp_dir()
        .join(unique_name("no-such-dir"))
        .join("hash.txt");
    let mut child = start_binary(
        "127.0.0.1:0",
        &[
            ("LEPTOS_HASH_FILES", Path::new("true")),
            ("LEPTOS_HASH_FILE", &missing),
        ],
    );
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("gatehouse started without its hash file");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot read the build's hash file") && stderr.contains("no-such-dir"),
        "{stderr}"
    );

    // With hashed names off (what `make dev` and the SIGTERM test ask for) it needs none.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = start_binary(
        &format!("127.0.0.1:{port}"),
        &[
            ("LEPTOS_HASH_FILES", Path::new("false")),
            ("LEPTOS_HASH_FILE", &missing),
        ],
    );
    let started = std::time::Instant::now();
    let up = loop {
        let ok = reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success());
        if ok || started.elapsed() > std::time::Duration::from_secs(30) {
            break ok;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("gatehouse exited: {status}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(up, "gatehouse with hash-files off never answered");
}
