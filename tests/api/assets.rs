//! Static files: pages name the build's hashed files, which are sent precompressed when the
//! browser accepts it and may be kept for a year; misses and the favicon are not kept for good.
//! The site here is made by the test, as `cargo leptos build --release --precompress` lays it
//! out (the real build's names are checked in the browser: end2end/tests/assets.spec.ts).
use crate::helpers::*;
use std::path::PathBuf;

const CSS: &[u8] = b"body { color: black }";
const CSS_BR: &[u8] = b"brotli copy of the stylesheet";
const CSS_GZ: &[u8] = b"gzip copy of the stylesheet";

/// `site/` (what the server serves) and `hash.txt` beside it, as the binary has it.
struct Site(PathBuf);

impl Site {
    fn root(&self) -> PathBuf {
        self.0.join("site")
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn built_site() -> Site {
    let base = std::env::temp_dir().join(unique_name("gatehouse-site"));
    let root = base.join("site");
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for (name, body) in [
        (
            "gatehouse.Js1-_.js",
            b"export default function() {}".as_slice(),
        ),
        ("gatehouse.Wasm2.wasm", b"\0asm\x01\0\0\0".as_slice()),
        ("gatehouse.Css3.css", CSS),
        ("gatehouse.Css3.css.br", CSS_BR),
        ("gatehouse.Css3.css.gz", CSS_GZ),
    ] {
        std::fs::write(pkg.join(name), body).unwrap();
    }
    std::fs::write(root.join("favicon.ico"), [0u8, 0, 1, 0, 1, 0]).unwrap();
    std::fs::write(base.join("hash.txt"), "js: Js1-_\nwasm: Wasm2\ncss: Css3\n").unwrap();
    Site(base)
}

async fn get_with(app: &TestApp, path: &str, accept_encoding: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(app.url(path));
    if let Some(enc) = accept_encoding {
        req = req.header("accept-encoding", enc);
    }
    req.send().await.unwrap()
}

fn header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

/// The status line's code for a GET of `path` exactly as written.
async fn raw_status(app: &TestApp, path: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {answer}"))
}

async fn start(site: &Site) -> TestApp {
    spawn()
        .site(&site.root(), &site.0.join("hash.txt"))
        .start()
        .await
}

#[tokio::test]
async fn pages_name_the_hashed_files() {
    let site = built_site();
    let app = start(&site).await;
    let html = app.html("/login").await;
    for href in [
        "href=\"/pkg/gatehouse.Css3.css\"",
        "href=\"/pkg/gatehouse.Js1-_.js\"",
        "href=\"/pkg/gatehouse.Wasm2.wasm\"",
    ] {
        assert!(html.contains(href), "{href} missing from the page");
    }
    assert!(!html.contains("/pkg/gatehouse.css"), "an unhashed name");
    app.stop().await;
}

#[tokio::test]
async fn hashed_files_are_sent_precompressed_and_kept_for_a_year() {
    let site = built_site();
    let app = start(&site).await;
    for (accept, encoding, body) in [
        (Some("gzip, deflate, br"), Some("br"), CSS_BR),
        (Some("gzip"), Some("gzip"), CSS_GZ),
        (None, None, CSS),
    ] {
        let res = get_with(&app, "/pkg/gatehouse.Css3.css", accept).await;
        assert_eq!(res.status(), 200, "{accept:?}");
        assert_eq!(
            res.headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            encoding,
            "{accept:?}"
        );
        assert!(header(&res, "content-type").starts_with("text/css"));
        assert_eq!(
            header(&res, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert!(
            header(&res, "vary")
                .to_ascii_lowercase()
                .contains("accept-encoding"),
            "caches must key on the encoding"
        );
        assert_eq!(res.bytes().await.unwrap().as_ref(), body, "{accept:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_missing_file_and_the_favicon_are_not_kept_for_good() {
    let site = built_site();
    let app = start(&site).await;
    let miss = get_with(&app, "/pkg/gatehouse.Old0.css", Some("br")).await;
    assert_eq!(miss.status(), 404);
    assert_eq!(header(&miss, "cache-control"), "no-cache");
    // No way out of the bundle's folder: sent raw, since an HTTP client resolves the dots.
    for path in [
        "/pkg/../favicon.ico",
        "/pkg/%2e%2e/favicon.ico",
        "/pkg/..%2ffavicon.ico",
    ] {
        assert_eq!(raw_status(&app, path).await, 404, "{path}");
    }
    let icon = get_with(&app, "/favicon.ico", None).await;
    assert_eq!(icon.status(), 200);
    assert_eq!(header(&icon, "cache-control"), "public, max-age=86400");
    app.stop().await;
}
