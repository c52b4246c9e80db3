//! The build's static files: `/pkg` (the hydration bundle and the stylesheet) and the favicon.
//!
//! cargo-leptos builds with `hash-files = true`: the bundle is renamed
//! `gatehouse.<hash>.{js,wasm,css}` and the hashes go to `hash.txt` next to the server binary,
//! which Leptos's `HydrationScripts` and `HashedStylesheet` read to name the files. They run once
//! per router ([`HeadTags`]); every page reuses what they wrote, with its own nonce.
//! A name changes whenever its content does, so a browser may keep those files for a year
//! without asking again (`immutable`); a new build is new names. A release build with
//! `--precompress` also writes `.br` and `.gz` copies beside each file, which leptos_axum's
//! `ServeDir` sends to a browser that accepts them (`Vary: Accept-Encoding` tells caches).
//!
//! [`Bundle::of`] checks at start-up that the hash file and the files it names are there: a
//! missing one is a clear start-up error, not a panic in every render or pages without style.

use axum::{
    extract::Request,
    http::{header, HeaderValue},
    middleware::{self, Next},
    response::Response,
    Router,
};
use leptos::prelude::LeptosOptions;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tower_http::services::ServeFile;

use super::nonce::NonceTemplate;

/// A file whose name is its content's hash: kept a year, never revalidated.
pub const HASHED: &str = "public, max-age=31536000, immutable";
/// A file that keeps its name across builds: asked again (a 304 when unchanged) on every use.
pub const REVALIDATE: &str = "no-cache";
/// The favicon keeps its name; a day is a fair delay for a new icon.
pub const FAVICON: &str = "public, max-age=86400";

#[derive(Debug, thiserror::Error)]
pub enum AssetsError {
    #[error(
        "cannot read the build's hash file {path}: {source} (`cargo leptos build` writes it \
         next to the server binary; keep them together, or set hash-files = false)"
    )]
    HashFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the build's hash file {path} names no {kind} file")]
    Incomplete { path: PathBuf, kind: &'static str },
    #[error(
        "{file} is missing: the site directory is not the one this binary was built with \
         (rebuild with `cargo leptos build`)"
    )]
    Missing { file: PathBuf },
}

/// What the build's files are called, as the pages will name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The stylesheet's URL path, e.g. `/pkg/gatehouse.Ab3….css`.
    pub stylesheet: String,
    /// Whether the names carry content hashes (and may be kept for good).
    pub hashed: bool,
}

impl Bundle {
    /// Reads the hash file the way Leptos does (relative to the binary's directory, unless the
    /// configured name is absolute) and checks that the files it names exist.
    pub fn of(options: &LeptosOptions) -> Result<Bundle, AssetsError> {
        let pkg = format!("/{}", options.site_pkg_dir.trim_matches('/'));
        let name = &*options.output_name;
        if !options.hash_files {
            return Ok(Bundle {
                stylesheet: format!("{pkg}/{name}.css"),
                hashed: false,
            });
        }
        let path = hash_file_path(options);
        let text = std::fs::read_to_string(&path).map_err(|source| AssetsError::HashFile {
            path: path.clone(),
            source,
        })?;
        let hash_of = |kind: &'static str| {
            text.lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(k, _)| k.trim() == kind)
                .map(|(_, hash)| hash.trim().to_string())
                .filter(|hash| !hash.is_empty())
                .ok_or(AssetsError::Incomplete {
                    path: path.clone(),
                    kind,
                })
        };
        let site = Path::new(&*options.site_root).join(options.site_pkg_dir.trim_matches('/'));
        let mut stylesheet = String::new();
        for kind in ["js", "wasm", "css"] {
            let file = format!("{name}.{}.{kind}", hash_of(kind)?);
            if !site.join(&file).is_file() {
                return Err(AssetsError::Missing {
                    file: site.join(file),
                });
            }
            if kind == "css" {
                stylesheet = format!("{pkg}/{file}");
            }
        }
        Ok(Bundle {
            stylesheet,
            hashed: true,
        })
    }

    /// Makes this the stylesheet of the pages rendered outside Leptos ([`stylesheet_href`]).
    /// The first call of the process wins: one server, one build.
    pub fn install(&self) {
        let _ = STYLESHEET.set(self.stylesheet.clone());
    }
}

static STYLESHEET: OnceLock<String> = OnceLock::new();

/// The `<head>` tags that name the build's files, written once by Leptos's
/// `HashedStylesheet` and `HydrationScripts` for every page to reuse with its own nonce.
/// Those components find the hashes by reading the hash file (and the binary's path) each time
/// they run, a dozen system calls per page; here they run once per router.
///
/// Only the tags are kept. When a build has a wasm-split manifest (lazy routes),
/// `HydrationScripts` also provides it as context, and the page's preload links read it; here
/// that context goes to the owner of this one render, not to the pages. This app has no lazy
/// routes; one that adds them must provide the manifest to each page itself.
#[derive(Clone, Debug)]
pub struct HeadTags(NonceTemplate);

impl HeadTags {
    /// Renders the tags with a nonce of their own. Call after [`Bundle::of`] has checked the
    /// hash file: Leptos's components panic on a hash file they cannot read.
    pub fn render(options: &LeptosOptions) -> HeadTags {
        use leptos::nonce::{use_nonce, Nonce};
        use leptos::prelude::*;
        use leptos_meta::HashedStylesheet;
        Owner::new().with(|| {
            provide_context(Nonce::new());
            let nonce = use_nonce().map(|n| n.to_string()).unwrap_or_default();
            let options = options.clone();
            let html = view! {
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
            }
            .to_html();
            HeadTags(NonceTemplate::new(&html, &nonce))
        })
    }

    /// The tags as Leptos's components would write them for a page with `nonce`.
    pub fn for_page(&self, nonce: &str) -> String {
        self.0.fill(nonce)
    }
}

/// The stylesheet for the plain error pages (`server::error`), which are written without
/// Leptos and so without its options.
pub fn stylesheet_href() -> &'static str {
    STYLESHEET
        .get()
        .map(String::as_str)
        .unwrap_or("/pkg/gatehouse.css")
}

static APP_NAME: OnceLock<String> = OnceLock::new();

/// Makes `name` (`APP_NAME`) the product's name on the plain error pages. The first call of
/// the process wins.
pub fn install_app_name(name: &str) {
    let _ = APP_NAME.set(name.to_string());
}

/// The product's name for the plain error pages.
pub fn app_name() -> &'static str {
    APP_NAME
        .get()
        .map(String::as_str)
        .unwrap_or(crate::model::DEFAULT_APP_NAME)
}

/// Where Leptos looks for the hash file: the configured name, relative to the running
/// binary's directory (an absolute name stands as it is).
pub fn hash_file_path(options: &LeptosOptions) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_default()
        .join(&*options.hash_file)
}

/// `/pkg/…` (precompressed copies when the build made them) and `/favicon.ico`, each with how
/// long it may be kept.
pub fn routes<S: Clone + Send + Sync + 'static>(options: &LeptosOptions) -> Router<S> {
    let pkg_policy = if options.hash_files {
        HASHED
    } else {
        REVALIDATE
    };
    let pkg = Router::new()
        .route_service(
            &leptos_axum::site_pkg_dir_service_route_path(options),
            leptos_axum::site_pkg_dir_service(options),
        )
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            cache_for(pkg_policy, true, req, next)
        }));
    let favicon = Router::new()
        .route_service(
            "/favicon.ico",
            ServeFile::new(Path::new(&*options.site_root).join("favicon.ico")),
        )
        .layer(middleware::from_fn(|req: Request, next: Next| {
            cache_for(FAVICON, false, req, next)
        }));
    pkg.merge(favicon)
}

/// A file found (or unchanged: 304) may be kept as `policy` says; a miss is asked again.
async fn cache_for(policy: &'static str, negotiated: bool, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let found = res.status().is_success() || res.status() == axum::http::StatusCode::NOT_MODIFIED;
    let h = res.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if found { policy } else { REVALIDATE }),
    );
    if negotiated {
        // The same URL answers br, gzip or plain by the request's Accept-Encoding.
        h.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(site: &Path, hash_file: &Path, hash_files: bool) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name("gatehouse")
            .site_root(site.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .hash_files(hash_files)
            .hash_file(std::sync::Arc::from(hash_file.to_string_lossy().as_ref()))
            .build()
    }

    /// A site directory of its own (removed when dropped) with these files under `pkg/`.
    struct Site(PathBuf);
    impl Site {
        fn path(&self) -> &Path {
            &self.0
        }
    }
    impl Drop for Site {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn site_with(files: &[&str], hashes: Option<&str>) -> (Site, PathBuf) {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            Site(std::env::temp_dir().join(format!("gatehouse-assets-{}-{n}", std::process::id())));
        std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
        for f in files {
            std::fs::write(dir.path().join("pkg").join(f), b"x").unwrap();
        }
        let hash_file = dir.path().join("hash.txt");
        if let Some(h) = hashes {
            std::fs::write(&hash_file, h).unwrap();
        }
        (dir, hash_file)
    }

    #[test]
    fn a_hashed_build_names_its_stylesheet() {
        let (dir, hash_file) = site_with(
            &["gatehouse.J1.js", "gatehouse.W1.wasm", "gatehouse.C1.css"],
            Some("js: J1\nwasm: W1\ncss: C1\n"),
        );
        let bundle = Bundle::of(&options(dir.path(), &hash_file, true)).unwrap();
        assert_eq!(bundle.stylesheet, "/pkg/gatehouse.C1.css");
        assert!(bundle.hashed);
    }

    #[test]
    fn the_head_tags_written_once_are_leptos_own_with_each_pages_nonce() {
        use leptos::nonce::{use_nonce, Nonce};
        use leptos::prelude::*;
        use leptos_meta::HashedStylesheet;
        let (dir, hash_file) = site_with(
            &["gatehouse.J1.js", "gatehouse.W1.wasm", "gatehouse.C1.css"],
            Some("js: J1\nwasm: W1\ncss: C1\n"),
        );
        let opts = options(dir.path(), &hash_file, true);
        let tags = HeadTags::render(&opts);
        // A page of its own, with its own nonce: what Leptos's components write for it.
        Owner::new().with(|| {
            provide_context(Nonce::new());
            let nonce = use_nonce().unwrap();
            let theirs = view! {
                <HashedStylesheet options=opts.clone() id="leptos"/>
                <HydrationScripts options=opts.clone()/>
            }
            .to_html();
            assert!(theirs.contains("/pkg/gatehouse.C1.css"), "{theirs}");
            assert!(theirs.contains("gatehouse.W1"), "{theirs}");
            assert!(
                theirs.contains(&format!("nonce=\"{}\"", &*nonce)),
                "{theirs}"
            );
            assert_eq!(tags.for_page(&nonce), theirs);
        });
    }

    #[test]
    fn an_unhashed_build_keeps_the_plain_names() {
        let (dir, hash_file) = site_with(&[], None);
        let bundle = Bundle::of(&options(dir.path(), &hash_file, false)).unwrap();
        assert_eq!(bundle.stylesheet, "/pkg/gatehouse.css");
        assert!(!bundle.hashed);
    }

    #[test]
    fn a_missing_hash_file_or_file_is_a_start_up_error() {
        let (dir, hash_file) = site_with(&["gatehouse.J1.js"], None);
        let opts = options(dir.path(), &hash_file, true);
        assert!(matches!(
            Bundle::of(&opts),
            Err(AssetsError::HashFile { .. })
        ));
        std::fs::write(&hash_file, "js: J1\n").unwrap();
        assert!(matches!(
            Bundle::of(&opts),
            Err(AssetsError::Incomplete { kind: "wasm", .. })
        ));
        std::fs::write(&hash_file, "js: J1\nwasm: W1\ncss: C1\n").unwrap();
        let err = Bundle::of(&opts).unwrap_err();
        assert!(matches!(err, AssetsError::Missing { .. }), "{err}");
        assert!(err.to_string().contains("gatehouse.W1.wasm"), "{err}");
    }
}
