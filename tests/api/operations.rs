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
    let status = tokio::task::spawn_blocking(move || healthcheck(&format!("127.0.0.1:{port}")))
        .await
        .unwrap();
    assert_eq!(status.code(), Some(1), "nothing listens any more");
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
